"""An editor writes an article in the rich-text editor, schedules it, edits it and restores a version."""

import datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from alliance.kernel.roles import sync_roles
from news.models import Article
from tests.helpers import png_bytes, role_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_writes_schedules_edits_and_restores_an_article(
    live_server, page, tmp_path
):
    # A transactional test starts from an emptied database: the roles again.
    sync_roles(apps)
    editor = User.objects.create_user("writer", password="a-long-password-for-tests")
    editor.is_staff = True
    editor.save()
    editor.groups.add(role_group("Editors"))
    refused = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and refused.append(m.text),
    )
    picture = tmp_path / "dish.png"
    picture.write_bytes(png_bytes((800, 600)))
    cover = tmp_path / "cover.png"
    cover.write_bytes(png_bytes((1600, 900)))

    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("writer")
    page.get_by_label("Password").fill("a-long-password-for-tests")
    page.get_by_role("button", name="Log in").click()

    # Write: the body in the editor, a picture uploaded from it.
    page.goto(live_server.url + "/admin/news/article/add/")
    page.locator("#id_title_en").fill("Ground station opens")
    body = page.locator(".prose-editor:has(#id_body_en) .ProseMirror[contenteditable]")
    body.click()
    body.press_sequentially("The new station receives data from orbit.")
    page.locator(".prose-editor:has(#id_body_en)").get_by_title(
        "figure", exact=True
    ).click()
    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Browse...").click()
    popup = popup_info.value
    popup.locator("#id_image").set_input_files(str(picture))
    popup.locator("#id_alt").fill("A dish antenna at dusk")
    # The window hands the picture to the dialog and closes itself.
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Upload and insert").click()
    page.get_by_role("button", name="Insert", exact=True).click()
    expect(body.locator('img[alt="A dish antenna at dusk"]')).to_be_visible()
    # And a cover for the lists and the share card.
    page.locator("#id_cover_image").set_input_files(str(cover))
    page.locator("#id_cover_alt_en").or_(page.locator("#id_cover_alt")).first.fill(
        "The station's dishes from above"
    )

    # Schedule it for tomorrow.
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    page.locator("#id_status").select_option("published")
    page.locator("#id_published_at_0").fill(tomorrow.strftime("%Y-%m-%d"))
    page.locator("#id_published_at_1").fill("09:00:00")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    article = Article.objects.get(slug="ground-station-opens")
    assert not article.is_published
    assert 'alt="A dish antenna at dusk"' in article.body_en
    assert article.cover_image and article.cover_small

    # Preview: the picture and the text as readers will see them.
    preview = page.context.new_page()
    preview.goto(live_server.url + article.get_absolute_url() + "?preview")
    expect(preview.locator('article img[alt="A dish antenna at dusk"]')).to_be_visible()
    expect(
        preview.locator('img[alt="The station\'s dishes from above"]')
    ).to_be_visible()
    preview.close()

    # After it is out: change the headline, the cover kept (the save that
    # once answered 500 for any record with an image).
    Article.objects.filter(pk=article.pk).update(
        published_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    page.reload()
    page.locator("#id_title_en").fill("Ground station opens in Chongqing")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    article.refresh_from_db()
    assert article.cover_image

    # History: who and the before and after; restore the first version.
    page.get_by_role("link", name="History").click()
    changes = page.locator("#change-history")
    expect(changes).to_contain_text("Ground station opens in Chongqing")
    expect(changes).to_contain_text("writer")
    page.locator("#change-history tbody tr").last.locator("a").first.click()
    expect(page.locator("#id_title_en")).to_have_value("Ground station opens")
    page.get_by_role("button", name="Revert").click()
    expect(page.locator(".messagelist")).to_be_visible()
    article.refresh_from_db()
    assert article.title_en == "Ground station opens"
    assert article.history.count() == 3
    assert refused == []
