"""Pictures inside bodies: uploaded from the rich-text editor, stored as a rendition.

The editor's "Insert figure" dialog opens this page in a small window (the
file-browser protocol django-prose-editor speaks, the one CKEditor
defined): the editor picks a file and writes its text alternative; the
picture is checked as covers are (a real PNG, JPEG, WebP or GIF, at most
5 MB, 200 to 6,000 pixels a side), stored as a WebP rendition fitted to the
article column, and handed back to the dialog with its alt text.
"""

import uuid

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from alliance.kernel.images import make_rendition, validate_picture

# The widest the article column shows a picture, at twice its CSS width.
BODY_IMAGE_BOX = (1920, 2880)
# Who may upload: whoever may change something with a rich-text body.
EDITING_PERMISSIONS = [
    "news.change_article",
    "alliance.change_scenario",
    "alliance.change_event",
    "alliance.change_initiative",
    "alliance.change_page",
]


class BodyImageForm(forms.Form):
    image = forms.ImageField(
        label=_("Picture"),
        validators=[validate_picture],
        help_text=_("PNG, JPEG, WebP or GIF, at most 5 MB."),
    )
    alt = forms.CharField(
        label=_("Text alternative"),
        max_length=250,
        help_text=_("What the picture shows, for readers who cannot see it. Required."),
    )
    callback = forms.CharField(widget=forms.HiddenInput, required=False)


@require_http_methods(["GET", "POST"])
def body_image_upload(request, admin_site):
    if not any(request.user.has_perm(p) for p in EDITING_PERMISSIONS):
        raise PermissionDenied
    picked = None
    if request.method == "POST":
        form = BodyImageForm(request.POST, request.FILES)
        if form.is_valid():
            rendition = make_rendition(form.cleaned_data["image"], BODY_IMAGE_BOX)
            name = default_storage.save(
                f"body-images/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.webp",
                rendition,
            )
            picked = {
                "url": default_storage.url(name),
                "alt": form.cleaned_data["alt"],
                "callback": form.cleaned_data["callback"],
            }
    else:
        form = BodyImageForm(initial={"callback": request.GET.get("CKEditorFuncNum")})
    context = {
        **admin_site.each_context(request),
        "title": _("Insert a picture"),
        "form": form,
        "picked": picked,
        "is_popup": True,
    }
    status = 400 if request.method == "POST" and picked is None else 200
    return TemplateResponse(
        request, "admin/body_image_upload.html", context, status=status
    )
