"""Article covers: checked on upload, shown and served only as resized renditions."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from news.models import Article
from tests.factories import ArticleFactory
from tests.helpers import image_bytes, noise_png

pytestmark = pytest.mark.django_db


def with_cover(size=(1600, 900), **kwargs):
    article = ArticleFactory(cover_alt="Orbits over the Earth", **kwargs)
    article.cover_image.save(
        "cover.jpg", ContentFile(image_bytes(size), name="cover.jpg"), save=True
    )
    return Article.objects.get(pk=article.pk)


def article_post(upload):
    return {
        "title_en": "Cover test",
        "slug": "cover-test",
        "status": "published",
        "published_at_0": "2026-01-05",
        "published_at_1": "10:00:00",
        "cover_alt_en": "A test cover",
        "cover_image": upload,
    }


def test_a_good_cover_gets_renditions_with_their_sizes_stored(admin_client):
    upload = SimpleUploadedFile("photo.jpg", image_bytes((1600, 900)), "image/jpeg")
    response = admin_client.post("/admin/news/article/add/", article_post(upload))
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = Article.objects.filter(slug="cover-test").values(
        "cover_small", "cover_small_width", "cover_small_height",
        "cover_large", "cover_large_width", "cover_large_height", "cover_width",
    )[0]  # fmt: skip
    assert stored["cover_small"].endswith("-480.webp")
    assert (stored["cover_small_width"], stored["cover_small_height"]) == (480, 270)
    assert stored["cover_large"].endswith("-960.webp")
    assert (stored["cover_large_width"], stored["cover_large_height"]) == (960, 540)
    assert stored["cover_width"] == 1600
    article = Article.objects.get(slug="cover-test")
    with article.cover_large.open("rb") as file, Image.open(file) as image:
        assert (image.format, image.size) == ("WEBP", (960, 540))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "cover.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "Upload a valid image",
        ),
        ("cover.jpg", b"%PDF-1.4 not an image at all", "Upload a valid image"),
        ("cover.png", image_bytes((120, 80), "PNG"), "between 200 and 6000 pixels"),
        ("cover.png", "oversized", "larger than 5 MB"),
    ],
)
def test_bad_covers_are_refused_with_a_message(admin_client, name, content, message):
    if content == "oversized":
        content = noise_png(6)
    upload = SimpleUploadedFile(name, content)
    response = admin_client.post("/admin/news/article/add/", article_post(upload))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Article.objects.filter(slug="cover-test").exists()


def test_a_small_cover_is_never_enlarged():
    article = with_cover((300, 200))
    assert (article.cover_small_width, article.cover_small_height) == (300, 200)
    assert (article.cover_large_width, article.cover_large_height) == (300, 200)
    # One width, named once.
    assert article.cover_srcset == f"{article.cover_small.url} 300w"


def test_replacing_or_clearing_the_cover_replaces_or_clears_its_renditions():
    article = with_cover()
    old = article.cover_small.name
    storage = article.cover_small.storage
    article.cover_image.save(
        "portrait.png", ContentFile(image_bytes((600, 1200), "PNG"), name="p.png")
    )
    article = Article.objects.get(pk=article.pk)
    assert not storage.exists(old)
    assert (article.cover_small_width, article.cover_small_height) == (480, 960)
    assert (article.cover_large_width, article.cover_large_height) == (600, 1200)

    article.cover_image = ""
    article.save()
    article = Article.objects.get(pk=article.pk)
    assert not article.cover_small and not article.cover_large
    assert article.cover_small_width is None


def test_cards_show_the_small_rendition_lazily_with_its_size(client):
    article = with_cover()
    html = client.get("/news/").content.decode()
    img = re.search(r'<img class="article-card__cover"[^>]*>', html).group(0)
    assert f'src="{article.cover_small.url}"' in img
    assert 'width="480" height="270"' in img
    assert f"{article.cover_small.url} 480w, {article.cover_large.url} 960w" in img
    assert 'sizes="' in img and 'loading="lazy"' in img
    assert 'alt="Orbits over the Earth"' in img
    assert article.cover_image.url not in html


def test_the_article_page_fetches_its_cover_first_not_lazily(client):
    article = with_cover()
    html = client.get(article.get_absolute_url()).content.decode()
    img = re.search(r'<figure class="article__cover">\s*(<img[^>]*>)', html).group(1)
    assert f'src="{article.cover_large.url}"' in img
    assert 'width="960" height="540"' in img
    assert "480w" in img and "960w" in img and 'sizes="' in img
    assert 'fetchpriority="high"' in img and "loading=" not in img
    assert 'alt="Orbits over the Earth"' in img
    assert (
        f'property="og:image" content="http://testserver{article.cover_large.url}"'
        in html
    )
    assert '<meta property="og:image:width" content="960">' in html
    assert f"{article.cover_image.url}" not in html.split("</head>")[1]


def test_the_api_gives_the_rendition_with_its_size_never_the_upload(client):
    article = with_cover()
    data = client.get(f"/api/v1/news/{article.slug}/").json()
    assert data["cover_image"] == {
        "url": f"http://testserver{article.cover_large.url}",
        "width": 960,
        "height": 540,
        "alt": "Orbits over the Earth",
    }
    listed = client.get("/api/v1/news/").json()["results"][0]
    assert listed["cover_image"]["url"].endswith("-960.webp")


def test_an_article_without_a_cover_has_no_image_anywhere(client):
    article = ArticleFactory()
    assert "<img" not in client.get(article.get_absolute_url()).content.decode()
    assert client.get(f"/api/v1/news/{article.slug}/").json()["cover_image"] is None


@pytest.mark.django_db(transaction=True)
def test_migrating_makes_renditions_of_earlier_covers_and_back_deletes_them():
    from django.core.management import call_command

    article = with_cover()
    storage, small = article.cover_small.storage, article.cover_small.name
    call_command("migrate", "news", "0003", verbosity=0)
    assert not storage.exists(small)
    assert storage.exists(article.cover_image.name)
    call_command("migrate", "news", verbosity=0)
    article = Article.objects.get(pk=article.pk)
    assert (article.cover_small_width, article.cover_large_width) == (480, 960)
    assert storage.exists(article.cover_small.name)
    assert article.cover_rendered_from == article.cover_image.name
