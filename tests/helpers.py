"""Helpers shared by tests that are not fixtures."""

from lxml import html as lxml_html


def form_data(page, form_id=None):
    """What a browser posts for the page's form as it stands: its successful controls.

    Text areas are posted with CRLF line endings, as browsers do. Pass a
    mapping over the result to change fields before posting it again.
    """
    document = lxml_html.fromstring(page)
    form = (
        document.get_element_by_id(form_id)
        if form_id
        else document.xpath("//form[@method='post' or @method='POST']")[-1]
    )
    data = {}

    def add(name, value):
        data.setdefault(name, []).append(value)

    for control in form.xpath(".//input | .//select | .//textarea"):
        name = control.get("name")
        if not name or control.get("disabled") is not None:
            continue
        if control.tag == "textarea":
            text = control.text or ""
            # As in a browser, a newline right after <textarea> is not content.
            text = text.removeprefix("\n")
            add(name, text.replace("\n", "\r\n"))
        elif control.tag == "select":
            for option in control.xpath(".//option[@selected]"):
                add(name, option.get("value", option.text or ""))
        else:
            kind = (control.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                continue
            if kind in {"checkbox", "radio"} and control.get("checked") is None:
                continue
            add(name, control.get("value", "on" if kind == "checkbox" else ""))
    return {
        name: values if len(values) > 1 else values[0] for name, values in data.items()
    }
