import pytest
from django.db import DatabaseError
from django.test import override_settings

from tests.factories import PageFactory
from tests.helpers import assert_valid_html


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_a_reachable_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_fails(client, monkeypatch):
    from alliance.kernel import health

    def broken_cursor():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable"


def test_health_checks_refuse_other_methods(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_home_page_has_layout_landmarks(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert 'class="skip-link" href="#main"' in html
    for landmark in ("<header", "<main", "<footer", "<nav"):
        assert landmark in html


@pytest.mark.django_db
def test_chinese_home_page_is_served_under_its_prefix(client):
    response = client.get("/zh-hans/")
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.django_db
def test_every_page_links_its_other_language_versions(client):
    html = client.get("/").content.decode()
    assert 'hreflang="zh-hans" href="http://testserver/zh-hans/"' in html
    assert 'hreflang="x-default" href="http://testserver/"' in html


@pytest.mark.django_db
def test_unknown_address_gets_the_site_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_server_error_page_stands_alone(client):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert "服务器出现错误" in html


@pytest.mark.django_db
def test_published_site_page_is_served_and_draft_is_not(client):
    PageFactory(slug="about", title="About us", body="<h2>Mission</h2><p>Text.</p>")
    PageFactory(slug="charter", title="Charter", status="draft")
    response = client.get("/about/")
    assert response.status_code == 200
    assert '<h2 id="mission">' in response.content.decode()
    assert client.get("/charter/").status_code == 404


@pytest.mark.django_db
def test_footer_lists_only_published_pages(client):
    PageFactory(slug="about", title="About us")
    PageFactory(slug="secret-draft", title="Secret draft", status="draft")
    html = client.get("/").content.decode()
    assert "About us" in html
    assert "Secret draft" not in html


def test_debug_off_without_secret_key_refuses_to_start(monkeypatch):
    import subprocess
    import sys

    env = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "import alliance.project.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_production_settings_pass_the_deploy_check():
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x" * 30 + "a-long-random-production-key-0123456789",
        "DJANGO_ALLOWED_HOSTS": "alliance.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@override_settings(ICP_FILING_NUMBER="渝ICP备00000000号")
@pytest.mark.django_db
def test_icp_filing_number_appears_in_the_footer_when_set(client):
    assert "渝ICP备00000000号" in client.get("/").content.decode()


@pytest.mark.django_db
def test_staff_can_preview_a_draft_page_and_visitors_cannot(client, admin_client):
    PageFactory(slug="charter", title="Draft charter", status="draft")
    assert client.get("/charter/?preview").status_code == 404
    response = admin_client.get("/charter/?preview")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert admin_client.get("/charter/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/zh-hans/", "/about/", "/no-such-page/"])
def test_rendered_pages_are_valid_html(client, path):
    PageFactory(
        slug="about",
        title="About",
        body="<h2>A</h2><table><thead><tr><th>x</th><th>y</th></tr></thead>"
        "<tbody><tr><td>1</td><td>2</td></tr></tbody></table>",
    )
    assert_valid_html(client.get(path).content.decode())


def test_server_error_page_is_valid_html():
    from django.template.loader import render_to_string

    assert_valid_html(render_to_string("500.html"))


@pytest.mark.django_db
def test_page_query_budget_does_not_grow_with_pages(client, assert_max_queries):
    PageFactory(slug="about")
    PageFactory.create_batch(20)
    with assert_max_queries(4):  # with the read of the change time
        client.get("/about/")
