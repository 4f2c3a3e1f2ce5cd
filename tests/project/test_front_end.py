"""What the browser has to fetch: a light home page, and images that never shift the layout.

The pages are rendered with the demo content, as a visitor first sees the site.
"""

import gzip
import io
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

# HTML, stylesheets and scripts of the home page, each compressed as served.
HOME_BUDGET_BYTES = 60 * 1024
ARTICLE = "/news/alliance-launched-in-chongqing/"


class Assets(HTMLParser):
    """The stylesheets, scripts and images a page links to."""

    def __init__(self):
        super().__init__()
        self.styles, self.scripts, self.images = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.styles.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        elif tag == "img":
            self.images.append(attrs)


def assets(html):
    parser = Assets()
    parser.feed(html)
    return parser


def static_file(url):
    from django.conf import settings

    assert url.startswith(settings.STATIC_URL), f"{url} is not one of the site's files"
    path = finders.find(url.removeprefix(settings.STATIC_URL).split("?")[0])
    assert path, f"{url} is not in the static files"
    with open(path, "rb") as file:
        return file.read()


def compressed_size(data):
    return len(gzip.compress(data, compresslevel=6))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo content, loaded once for the module and rolled back after it.

    Each test runs in a savepoint inside this transaction, and only reads.
    """
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"))
    with django_db_blocker.unblock(), transaction.atomic():
        with media:
            call_command("load_demo_content", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def test_the_home_page_weighs_under_60_kb_compressed_without_images(client, demo):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content
    found = assets(html.decode())
    assert found.styles, "the home page links its stylesheet"
    sizes = {"html": compressed_size(html)}
    for url in found.styles + found.scripts:
        sizes[url] = compressed_size(static_file(url))
    total = sum(sizes.values())
    assert total < HOME_BUDGET_BYTES, f"{total} bytes compressed: {sizes}"


@pytest.mark.parametrize("path", ["/", "/news/", ARTICLE, "/members/"])
def test_every_image_has_its_size_and_loads_lazily_below_the_fold(client, demo, path):
    html = client.get(path).content.decode()
    images = assets(html).images
    # The demo's members have no logos (no one's real logo is used), so only
    # the news shows pictures.
    if path in ("/news/", ARTICLE):
        assert images, f"the demo content shows images on {path}"
    for image in images:
        assert image.get("width", "").isdigit(), image
        assert image.get("height", "").isdigit(), image
        assert "alt" in image, image
        if image.get("fetchpriority") == "high":
            # The one image above the fold: the article's cover.
            assert path == ARTICLE and "loading" not in image, image
        else:
            assert image.get("loading") == "lazy", image


def test_the_article_page_shows_its_cover_first(client, demo):
    images = assets(client.get(ARTICLE).content.decode()).images
    assert [image.get("fetchpriority") for image in images] == ["high"]
    assert images[0]["src"].endswith("-960.webp")


def test_pages_are_compressed_for_clients_that_accept_gzip(client):
    ArticleFactory()
    plain = client.get("/news/")
    compressed = client.get("/news/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert gzip.decompress(compressed.content) == plain.content
    assert len(compressed.content) < len(plain.content) / 2


def test_the_response_cache_keeps_one_uncompressed_body_for_every_client(
    client, settings
):
    settings.RESPONSE_CACHE_SECONDS = 300
    ArticleFactory()
    first = client.get("/news/", HTTP_ACCEPT_ENCODING="gzip")
    # From the cache now: compressed again for this client, plain for that one.
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/news/", HTTP_ACCEPT_ENCODING="gzip")
        plain = client.get("/news/")
    # Each only reads the change time (the generation) of the content.
    assert len(queries) == 2
    assert first["Content-Encoding"] == again["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain
    assert gzip.decompress(again.content) == plain.content
    # A compressed answer's weak ETag still matches.
    assert first["ETag"].startswith('W/"')
    revalidated = client.get(
        "/news/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert revalidated.status_code == 304
