"""The long answers of the join form are bounded, and say so."""

import re

import pytest

from members.forms import TEXT_LIMITS
from members.models import MembershipApplication
from tests.helpers import application_data

pytestmark = pytest.mark.django_db


def textarea(html, name):
    return re.search(rf'<textarea[^>]*name="{name}"[^>]*>', html).group(0)


def test_each_long_text_box_carries_its_limit_and_says_it(client):
    html = client.get("/members/join/").content.decode()
    for name, limit in TEXT_LIMITS.items():
        box = textarea(html, name)
        assert f'maxlength="{limit}"' in box
        assert f'aria-describedby="id_{name}_helptext"' in box
        helptext = re.search(rf'id="id_{name}_helptext">([^<]*)<', html).group(1)
        assert f"At most {limit:,} characters." in helptext


@pytest.mark.parametrize("name", sorted(TEXT_LIMITS))
def test_a_text_at_the_limit_is_accepted(client, name):
    response = client.post(
        "/members/join/", application_data(**{name: "x" * TEXT_LIMITS[name]})
    )
    assert response.status_code == 302
    assert len(getattr(MembershipApplication.objects.get(), name)) == TEXT_LIMITS[name]


@pytest.mark.parametrize("name", sorted(TEXT_LIMITS))
def test_a_text_over_the_limit_is_refused_with_a_clear_error(client, name):
    limit = TEXT_LIMITS[name]
    response = client.post(
        "/members/join/", application_data(**{name: "x" * (limit + 1)})
    )
    assert response.status_code == 400
    assert response.context["form"].errors[name] == [
        f"Ensure this value has at most {limit} characters (it has {limit + 1})."
    ]
    assert MembershipApplication.objects.count() == 0


def test_line_breaks_count_once_as_the_browser_counts_them(client):
    # What a browser lets through a maxlength of 3,000 and then sends with CR LF.
    paragraphs = "\r\n".join(["y" * 99] * 30)  # 2,970 + 29 breaks = 2,999 characters
    assert len(paragraphs) > TEXT_LIMITS["capability"]
    response = client.post("/members/join/", application_data(capability=paragraphs))
    assert response.status_code == 302
    assert MembershipApplication.objects.get().capability == paragraphs


def test_the_limit_reads_in_chinese_on_the_chinese_form(client):
    html = client.get("/zh-hans/members/join/").content.decode()
    assert "最多 5000 个字符。" in html  # Chinese groups digits by ten thousands
    response = client.post(
        "/zh-hans/members/join/", application_data(message="x" * 3001)
    )
    assert response.status_code == 400
    assert "3000" in response.context["form"].errors["message"][0]
    assert "确保" in response.context["form"].errors["message"][0]
