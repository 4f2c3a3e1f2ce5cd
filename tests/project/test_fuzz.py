"""Property-based fuzzing of public query parameters and the join form: never a 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members.models import MembershipApplication
from tests.factories import (
    ArticleFactory,
    FieldFactory,
    MemberFactory,
    SectorFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

PAGES = {
    "/news/": ["page", "tag", "member", "q"],
    "/members/": ["page", "sector", "country", "tier", "q"],
    "/members/export.csv": ["sector", "country", "tier", "q"],
    "/scenarios/": ["field", "status", "page"],
    "/search/": ["q"],
    "/api/v1/news/": [
        "tag",
        "member",
        "featured",
        "search",
        "ordering",
        "updated_since",
        "page_size",
        "cursor",
        "lang",
    ],
    "/api/v1/members/": [
        "sector",
        "country",
        "tier",
        "search",
        "ordering",
        "updated_since",
        "page_size",
        "cursor",
    ],
    "/api/v1/events/": ["upcoming", "starts_after", "starts_before", "lang"],
    "/api/v1/tombstones/": ["since", "resource", "cursor"],
}
nasty_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", "0", "-1", "99999999999999999999", "1e309", "%", "_", "'; DROP TABLE x;--", "<script>",
                     "\x00", "../../etc/passwd", "能源", "2024-13-45", "null", "true", "cD0x", "  ", "\ud7ff"]),
)  # fmt: skip


@pytest.fixture
def seeded(db):
    # Function-scoped: built once per test, shared by all of its generated examples.
    sector = SectorFactory(slug="navigation")
    member = MemberFactory(slug="acme", sectors=[sector])
    ArticleFactory(slug="story", tags=[TagFactory(slug="policy")], members=[member])
    FieldFactory(slug="energy")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(sorted(PAGES)), data=st.data())
def test_query_parameters_never_cause_a_server_error(client, seeded, path, data):
    names = data.draw(
        st.lists(st.sampled_from([*PAGES[path], "unknown"]), max_size=4, unique=True)
    )
    params = {name: data.draw(nasty_text) for name in names}
    response = client.get(path, params)
    assert response.status_code < 500, (path, params, response.content[:300])


FORM_FIELDS = ["organization_name", "short_name", "website", "country", "city", "sectors", "tier_requested",
               "capability", "description", "contact_name", "contact_email", "contact_phone", "message",
               "website_url_confirm"]  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    fields=st.dictionaries(
        st.sampled_from(FORM_FIELDS), nasty_text, max_size=len(FORM_FIELDS)
    )
)
def test_the_join_form_never_fails_with_a_server_error(client, seeded, fields):
    from django.core.cache import cache

    cache.clear()  # stay under the rate limit
    before = MembershipApplication.objects.count()
    response = client.post("/members/join/", fields)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert MembershipApplication.objects.count() == before


@pytest.mark.parametrize(
    "path",
    [
        "/news/?tag=%00",
        "/members/?sector=a%00b",
        "/api/v1/news/?search=%00",
        "/search/?q=%00x",
    ],
)
def test_nul_characters_in_the_address_get_a_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/members/?country=%25", "/zh-hans/news/"])
def test_a_host_the_site_is_not_served_under_gets_a_plain_400_page(settings, path):
    from django.test import Client

    settings.DEBUG = False
    response = Client(raise_request_exception=False).get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "does not answer to that name" in page and "evil.example" not in page


def test_a_host_the_api_is_not_served_under_gets_a_json_400(settings):
    from django.test import Client

    settings.DEBUG = False
    response = Client(raise_request_exception=False).get(
        "/api/v1/members/", HTTP_HOST="evil.example:8000"
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "detail": "This site is not served under that host name.",
    }
