// Hands the uploaded picture back to the editor's "Insert figure" dialog
// (the file-browser protocol django-prose-editor speaks) and closes.
document.addEventListener("DOMContentLoaded", () => {
  const picked = document.getElementById("body-image-picked")
  if (!picked || !window.opener || !window.opener.CKEDITOR) return
  window.opener.CKEDITOR.tools.callFunction(
    Number(picked.dataset.callback),
    picked.dataset.url,
    { alternative_text: picked.dataset.alt },
  )
  window.close()
})
