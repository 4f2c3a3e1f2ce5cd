// The admin's rich-text editor: django-prose-editor's "configurable" preset,
// with one difference. Tiptap adds its base styles in a <style> element,
// which the site's Content-Security-Policy refuses; they come from
// css/rich-text-editor.css instead (injectCSS: false).
import * as prose from "django-prose-editor/editor"

const ATTRIBUTE = "data-django-prose-editor-alliance"

function actuallyEmpty(html) {
  return /^<(\w+)(\s[^>]*)?><\/\1>$/i.test(html) ? "" : html
}

function create(textarea) {
  if (textarea.closest(".prose-editor")) return null
  const config = JSON.parse(textarea.getAttribute(ATTRIBUTE) || "{}")
  const extensions = []
  for (const [name, options] of Object.entries(config.extensions || {})) {
    const extension = prose[name]
    if (!extension) continue
    extensions.push(typeof options === "object" ? extension.configure(options) : extension)
  }
  const disabled = textarea.hasAttribute("disabled")
  const element = prose.crel("div", {
    className: `prose-editor ${disabled ? "disabled" : ""}`,
  })
  textarea.before(element)
  element.append(textarea)
  const editor = new prose.Editor({
    element,
    editable: !disabled,
    extensions,
    content: textarea.value,
    injectCSS: false,
    onUpdate({ editor }) {
      textarea.value = actuallyEmpty(editor.getHTML())
      textarea.dispatchEvent(new Event("input", { bubbles: true }))
    },
    onDestroy() {
      element.before(textarea)
      element.remove()
    },
  })
  textarea.dispatchEvent(
    new CustomEvent("prose-editor:ready", { detail: { editor, textarea }, bubbles: true }),
  )
  return editor
}

prose.initializeEditors(create, `[${ATTRIBUTE}]`)
