"""Every public page type, in both languages, is valid HTML.

Checked twice: by html5lib in strict mode page by page (fast, names the
page), and by the Nu HTML Checker (the W3C validator) over all of them in
one run, which also knows which attributes and content each element allows.
"""

import pytest

from tests.helpers import (
    assert_valid_html,
    in_both_languages,
    public_pages,
    vnu_messages,
)

pytestmark = pytest.mark.django_db


def test_every_public_page_is_valid_html_in_both_languages(client, tmp_path):
    pages = in_both_languages(public_pages())
    files = []
    for index, (label, path) in enumerate(pages):
        response = client.get(path)
        expected = 404 if label.startswith("not found") else 200
        assert response.status_code == expected, label
        html = response.content.decode()
        assert_valid_html(html)
        files.append(tmp_path / f"{index:02d}.html")
        files[-1].write_text(html)
    # The note to a reader whose browser prefers Chinese is part of the page too.
    note = client.get("/news/launch/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert b"data-language-notice" in note.content
    files.append(tmp_path / "note.html")
    files[-1].write_bytes(note.content)
    labels = {
        file.name: label for file, (label, _path) in zip(files, pages, strict=False)
    }
    labels["note.html"] = "article with the language note"

    messages = vnu_messages(files)

    assert messages == [], "\n".join(
        f"{labels[m['url'].rsplit('/', 1)[-1]]}, line {m.get('lastLine')}: "
        f"{m['message']} [{m.get('extract', '').strip()}]"
        for m in messages
    )
