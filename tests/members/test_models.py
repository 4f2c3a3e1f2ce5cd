"""Logo renditions keep their sizes in the database, so pages never read image files."""

import pytest
from django.core.files.base import ContentFile

from alliance.kernel.images import make_rendition
from members.models import Member
from tests.factories import MemberFactory
from tests.helpers import committed, png_bytes

pytestmark = pytest.mark.django_db


def stored_sizes(member):
    return Member.objects.filter(pk=member.pk).values_list(
        "logo_width", "logo_height", "logo_small_width", "logo_small_height"
    )[0]


def test_a_saved_logo_and_its_small_copy_have_their_sizes_stored():
    member = MemberFactory()
    with committed():  # the renditions are made by a task after the commit
        member.logo.save(
            "logo.png", ContentFile(png_bytes((800, 400)), name="logo.png"), save=True
        )
    assert stored_sizes(member) == (800, 400, 160, 80)


def test_a_rendition_is_a_named_file_so_its_size_can_be_read():
    rendition = make_rendition(ContentFile(png_bytes((800, 400))), 160)
    assert rendition.name.endswith(".webp")


def test_the_directory_gives_each_logo_its_width_and_height(client):
    member = MemberFactory(name="Acme Orbital")
    with committed():  # the renditions are made by a task after the commit
        member.logo.save(
            "logo.png", ContentFile(png_bytes((800, 400)), name="logo.png"), save=True
        )
    html = client.get("/members/").content.decode()
    assert 'width="160" height="80"' in html
