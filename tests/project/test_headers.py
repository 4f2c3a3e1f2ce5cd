"""Security headers on every kind of page, in production settings."""

import pytest

from tests.factories import ArticleFactory, MemberFactory, PageFactory

pytestmark = pytest.mark.django_db

KINDS_OF_PAGE = {
    "home": "/",
    "site page": "/about/",
    "article": "/news/story/",
    "chinese page": "/zh-hans/members/acme/",
    "form": "/members/join/",
    "not found": "/no-such-page/",
    "bad request": "/news/?tag=nope",
    "health": "/healthz",
    "api": "/api/v1/news/",
    "api docs": "/api/docs/",
    "feed": "/news/feed/",
    "admin login": "/admin/login/",
}


@pytest.fixture
def production(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    PageFactory(slug="about")
    ArticleFactory(slug="story")
    MemberFactory(slug="acme")


@pytest.mark.parametrize(("kind", "path"), KINDS_OF_PAGE.items())
def test_every_kind_of_page_carries_the_security_headers(
    client, production, kind, path
):
    response = client.get(path, secure=True)
    csp = response["Content-Security-Policy"]
    assert (
        "default-src 'self'" in csp
        and "object-src 'none'" in csp
        and "frame-ancestors 'none'" in csp
    )
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert (
        response["Strict-Transport-Security"]
        == "max-age=31536000; includeSubDomains; preload"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert (
        "camera=()" in response["Permissions-Policy"]
        and "geolocation=()" in response["Permissions-Policy"]
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style_except_json_ld_data(client, production):
    import re

    for path in ("/", "/news/story/", "/members/acme/", "/about/"):
        response = client.get(path)
        html = response.content.decode()
        assert ' style="' not in html, path
        for tag in re.findall(r"<script[^>]*>", html):
            # Data blocks are never run, so the policy need not allow them;
            # the one script is a file of the site's own ('self'), never inline.
            assert tag == '<script type="application/ld+json">' or re.fullmatch(
                r'<script src="/static/[\w/.-]+\.js" defer>', tag
            ), (path, tag)
        assert re.findall(r'<script src="[^"]+" defer>(.*?)</script>', html) == [""]
        # No nonce: the page is the same for everyone, so it can be cached whole.
        assert "nonce-" not in response["Content-Security-Policy"], path


def test_only_the_embed_page_may_be_framed(client, production):
    response = client.get("/embed/members/")
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]


def test_cookies_are_secure_in_production():
    import subprocess
    import sys

    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT)"
    )
    env = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "k" * 60,
           "DJANGO_SETTINGS_MODULE": "alliance.project.settings"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "True", "True"]


def assert_security_headers(response):
    """The site's whole Content-Security-Policy and the other security headers."""
    csp = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp, (directive, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert (
        "camera=()" in response["Permissions-Policy"]
        and "geolocation=()" in response["Permissions-Policy"]
    )
    assert (
        response["Strict-Transport-Security"]
        == "max-age=31536000; includeSubDomains; preload"
    )


def test_the_server_error_page_carries_the_security_headers(production, monkeypatch):
    from django.test import Client

    from members.views import MemberListView

    def fail(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(MemberListView, "get_queryset", fail)
    response = Client(raise_request_exception=False).get("/members/", secure=True)
    assert response.status_code == 500
    assert_security_headers(response)


def test_the_database_unavailable_page_carries_the_security_headers(
    client, production, monkeypatch
):
    from django.db import OperationalError

    from members.views import MemberListView

    def database_away(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(MemberListView, "get_queryset", database_away)
    response = client.get("/members/", secure=True)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert_security_headers(response)
