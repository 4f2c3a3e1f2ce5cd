"""Bodies written in the editor: converted from Markdown, cleaned, the same everywhere."""

import re
from xml.etree import ElementTree

import feedparser
import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile

from alliance.kernel.rich_text import (
    clean_rich_text,
    markdown_to_html,
    render_rich_text,
)
from tests.factories import ArticleFactory, ScenarioFactory
from tests.helpers import DANGEROUS_TAGS, XSS_VECTORS, Inspector, form_data, png_bytes

REPRESENTATIVE_MARKDOWN = """## Launch results

Intro with **bold**, *italic* and a [link](https://example.org/a).

- first
- second

1. one
2. two

> A quotation.

`inline code` and

```
block code
```

| a | b |
|---|---|
| 1 | 2 |

![A satellite dish](https://example.org/dish.png)

![](https://example.org/untitled.png)

### 遥感 数据

中文段落，没有丢失。
"""


def test_the_migration_keeps_every_part_of_a_markdown_text():
    html = markdown_to_html(REPRESENTATIVE_MARKDOWN)
    for piece in [
        "<h2>Launch results</h2>",
        "<strong>bold</strong>",
        "<em>italic</em>",
        '<a href="https://example.org/a" rel="noopener noreferrer">link</a>',
        "<li>first</li>",
        "<ol>",
        "<blockquote>",
        "<code>inline code</code>",
        "<pre><code>block code",
        "<td>1</td>",
        '<img alt="A satellite dish" src="https://example.org/dish.png">',
        "<h3>遥感 数据</h3>",
        "中文段落，没有丢失。",
    ]:
        assert piece in html, piece
    # The picture without a text alternative is kept, as a link to it.
    assert '<a href="https://example.org/untitled.png"' in html
    assert "<img" not in html.replace('<img alt="A satellite dish"', "")
    assert "<!--" not in html


def test_no_link_without_address_and_no_image_without_alt_is_kept():
    html = clean_rich_text(
        '<p><a href="javascript:alert(1)">text stays</a>'
        '<img src="/x.webp"><img src="/y.webp" alt=""><img src="/z.webp" alt="Dish"></p>'
        "<script>alert(1)</script><!-- note -->"
    )
    assert (
        html == ('<p>text stays<img src="/z.webp" alt="Dish"></p>')
        or html == '<p>text stays<img alt="Dish" src="/z.webp"></p>'
    )


def test_headings_get_ids_and_permalinks_for_chinese_too():
    html = render_rich_text("<h2>Results</h2><h3>能源 场景</h3><h2>Results</h2>")
    assert '<h2 id="results">Results<a class="anchor" href="#results"' in html
    assert '<h3 id="能源-场景">' in html
    assert '<h2 id="results_1">' in html


def page_fragment(page):
    """The rendered body: what the page shows inside its body's language wrapper."""
    return re.search(r'<div lang="[^"]+">(.*?)</div>', page, re.S).group(1)


@pytest.mark.django_db
def test_an_article_body_is_the_same_on_the_page_in_the_api_and_in_the_feeds(client):
    article = ArticleFactory(
        body=markdown_to_html(REPRESENTATIVE_MARKDOWN)
        + '<p><a href="javascript:x()">bare</a><img src="/no-alt.webp"></p>'
    )
    fragment = page_fragment(client.get(article.get_absolute_url()).content.decode())
    assert '<a class="anchor" href="#launch-results"' in fragment
    api = client.get(f"/api/v1/news/{article.slug}/").json()
    assert api["body"] == fragment == api["body_html"]
    assert api["translations"]["en"]["body"] == fragment
    for feed, content in [
        (
            "/news/feed/",
            "channel/item/{http://purl.org/rss/1.0/modules/content/}encoded",
        ),
        (
            "/news/feed/atom/",
            "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content",
        ),
    ]:
        xml = client.get(feed).content
        assert not feedparser.parse(xml).bozo, feed
        assert ElementTree.fromstring(xml).find(content).text == fragment, feed
    assert "<!--" not in fragment and "javascript" not in fragment
    assert "no-alt" not in fragment and ">bare<" in fragment


