"""The rush at an event's opening: 1,000 registrations in a minute, then 1,000 check-ins.

Against gunicorn (production settings) and the PostgreSQL database of
DATABASE_URL (by default alliance_rush on the local server, created and
migrated when missing). Each registrant is a client of its own: it loads
the form (for the CSRF cookie) and sends it, from its own address (the
server trusts one proxy, as behind a reverse proxy, so the per-address
rate limit counts each client apart). The event has fewer places than
registrants: the rest must land on the waiting list, none beyond the
capacity. Then the door scans every confirmed ticket, and some again (a ticket
shown twice), as many scans as there were registrants.

Passes (exit 0) with no error, no overbooking and a p99 under the limit
(300 ms) in both phases. Emails are rendered (ticket and calendar file
included) but not sent.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_rush make rush
    .venv/bin/python bench/registration_rush.py --registrations 200 --seconds 12
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from harness import ROOT, production_env, start_gunicorn, stop

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/alliance_rush"
EVENT = "rush-forum"
P99_LIMIT_MS = 300
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect())


class Client:
    """A browser, as far as the server can tell: its cookies, its address, HTTPS.

    The server runs with production settings behind a trusted proxy: the
    proxy's X-Forwarded-Proto says the request came over HTTPS (so secure
    cookies and the CSRF check's Referer rule apply as in production), and
    X-Forwarded-For gives each client its own address.
    """

    def __init__(self, base, address, cookies=None):
        self.base = base
        self.address = address
        self.cookies = dict(cookies or {})

    def request(self, path, data=None, headers=None):
        """(status, body, milliseconds); a refused connection is status 0."""
        headers = {
            "X-Forwarded-For": self.address,
            "X-Forwarded-Proto": "https",
            "Referer": "https://" + urllib.parse.urlsplit(self.base).netloc + path,
            **(headers or {}),
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        started = time.perf_counter()
        try:
            with OPENER.open(request, timeout=30) as response:
                status, content, sent = (
                    response.status,
                    response.read(),
                    response.headers,
                )
        except urllib.error.HTTPError as error:
            status, content, sent = error.code, error.read(), error.headers
        except OSError:
            status, content, sent = 0, b"", {}
        elapsed = (time.perf_counter() - started) * 1000
        for header in sent.get_all("Set-Cookie") or [] if sent else []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, content, elapsed


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def paced(count, seconds, work, threads):
    """Start work(i) at an even pace over `seconds`; return the results in order."""
    start = time.monotonic() + 0.5
    interval = seconds / count

    def at_its_time(i):
        delay = start + i * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return work(i)

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(at_its_time, range(count)))
    return results, time.monotonic() - start


def register(base, i):
    """One registrant: the form, then the answer; (ok, post_ms, get_ms, status)."""
    browser = Client(base, f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}")
    path = f"/events/{EVENT}/register/"
    status, body, get_ms = browser.request(path)
    token = CSRF_INPUT.search(body.decode(errors="replace"))
    if status != 200 or not token:
        return False, 0.0, get_ms, status
    status, _body, post_ms = browser.request(
        path,
        {
            "csrfmiddlewaretoken": token.group(1),
            "name": f"Registrant {i}",
            "email": f"rush{i}@example.org",
            "organization": "Orbit Works",
            "title": "Engineer",
            "country": "CN",
            "language": "zh-hans" if i % 2 else "en",
            "consent": "on",
            "website_url_confirm": "",
        },
    )
    return status == 302, post_ms, get_ms, status


def setup(env, database_url, capacity):
    """Create, migrate and reset the database; return (tickets of nobody yet, staff cookie)."""
    name = urllib.parse.urlsplit(database_url).path.strip("/")
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", name],
        capture_output=True,
        check=False,
    )
    for command in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    # The server's settings, so that the session made here is valid there.
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.project.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import datetime

    from django.apps import apps
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from alliance.content.models import Event
    from alliance.kernel.roles import sync_roles
    from registrations.models import Registration, RegistrationSettings

    sync_roles(apps)
    Event.objects.filter(slug=EVENT).delete()
    today = timezone.localdate()
    event = Event.objects.create(
        slug=EVENT,
        name="Rush Forum",
        name_en="Rush Forum",
        name_zh_hans="高峰论坛",
        status="published",
        starts_on=today + datetime.timedelta(days=7),
        ends_on=today + datetime.timedelta(days=8),
    )
    RegistrationSettings.objects.create(event=event, capacity=capacity)
    user, _created = User.objects.get_or_create(
        username="rush-door", defaults={"is_staff": True}
    )
    user.groups.add(Group.objects.get(name="Event staff"))
    # A signed-in session, as the admin's sign-in makes one.
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return event, Registration, session.session_key, settings.SESSION_COOKIE_NAME


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60, help="registration phase")
    parser.add_argument("--capacity", type=int, default=None, help="default: 90%%")
    parser.add_argument("--checkin-seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=48)
    parser.add_argument("--port", type=int, default=None, help="default: a free one")
    args = parser.parse_args()
    capacity = args.capacity or int(args.registrations * 0.9)
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE
    if not database_url.startswith("postgres"):
        sys.exit("The rush needs PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    env = production_env(
        DATABASE_URL=database_url,
        TRUSTED_PROXIES="1",
        EMAIL_URL="dummymail://",
        RESPONSE_CACHE_SECONDS="0",
    )
    event, Registration, session_key, cookie_name = setup(env, database_url, capacity)
    from django.db.models import Count

    server, base = start_gunicorn(env, workers=args.workers, port=args.port, wait=90)
    report = {
        "registrations": args.registrations,
        "capacity": capacity,
        # Other work on the machine slows every answer: say how busy it was.
        "load_average_before": round(os.getloadavg()[0], 1),
    }
    try:
        # Phase 1: everyone registers within the minute.
        results, took = paced(
            args.registrations,
            args.seconds,
            lambda i: register(base, i),
            args.threads,
        )
        errors = [r for r in results if not r[0]]
        report["register"] = {
            "seconds": round(took, 1),
            "errors": len(errors),
            "error_statuses": sorted({r[3] for r in errors}),
            "post_p50_ms": round(percentile([r[1] for r in results], 50), 1),
            "post_p99_ms": round(percentile([r[1] for r in results], 99), 1),
            "form_p99_ms": round(percentile([r[2] for r in results], 99), 1),
        }
        statuses = dict(
            Registration.objects.filter(event=event)
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        report["stored"] = statuses
        overbooked = statuses.get("confirmed", 0) > capacity

        # Phase 2: the door scans every confirmed ticket, and the first ones again.
        tickets = [
            r.ticket_token
            for r in Registration.objects.filter(event=event, status="confirmed")
        ]
        # As many scans as registrants: every confirmed ticket, and the
        # first ones again (a ticket shown twice), up to the count.
        scans = (tickets * 2)[: max(args.registrations, len(tickets))]
        desk_path = f"/events/{EVENT}/check-in/"
        door = Client(base, "10.255.0.1", {cookie_name: session_key})
        status, body, _ms = door.request(desk_path)
        csrf = CSRF_INPUT.search(body.decode(errors="replace"))
        if status != 200 or not csrf:
            raise RuntimeError(f"the check-in desk answered {status}")
        cookies = dict(door.cookies)
        lock = threading.Lock()
        answers = {}

        def scan(i):
            # Several phones at the door, one session: each request its own client.
            phone = Client(base, "10.255.0.1", cookies)
            status, body, ms = phone.request(
                desk_path,
                {"ticket": scans[i]},
                {"Accept": "application/json", "X-CSRFToken": csrf.group(1)},
            )
            result = json.loads(body).get("result") if status == 200 else None
            with lock:
                answers[result] = answers.get(result, 0) + 1
            return status == 200, ms

        results, took = paced(len(scans), args.checkin_seconds, scan, args.threads)
        checked_in = Registration.objects.filter(
            event=event, checked_in_at__isnull=False
        ).count()
        report["check_in"] = {
            "scans": len(scans),
            "seconds": round(took, 1),
            "errors": sum(1 for ok, _ms in results if not ok),
            "answers": answers,
            "checked_in": checked_in,
            "p50_ms": round(percentile([ms for _ok, ms in results], 50), 1),
            "p99_ms": round(percentile([ms for _ok, ms in results], 99), 1),
        }
    finally:
        stop(server)

    report["load_average_after"] = round(os.getloadavg()[0], 1)
    report["overbooked"] = overbooked
    check = report["check_in"]
    passed = (
        report["register"]["errors"] == 0
        and not overbooked
        and sum(statuses.values()) == args.registrations
        and check["errors"] == 0
        and check["checked_in"] == len(tickets)
        and check["answers"].get("checked_in") == len(tickets)
        and report["register"]["post_p99_ms"] < P99_LIMIT_MS
        and check["p99_ms"] < P99_LIMIT_MS
    )
    report["passed"] = passed
    print(json.dumps(report, indent=2))
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    Path(results_dir / "registration-rush.json").write_text(
        json.dumps(report, indent=2) + "\n"
    )
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
