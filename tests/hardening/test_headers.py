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


def test_pages_have_no_inline_script_or_style_except_nonced_data(client, production):
    import re

    for path in ("/", "/news/story/", "/members/acme/", "/about/"):
        response = client.get(path)
        html = response.content.decode()
        assert ' style="' not in html, path
        scripts = re.findall(r"<script[^>]*>", html)
        if not scripts:
            continue
        nonce = re.search(
            r"'nonce-([^']+)'", response["Content-Security-Policy"]
        ).group(1)
        for tag in scripts:
            assert 'type="application/ld+json"' in tag and f'nonce="{nonce}"' in tag, (
                path,
                tag,
            )


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
           "DJANGO_SETTINGS_MODULE": "alliance.settings"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "True", "True"]
