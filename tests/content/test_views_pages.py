import pytest
from django.test import override_settings

from tests.factories import PageFactory
from tests.helpers import assert_valid_html


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
