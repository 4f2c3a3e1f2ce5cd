"""Helpers shared by tests: what a browser would send back from a served form."""

import io
from html.parser import HTMLParser

from PIL import Image


def png_upload(name="image.png", size=(400, 300), colour="#0b3a6f"):
    """A real PNG file, as a browser uploads it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


class _FormParser(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.depth = 0
        self.data = []
        self.select = None
        self.select_multiple = False
        self.select_chosen = []
        self.select_first = None
        self.textarea = None
        self.text = []
        self.file_fields = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if attrs.get("id") == self.form_id:
                self.inside = True
            return
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value", "on")))
            elif kind == "file":
                self.file_fields.append(name)
            elif kind not in ("submit", "button", "image", "reset"):
                self.data.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self.select = name
            self.select_multiple = "multiple" in attrs
            self.select_chosen, self.select_first = [], None
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in attrs:
                self.select_chosen.append(value)
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self.select:
            chosen = self.select_chosen
            if (
                not chosen
                and not self.select_multiple
                and self.select_first is not None
            ):
                chosen = [self.select_first]  # what a browser sends: the first option
            self.data.extend((self.select, value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea:
            text = "".join(self.text)
            # The HTML parser drops the newline that follows <textarea>.
            self.data.append((self.textarea, text.removeprefix("\n")))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)


def served_form_data(html, form_id):
    """What a browser submits from the form `form_id` of a page, as the test client takes it.

    Text, hidden, checked and selected values, and textareas, all as served
    (empty file inputs are left out, as a browser sends no file). Raises when
    the page has no such form.
    """
    parser = _FormParser(form_id)
    parser.feed(html)
    if not parser.data:
        raise AssertionError(f"no form #{form_id} with fields in the page")
    data = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return {
        name: values if len(values) > 1 else values[0] for name, values in data.items()
    }
