"""A partner's receiver is told of an article as an editor publishes and withdraws it.

Everything is real: the admin in Chromium, the site (live server), a worker
process, and the example receiver (examples/webhook_receiver.py) keeping
the mirror of examples/sync_client.py.
"""

import os
import queue
import socket
import sqlite3
import subprocess
import sys
import threading

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from playwright.sync_api import expect

from alliance.kernel.roles import sync_roles
from tests.factories import DeliveryFactory
from tests.helpers import ROOT, role_group

pytestmark = [
    pytest.mark.browser,
    pytest.mark.once,
    pytest.mark.django_db(transaction=True),
    # The site queues tasks in the database; the worker process runs them.
    pytest.mark.usefixtures("database_tasks"),
]
PASSWORD = "a-long-password-for-tests"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url():
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:"
        f"{settings['PORT']}/{settings['NAME']}"
    )


class Process:
    """A child process whose output lines can be waited for, without sleeping."""

    def __init__(self, command, env):
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = queue.Queue()
        self.seen = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.popen.stdout:
            self.lines.put(line)

    def wait_for(self, text, timeout=60):
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {text!r} in {self.seen}") from None
            self.seen.append(line)
            if text in line:
                return line

    def stop(self):
        self.popen.terminate()
        try:
            self.popen.wait(30)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(30)
        self.reader.join(30)
        self.popen.stdout.close()


def mirrored(path):
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT slug FROM item")}


def log_in(page, live_server, username):
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_partner_mirror_follows_an_article_published_and_withdrawn(
    live_server, page, browser, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the database: PostgreSQL")
    sync_roles(apps)
    User.objects.create_superuser("secretariat", "sec@example.org", PASSWORD)
    editor = User.objects.create_user("writer", password=PASSWORD, is_staff=True)
    editor.groups.add(role_group("Editors"))
    port = free_port()
    mirror = tmp_path / "mirror.sqlite3"
    processes = []

    try:
        # The secretariat adds the partner's endpoint and passes on its secret.
        log_in(page, live_server, "secretariat")
        page.goto(live_server.url + "/admin/webhooks/endpoint/add/")
        page.get_by_label("Partner").fill("Open Orbit Portal")
        page.get_by_label("URL").fill(f"http://127.0.0.1:{port}/hooks")
        page.get_by_label("news").check()
        page.get_by_label("Contact email").fill("ops@open-orbit.example")
        page.get_by_role("button", name="Save", exact=True).click()
        secret = page.locator("#webhook-secret").inner_text()
        assert secret.startswith("whsec_")

        receiver = Process(
            [
                sys.executable,
                "examples/webhook_receiver.py",
                live_server.url,
                str(mirror),
                "--port",
                str(port),
            ],
            {"WEBHOOK_SECRET": secret},
        )
        processes.append(receiver)
        receiver.wait_for("Listening on")
        worker = Process(
            [sys.executable, "manage.py", "worker", "--interval", "0.2"],
            {
                "DATABASE_URL": database_url(),
                "TASKS_BACKEND": "database",
                "DJANGO_DEBUG": "true",
                "SITE_URL": live_server.url,
            },
        )
        processes.append(worker)

        # An editor publishes an article...
        editor_page = browser.new_page()
        log_in(editor_page, live_server, "writer")
        editor_page.goto(live_server.url + "/admin/news/article/add/")
        editor_page.locator("#id_title_en").fill("Ground station opens")
        body = editor_page.locator(
            ".prose-editor:has(#id_body_en) .ProseMirror[contenteditable]"
        )
        body.click()
        body.press_sequentially("The new station receives data from orbit.")
        editor_page.locator("#id_status").select_option("published")
        editor_page.get_by_role("button", name="Save and continue editing").click()
        expect(editor_page.locator(".messagelist")).to_contain_text(
            "was added successfully"
        )
        receiver.wait_for("news.published ground-station-opens")
        assert mirrored(mirror) == {"ground-station-opens"}

        # ...and withdraws it.
        editor_page.locator("#id_status").select_option("draft")
        editor_page.get_by_role("button", name="Save and continue editing").click()
        expect(editor_page.locator(".messagelist")).to_contain_text(
            "was changed successfully"
        )
        receiver.wait_for("news.withdrawn ground-station-opens")
        assert mirrored(mirror) == set()

        # The secretariat sees both deliveries, each delivered at the first try.
        page.goto(live_server.url + "/admin/webhooks/delivery/")
        expect(page.locator("#result_list tbody tr")).to_have_count(2)
        expect(page.locator("#result_list")).not_to_contain_text("pending")
    finally:
        for process in processes:
            process.stop()


def test_send_again_is_drawn_like_the_admins_own_tools(live_server, page, tmp_path):
    User.objects.create_superuser("secretariat", "sec@example.org", PASSWORD)
    delivery = DeliveryFactory()
    log_in(page, live_server, "secretariat")
    page.goto(f"{live_server.url}/admin/webhooks/delivery/{delivery.pk}/change/")
    button = page.get_by_role("button", name="Send again")
    history = page.locator(".object-tools a.historylink")
    expect(button).to_be_visible()
    expect(history).to_be_visible()
    look = (
        "e => { const s = getComputedStyle(e); return [s.borderRadius,"
        " s.backgroundColor, s.color, s.textTransform, s.fontSize, s.fontWeight,"
        " s.paddingTop, s.paddingLeft, s.letterSpacing, s.borderTopWidth]; }"
    )
    assert button.evaluate(look) == history.evaluate(look)
    # Side by side, on one line, of one height.
    box, other = button.bounding_box(), history.bounding_box()
    assert abs(box["y"] - other["y"]) < 1 and abs(box["height"] - other["height"]) < 1
    page.screenshot(path=str(tmp_path / "send-again.png"))
    button.click()
    expect(page.locator(".messagelist")).to_contain_text("will be sent again")
