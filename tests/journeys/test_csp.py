"""Under the strict Content-Security-Policy, the API docs and the admin still work."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_for_csp_violations(page):
    refused = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and refused.append(message.text)
        ),
    )
    return refused


def test_api_docs_render_under_the_policy(live_server, page):
    refused = watch_for_csp_violations(page)
    page.goto(live_server.url + "/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)
    expect(page.get_by_text("/api/v1/members/", exact=True).first).to_be_visible()
    # Swagger UI also tries to inject <style> elements; the policy blocks them without harm
    # (its stylesheet is a file). No script may be refused.
    assert [text for text in refused if "script" in text.lower()] == []


def test_admin_forms_work_under_the_policy(live_server, page):
    User.objects.create_superuser(
        "chief", "chief@example.org", "a-long-and-unusual-password-42"
    )
    refused = watch_for_csp_violations(page)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill("a-long-and-unusual-password-42")
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/admin/news/article/add/")
    # The slug is prepopulated from the English title by the admin's own script.
    page.locator("#id_title_en").press_sequentially("Launch day in Chongqing")
    expect(page.locator("#id_slug")).to_have_value("launch-day-in-chongqing")
    assert [text for text in refused if "script" in text.lower()] == [], refused