@pytest.mark.django_db
def test_a_scenario_description_shows_as_cleaned_html(client):
    scenario = ScenarioFactory(
        description='<h2>Plan</h2><p onclick="x()">Step <a>one</a></p>'
    )
    page = client.get(scenario.get_absolute_url()).content.decode()
    assert render_rich_text(scenario.description) in page
    api = client.get(f"/api/v1/scenarios/{scenario.slug}/").json()
    assert api["description"] == render_rich_text(scenario.description)
    assert '<h2 id="plan">Plan<a class="anchor" href="#plan"' in page
    assert "onclick" not in page and "<a>one</a>" not in page


@pytest.fixture
def editor(client):
    user = User.objects.create_user("ed", password="pw-for-tests", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_admin_stores_the_body_cleaned(editor):
    article = ArticleFactory()
    url = f"/admin/news/article/{article.pk}/change/"
    page = editor.get(url).content.decode()
    assert "data-django-prose-editor-alliance" in page
    data = form_data(page, "article_form")
    data["body_en"] = '<h2>New</h2><p>Hi<script>x()</script><img src="/a.webp"></p>'
    assert editor.post(url, data).status_code == 302
    article.refresh_from_db()
    assert article.body_en == "<h2>New</h2><p>Hi</p>"


@pytest.mark.django_db
def test_an_editor_uploads_a_picture_for_a_body_with_its_alt_text(editor):
    url = "/admin/body-images/upload/?CKEditorFuncNum=-1"
    form = editor.get(url).content.decode()
    data = form_data(form)
    data["alt"] = "A ground station at dusk"
    data["image"] = SimpleUploadedFile("dish.png", png_bytes((1200, 800)), "image/png")
    response = editor.post(url, data)
    assert response.status_code == 200
    picked = re.search(
        r'data-url="([^"]+)" data-alt="([^"]+)"', response.content.decode()
    )
    assert (
        picked.group(1).endswith(".webp")
        and picked.group(2) == "A ground station at dusk"
    )
    assert editor.get(picked.group(1)).status_code in {
        200,
        404,
    }  # served by the web server


@pytest.mark.django_db
@pytest.mark.parametrize(
    "alt,content,message",
    [
        ("", png_bytes(), "This field is required"),
        ("Text", b"not an image", "Upload a valid image"),
    ],
)
def test_a_body_picture_without_alt_or_not_an_image_is_refused(
    editor, alt, content, message
):
    response = editor.post(
        "/admin/body-images/upload/",
        {"alt": alt, "image": SimpleUploadedFile("x.png", content, "image/png")},
    )
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.django_db
def test_staff_who_edit_nothing_cannot_upload(client):
    user = User.objects.create_user("s", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get("/admin/body-images/upload/").status_code == 403


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_no_script_survives_the_editor_html(vector):
    html = render_rich_text(f"<p>Intro</p>{vector}<p>Outro</p>")
    inspector = StartTags()
    inspector.feed(html)
    assert not DANGEROUS_TAGS & set(inspector.tags), html
    for name, value in inspector.attributes:
        assert not name.startswith("on") and name != "style", html
        if name in {"href", "src"} and value and ":" in value:
            assert value.split(":", 1)[0].lower() in {"http", "https", "mailto"}, html
    # Every link goes somewhere, every picture says what it shows.
    assert all(dict(a).get("href") for t, a in inspector.starts if t == "a"), html
    assert all(dict(a).get("alt") for t, a in inspector.starts if t == "img"), html


class StartTags(Inspector):
    def __init__(self):
        super().__init__()
        self.starts = []

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        self.starts.append((tag, attrs))


@pytest.mark.django_db
def test_the_data_migration_converts_every_language_and_leaves_html_alone():
    from alliance.kernel.rich_text import convert_markdown_columns
    from news.models import Article

    markdown = ArticleFactory(
        body_en="## Plan\n\n- one", body_zh_hans="## 计划\n\n正文"
    )
    converted = ArticleFactory(body_en="<h2>Done</h2><p>Already HTML.</p>")
    convert_markdown_columns(Article, ["body"])
    markdown.refresh_from_db()
    converted.refresh_from_db()
    assert markdown.body_en == "<h2>Plan</h2>\n<ul>\n<li>one</li>\n</ul>"
    assert markdown.body_zh_hans == "<h2>计划</h2>\n<p>正文</p>"
    assert converted.body_en == "<h2>Done</h2><p>Already HTML.</p>"
