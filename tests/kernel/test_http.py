"""HTTP methods as clients expect them, on every public address.

The addresses come from the URL configuration itself, so a new one cannot be
forgotten: the test fails until it has a sample here.
"""

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from registrations.models import MANAGE_SALT
from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    MemberFactory,
    PageFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
    ScenarioFactory,
    SectorFactory,
    TagFactory,
    TombstoneFactory,
)

pytestmark = pytest.mark.django_db

# Every named public route, with the arguments of a sample object (see `site`).
SAMPLES = {
    "healthz": {},
    "readyz": {},
    "robots": {},
    "sitemap": {},
    "sitemap-section": {"section": "news"},
    "api-schema": {},
    "api-docs": {},
    "api:api-root": {},
    "api:tombstone-list": {},
    **{
        f"api:{resource}-{kind}": {"slug": slug} if kind == "detail" else {}
        for resource, slug in [
            ("member", "acme"),
            ("sector", "navigation"),
            ("article", "story"),
            ("tag", "policy"),
            ("scenario", "grid"),
            ("field", "energy"),
            ("event", "forum"),
            ("initiative", "fund"),
            ("page", "about"),
        ]
        for kind in ("list", "detail")
    },
    "news:article-list": {},
    "news:article-detail": {"slug": "story"},
    "news:feed-rss": {},
    "news:feed-atom": {},
    "members:member-list": {},
    "members:member-detail": {"slug": "acme"},
    "members:export-csv": {},
    "members:embed": {},
    "members:join": {},
    "members:join-thanks": {},
    "alliance:home": {},
    "alliance:search": {},
    "alliance:scenario-list": {},
    "alliance:scenario-detail": {"slug": "grid"},
    "alliance:event-list": {},
    "alliance:event-detail": {"slug": "forum"},
    "alliance:event-ical": {"slug": "forum"},
    "alliance:initiative-list": {},
    "alliance:initiative-detail": {"slug": "fund"},
    "choose-language": {},
    "set_language": {},
    "alliance:page-detail": {"slug": "about"},
    "portal:home": {},
    "portal:login": {},
    "portal:logout": {},
    "portal:password-reset": {},
    "portal:password-reset-sent": {},
    "portal:set-password": {"uidb64": "MQ", "token": "abc-def"},
    "portal:set-password-done": {},
    "portal:two-factor": {},
    "portal:change-request": {"slug": "acme"},
    "portal:proposed-logo": {"slug": "acme"},
    "portal:verify": {"slug": "acme"},
    "portal:withdraw": {"slug": "acme"},
    "registrations:register": {"slug": "forum"},
    "registrations:register-thanks": {"slug": "forum"},
    "registrations:manage": {
        "slug": "forum",
        "token": signing.Signer(salt=MANAGE_SALT).sign("sample-code"),
    },
    "registrations:check-in": {"slug": "forum"},
    "registrations:check-in-counts": {"slug": "forum"},
}
# Addresses that answer with a redirect (remember a choice, then go back).
REDIRECTS = {
    "choose-language",
    "set_language",
    # The portal's own pages send an anonymous visitor to sign in.
    "portal:home",
    "portal:two-factor",
    "portal:change-request",
    "portal:proposed-logo",
    "portal:verify",
    "portal:withdraw",
    # The check-in desk sends whoever is not signed in to sign in.
    "registrations:check-in",
    "registrations:check-in-counts",
}
# Where POST is part of what the address does.
TAKES_POST = {
    "members:join",
    "set_language",
    "portal:login",
    "portal:logout",
    "portal:password-reset",
    "portal:set-password",
    "portal:two-factor",
    "portal:change-request",
    "portal:verify",
    "portal:withdraw",
    "registrations:register",
    "registrations:manage",
    "registrations:check-in",
}
# Malformed in every way the pages and the API check; an unsupported method
# must still be told it is not allowed, not that the query is wrong.
BAD_QUERY = (
    "?page=zero&lang=xx&format=xml&updated_since=yesterday&sector=nope"
    "&ordering=sideways&unknown=1&nul=%00&q=" + "x" * 300
)


