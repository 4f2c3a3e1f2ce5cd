"""Scenario images: checked on upload, shown and served only as resized renditions."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from alliance.content.models import Scenario
from tests.factories import FieldFactory, ScenarioFactory
from tests.helpers import committed, image_bytes, noise_png

pytestmark = pytest.mark.django_db


def with_image(size=(1200, 800)):
    scenario = ScenarioFactory(image_alt="Flood map of a river valley")
    with committed():  # the renditions are made by a task after the commit
        scenario.image.save(
            "map.png", ContentFile(image_bytes(size, "PNG"), name="map.png"), save=True
        )
    return Scenario.objects.get(pk=scenario.pk)


def scenario_post(upload):
    return {
        "title_en": "Image test",
        "slug": "image-test",
        "status": "published",
        "field": FieldFactory().pk,
        "stage": "announced",
        "image_alt_en": "A test image",
        "image": upload,
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
        "participations-MIN_NUM_FORMS": "0",
        "participations-MAX_NUM_FORMS": "1000",
    }


def test_a_good_image_gets_renditions_with_their_sizes_stored(admin_client):
    upload = SimpleUploadedFile("map.png", image_bytes((1200, 800), "PNG"))
    with committed():
        response = admin_client.post(
            "/admin/alliance/scenario/add/", scenario_post(upload)
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = Scenario.objects.filter(slug="image-test").values_list(
        "image_small", "image_small_width", "image_small_height",
        "image_large", "image_large_width", "image_large_height",
    )[0]  # fmt: skip
    assert stored[0].endswith("-480.webp") and stored[1:3] == (480, 320)
    assert stored[3].endswith("-960.webp") and stored[4:6] == (960, 640)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "map.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "Upload a valid image",
        ),
        ("map.png", b"GIF89a but not really", "Upload a valid image"),
        ("map.png", image_bytes((7000, 300), "PNG"), "between 200 and 6000 pixels"),
        ("map.png", "oversized", "larger than 5 MB"),
    ],
)
def test_bad_images_are_refused_with_a_message(admin_client, name, content, message):
    if content == "oversized":
        content = noise_png(6)
    upload = SimpleUploadedFile(name, content)
    response = admin_client.post("/admin/alliance/scenario/add/", scenario_post(upload))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Scenario.objects.filter(slug="image-test").exists()


def test_the_scenario_page_shows_the_rendition_lazily_with_its_size(client):
    scenario = with_image()
    html = client.get(scenario.get_absolute_url()).content.decode()
    img = re.search(r'<figure class="detail-side__image">\s*(<img[^>]*>)', html)
    img = img.group(1)
    assert f'src="{scenario.image_small.url}"' in img
    assert 'width="480" height="320"' in img
    assert f"{scenario.image_small.url} 480w, {scenario.image_large.url} 960w" in img
    assert 'sizes="' in img and 'loading="lazy"' in img
    assert 'alt="Flood map of a river valley"' in img
    assert scenario.image.url not in html


def test_the_api_gives_the_rendition_with_its_size_never_the_upload(client):
    scenario = with_image()
    data = client.get(f"/api/v1/scenarios/{scenario.slug}/").json()
    assert data["image"] == {
        "url": f"http://testserver{scenario.image_large.url}",
        "width": 960,
        "height": 640,
        "alt": "Flood map of a river valley",
    }
    assert ScenarioFactory().image_srcset == ""
