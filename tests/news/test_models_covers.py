"""Article covers: checked on upload, shown and served only as resized renditions."""

import re
from pathlib import PurePosixPath

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult
from PIL import Image

from alliance.kernel.changes import current_generation, public_change
from alliance.kernel.images import COVER_RENDITIONS, render_renditions
from news.models import Article
from tests.factories import ArticleFactory
from tests.helpers import (
    committed,
    image_bytes,
    noise_png,
    run_tasks,
    served_form_data,
)

pytestmark = pytest.mark.django_db


def with_cover(size=(1600, 900), **kwargs):
    article = ArticleFactory(cover_alt="Orbits over the Earth", **kwargs)
    with committed():  # the renditions are made by a task after the commit
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
    with committed():
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
    with committed():
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
    # Nowhere, structured data included: never the upload.
    assert article.cover_image.url not in html


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


def change_cover(admin_client, article, upload):
    """Replace an article's cover through its change form, as an editor does."""
    url = f"/admin/news/article/{article.pk}/change/"
    html = admin_client.get(url).content.decode()
    data = {**served_form_data(html, "article_form"), "cover_image": upload}
    with committed():
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.usefixtures("database_tasks")
def test_a_cover_is_rendered_by_the_worker_and_no_page_shows_the_upload_meanwhile(
    admin_client, client
):
    upload = SimpleUploadedFile("photo.jpg", image_bytes((1600, 900)), "image/jpeg")
    with committed():
        response = admin_client.post("/admin/news/article/add/", article_post(upload))
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(slug="cover-test")
    [queued] = DBTaskResult.objects.filter(status="READY")
    assert queued.task_path == "alliance.kernel.images.render_image"
    assert article.cover_image and not article.cover_large

    # Before the worker: no image at all, and never the upload.
    page = client.get(article.get_absolute_url()).content.decode()
    listing = client.get("/news/").content.decode()
    api = client.get(f"/api/v1/news/{article.slug}/").json()
    assert "<img" not in page and article.cover_image.url not in page
    assert article.cover_image.url not in listing
    assert api["cover_image"] is None

    assert run_tasks() == 1
    article.refresh_from_db()
    large = article.cover_large.url
    # The pages and answers cached before are stale: the renditions show.
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'src="{large}"' in page and article.cover_image.url not in page
    assert f'src="{article.cover_small.url}"' in client.get("/news/").content.decode()
    api = client.get(f"/api/v1/news/{article.slug}/").json()
    assert api["cover_image"]["url"] == f"http://testserver{large}"

    # A new cover: the previous renditions stay until the worker has made
    # the new ones, then they go.
    change_cover(
        admin_client,
        article,
        SimpleUploadedFile("new.png", image_bytes((600, 1200), "PNG"), "image/png"),
    )
    article.refresh_from_db()
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'src="{large}"' in page and article.cover_image.url not in page
    storage = article.cover_large.storage
    assert run_tasks() == 1
    article.refresh_from_db()
    assert (article.cover_large_width, article.cover_large_height) == (600, 1200)
    assert article.cover_rendered_from == article.cover_image.name
    assert not storage.exists(large.removeprefix("/media/"))
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'src="{article.cover_large.url}"' in page and large not in page


@pytest.mark.usefixtures("database_tasks")
def test_the_renditions_are_announced_to_caches_but_not_to_partners():
    article = ArticleFactory(slug="quiet")
    with committed():
        article.cover_image.save(
            "cover.jpg", ContentFile(image_bytes((800, 450)), name="cover.jpg")
        )
    before = current_generation()
    updated = Article.objects.get(pk=article.pk).updated_at
    heard = []

    def listen(**kwargs):
        heard.append(kwargs["slugs"])

    public_change.connect(listen)
    try:
        assert run_tasks() == 1
    finally:
        public_change.disconnect(listen)
    assert heard == []  # no webhook event: the save of the upload was one
    assert current_generation() != before  # pages and answers are stale
    assert Article.objects.get(pk=article.pk).updated_at > updated  # mirrors see it


@pytest.mark.usefixtures("database_tasks")
def test_a_cover_replaced_twice_before_the_worker_runs_is_rendered_once():
    article = ArticleFactory(slug="twice")
    for name in ("first.jpg", "second.jpg"):
        with committed():
            article.cover_image.save(
                name, ContentFile(image_bytes((800, 450)), name=name)
            )
    assert DBTaskResult.objects.filter(status="READY").count() == 2
    assert run_tasks() == 2
    article.refresh_from_db()
    assert article.cover_rendered_from == article.cover_image.name
    assert "second" in article.cover_large.name
    folder = PurePosixPath(article.cover_large.name).parent
    storage = article.cover_large.storage
    webp = [name for name in storage.listdir(str(folder))[1] if name.endswith(".webp")]
    # The second task found the work done: one set of renditions, no strays.
    assert sorted(webp) == sorted(
        PurePosixPath(f.name).name for f in (article.cover_small, article.cover_large)
    )


@pytest.mark.usefixtures("database_tasks")
def test_renditions_of_an_upload_replaced_meanwhile_are_dropped():
    article = ArticleFactory(slug="raced")
    with committed():  # queued, not run
        article.cover_image.save(
            "first.jpg", ContentFile(image_bytes((800, 450)), name="first.jpg")
        )
    # A worker holds the row with its first upload; meanwhile the editor
    # uploads another one.
    held = Article.objects.get(pk=article.pk)
    Article.objects.filter(pk=article.pk).update(cover_image="news/other.jpg")
    with committed():
        written = render_renditions(
            held, "cover_image", COVER_RENDITIONS, "cover_rendered_from"
        )
    assert not written
    stored = Article.objects.get(pk=article.pk)
    assert not stored.cover_small and not stored.cover_large
    assert stored.cover_rendered_from == ""
    folder = str(PurePosixPath(held.cover_image.name).parent)
    leftovers = held.cover_image.storage.listdir(folder)[1]
    assert not [name for name in leftovers if name.endswith(".webp")]