def route_names(patterns=None, namespace=""):
    """The names of every route in the URL configuration, outside the admin."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = (
                f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
            yield from route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


@pytest.fixture
def site():
    sector = SectorFactory(slug="navigation")
    tag = TagFactory(slug="policy")
    member = MemberFactory(slug="acme", sectors=[sector])
    event = EventFactory(slug="forum", name="Forum; with, text")
    RegistrationFactory(
        event=RegistrationSettingsFactory(event=event).event, code="sample-code"
    )
    scenario = ScenarioFactory(slug="grid", field__slug="energy")
    InitiativeFactory(slug="fund").participants.add(member)
    ArticleFactory(
        slug="story", tags=[tag], members=[member], scenarios=[scenario], event=event
    )
    PageFactory(slug="about")
    TombstoneFactory()


def url_of(name):
    url = reverse(name, kwargs=SAMPLES[name])
    queries = {
        "alliance:search": "?q=forum",
        "choose-language": "?language=zh-hans&next=/news/",
        "set_language": "?next=/admin/",
    }
    return url + queries.get(name, "")


def headers_of(response):
    headers = dict(response.headers)
    if "Content-Security-Policy" in headers:
        # Directives in no particular order.
        headers["Content-Security-Policy"] = sorted(
            headers["Content-Security-Policy"].split("; ")
        )
    return headers


def test_every_public_route_has_a_sample():
    assert set(route_names()) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_public_route_answers_head_options_and_405_as_clients_expect(site, name):
    url = url_of(name)
    client = Client()
    # HEAD: the status and headers of GET, no body. One instant for all, so
    # that anything dated (an .ics stamp, Expires) agrees.
    with time_machine.travel(timezone.now(), tick=False):
        head = client.head(url)
        get = client.get(url)
        again = client.get(url)
        conditional = client.head(url, headers={"If-None-Match": get.get("ETag", "")})
    assert get.status_code == (302 if name in REDIRECTS else 200), url
    assert head.status_code == get.status_code
    head_headers, get_headers, again_headers = map(headers_of, (head, get, again))
    # What differs between two GETs by design (a CSP nonce, a form's masked
    # CSRF token and so the ETag) may differ for HEAD too; nothing else.
    volatile = {
        name for name in get_headers if get_headers[name] != again_headers.get(name)
    }
    assert head_headers.keys() == get_headers.keys(), url
    differing = {
        name: (head_headers[name], get_headers[name])
        for name in get_headers.keys() - volatile
        if head_headers[name] != get_headers[name]
    }
    assert not differing, (url, differing)
    assert head.content == b""
    assert get.content or name in REDIRECTS
    # A conditional HEAD is answered like a conditional GET.
    if "ETag" in get_headers and "ETag" not in volatile:
        assert conditional.status_code == 304, url

    # OPTIONS: 200 and what the address answers.
    response = client.options(url)
    assert response.status_code == 200, url
    allowed = {method.strip() for method in response["Allow"].split(",")}
    assert {"GET", "HEAD", "OPTIONS"} <= allowed
    assert ("POST" in allowed) == (name in TAKES_POST)

    # Anything else: 405 with Allow, as a browser or a script would meet it
    # (CSRF check on, a wrong key, a malformed query).
    client = Client(enforce_csrf_checks=True, headers={"X-Api-Key": "wrong.key"})
    for method in ["PUT", "DELETE", "PATCH", "POST"]:
        if method in allowed:
            continue
        response = client.generic(method, url + BAD_QUERY)
        assert response.status_code == 405, (method, url, response.content[:200])
        refused = {m.strip() for m in response["Allow"].split(",")}
        assert refused == allowed, (method, url)


def test_the_api_preflight_allows_the_key_header(client):
    response = client.options(
        "/api/v1/members/",
        headers={
            "Origin": "https://partner.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        },
    )
    assert response.status_code == 200
    assert "x-api-key" in response["Access-Control-Allow-Headers"].lower()
    assert response["Access-Control-Allow-Origin"] == "*"
