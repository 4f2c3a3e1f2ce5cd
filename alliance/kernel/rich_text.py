"""Rich text: what editors write with the admin's editor, stored and shown as clean HTML.

Bodies and descriptions are HTML written with django-prose-editor (a
ProseMirror editor with a toolbar). The HTML is cleaned when it is saved
(`clean_rich_text`) and again when it is shown (`render_rich_text`), both
times by nh3 (the Ammonia sanitizer) with the allow-list of
alliance/kernel/markdown.py, so no script, event handler or javascript: address
reaches a reader, whatever was posted. Two rules on top of nh3's:

- a link keeps its text but is dropped when it has no address left (nh3
  removes a javascript: href and would leave a bare <a>);
- an image without a text alternative is dropped: the editor asks for one,
  and a picture a screen reader cannot describe is not published.

Shown on a page, each heading gets a stable id and a "#" permalink, as the
Markdown renderer gave them. The page, the API and the feeds show the same
`render_rich_text` output.
"""

import html
import re
from functools import lru_cache

import markdown
from django import forms
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_prose_editor.widgets import AdminProseEditorWidget
from js_asset import Media, Stylesheet
from markdown.extensions.toc import slugify_unicode

from alliance.kernel.markdown import sanitize_html

# The editor's tools (django-prose-editor extensions), and so what it can
# produce. The server's allow-list is alliance/kernel/markdown.py's, which is wider
# (tables and code from earlier Markdown texts stay).
EDITOR_EXTENSIONS = {
    "Heading": {"levels": [2, 3, 4]},
    "Bold": True,
    "Italic": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "Code": True,
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "HardBreak": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    "Figure": True,
    "Caption": True,
    "Image": True,
    "Table": True,
    "TableRow": True,
    "TableHeader": True,
    "TableCell": True,
}

_LINK_WITHOUT_HREF = re.compile(r"<a(?![^>]*\shref=)[^>]*>(.*?)</a>", re.S)
_IMAGE = re.compile(r"<img\b[^>]*>")
_ALT = re.compile(r'\salt="([^"]*)"')
_EMPTY_FIGURE = re.compile(
    r"<figure>\s*(<figcaption>.*?</figcaption>)?\s*</figure>", re.S
)
_HEADING = re.compile(r"<h([2-6])(?:\s[^>]*)?>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _image_with_alt(match):
    alt = _ALT.search(match.group(0))
    return match.group(0) if alt and alt.group(1).strip() else ""


def clean_rich_text(text: str) -> str:
    """The HTML to store: sanitized, no bare link, no image without alt, LF line ends."""
    if not text:
        return ""
    text = sanitize_html(text.replace("\r\n", "\n"))
    text = _LINK_WITHOUT_HREF.sub(r"\1", text)
    text = _IMAGE.sub(_image_with_alt, text)
    text = _EMPTY_FIGURE.sub("", text)
    # ProseMirror's empty document is one empty paragraph: store nothing.
    return "" if text.strip() in {"", "<p></p>"} else text.strip()


def render_rich_text(text: str) -> str:
    """The HTML readers get: cleaned again, headings with ids and "#" permalinks."""
    if not text:
        return ""
    return _render(text, translation.get_language())


@lru_cache(maxsize=1024)
def _render(text: str, language: str) -> str:
    with translation.override(language):
        permalink_title = gettext("Permanent link")
    seen = {}

    def anchor(match):
        level, inner = match.groups()
        slug = slugify_unicode(html.unescape(_TAG.sub("", inner)), "-") or "section"
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            slug = f"{slug}_{count}"
        return (
            f'<h{level} id="{slug}">{inner}'
            f'<a class="anchor" href="#{slug}" title="{html.escape(permalink_title)}">#</a>'
            f"</h{level}>"
        )

    cleaned = clean_rich_text(text)
    # The permalinks are added after cleaning: sanitize_html would give them
    # a rel, and their href is always a fragment of the page itself.
    return _HEADING.sub(anchor, cleaned)


def markdown_to_html(text: str) -> str:
    """Convert a Markdown text of before the editor to the HTML the editor stores.

    The same renderer and extensions as the Markdown pages had, so nothing
    is lost; an image that had no text alternative becomes a link to it
    (the HTML rules drop images without one).
    """
    if not text:
        return ""
    rendered = markdown.markdown(
        text, extensions=["extra", "sane_lists"], output_format="html"
    )
    rendered = _IMAGE.sub(_image_or_link, rendered)
    return clean_rich_text(rendered)


def _image_or_link(match):
    tag = match.group(0)
    alt = _ALT.search(tag)
    if alt and alt.group(1).strip():
        return tag
    src = re.search(r'\ssrc="([^"]*)"', tag)
    if not src:
        return ""
    name = src.group(1).rstrip("/").rsplit("/", 1)[-1] or src.group(1)
    return f'<a href="{src.group(1)}">{name}</a>'


# --- The admin's editor -------------------------------------------------------


class RichTextWidget(AdminProseEditorWidget):
    """django-prose-editor's admin widget, with this site's preset and styles."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("preset", "alliance")
        super().__init__(*args, **kwargs)

    def get_config(self):
        # The image picker's address is known only once the URLs are loaded.
        extensions = {
            **EDITOR_EXTENSIONS,
            "Figure": {"pickerUrl": reverse("admin:editor-image-upload")},
        }
        self.config = {"extensions": extensions}
        return super().get_config()

    @property
    def media(self):
        return super().media + Media(
            css={"all": [Stylesheet("css/rich-text-editor.css")]}
        )


class RichTextField(forms.CharField):
    """A body written in the editor; cleaned as it will be stored."""

    widget = RichTextWidget

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def to_python(self, value):
        return clean_rich_text(super().to_python(value))


def convert_markdown_columns(model, field_names):
    """Rewrite Markdown texts of `model` as editor HTML, for a data migration.

    `field_names` are the untranslated fields; each language's column is
    converted too. Rows are read in batches and only changed rows written.
    """
    columns = [
        f.attname
        for f in model._meta.concrete_fields
        if any(f.attname == n or f.attname.startswith(f"{n}_") for n in field_names)
    ]
    for row in model.objects.only("pk", *columns).iterator(chunk_size=500):
        changes = {
            column: _converted(getattr(row, column))
            for column in columns
            if getattr(row, column)
        }
        changes = {k: v for k, v in changes.items() if v != getattr(row, k)}
        if changes:
            model.objects.filter(pk=row.pk).update(**changes)


def _converted(text):
    # A text that is already HTML (one saved by the editor) is only cleaned:
    # the migration may meet it when run again.
    if text.lstrip().startswith("<"):
        return clean_rich_text(text)
    return markdown_to_html(text)


def with_markdown_converted(values):
    """`values` for update_or_create, bodies and descriptions given in Markdown as HTML.

    The demo content is written in Markdown, which reads well in the source.
    """
    return {
        key: markdown_to_html(value)
        if key.split("_", 1)[0] in {"body", "description"} and isinstance(value, str)
        else value
        for key, value in values.items()
    }
