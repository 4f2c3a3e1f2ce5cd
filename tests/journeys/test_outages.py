"""The site through outages of its real services, under load from a real client.

The module starts its own PostgreSQL cluster (initdb, pg_ctl), its own
redis-server and gunicorn with two workers and production settings, on ports
of their own, and then takes the services away one at a time: Redis
refusing connections, Redis hung (`CLIENT PAUSE`), PostgreSQL stopped.
Through each, a few seconds of concurrent requests, sign-ins and join-form
posts show what visitors, managers and applicants get, and the database
afterwards shows that nothing written was lost or half-written.
"""

import concurrent.futures
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# The ports this suite may use; each server takes the first free one.
PORTS = range(19500, 19600)
PAGES = [
    "/", "/news/", "/news/outage-story/", "/members/", "/members/?q=orbit",
    "/scenarios/", "/events/", "/search/?q=energy", "/news/feed/", "/sitemap.xml",
    "/api/v1/news/", "/api/v1/members/", "/zh-hans/news/",
]  # fmt: skip
LOAD_SECONDS = 3

pytestmark = [
    pytest.mark.skipif(
        not (shutil.which("redis-server") and (PG_BIN / "initdb").exists())
        and not os.environ.get("CI"),
        reason="needs redis-server and PostgreSQL 15's initdb",
    ),
    pytest.mark.timeout(300),
    pytest.mark.once,
]


def free_port(taken=()):
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in the range")


def wait_for_port(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


def as_postgres(command):
    """Run a PostgreSQL server command, as the postgres user when we are root."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, text=True)


class Postgres:
    def __init__(self, folder, port):
        self.folder, self.port = folder, port
        self.data = folder / "data"

    def init(self):
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
             "-A", "trust", "-E", "UTF8"]
        )  # fmt: skip
        self.start()
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "outages"],
            check=True,
        )  # fmt: skip

    def start(self):
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
             "-o", options, "-w", "start"]
        )  # fmt: skip

    def stop(self):
        as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        )

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/outages"

    def query(self, sql):
        result = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d",
             "outages", "-tAc", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return result.stdout.strip()


class Redis:
    def __init__(self, port):
        self.port = port
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self):
        """Shut down: connections are refused until `start`."""
        self.process.terminate()
        self.process.wait()

    def pause(self, milliseconds):
        """Hang every client for a while; the server stays up."""
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "client", "pause", str(milliseconds), "ALL"],
            check=True, capture_output=True,
        )  # fmt: skip


class Answer:
    def __init__(self, status, body, headers):
        self.status, self.body, self.headers = status, body, headers


class Site:
    """gunicorn with two workers, production settings, and a client for it."""

    def __init__(self, env, port, log):
        self.env, self.port, self.log = env, port, log
        self.base = f"http://127.0.0.1:{port}"
        self.server = self.output = None

    def start(self):
        self.output = self.log.open("ab")
        self.server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "alliance.project.wsgi",
             "--workers", "2", "--bind", f"127.0.0.1:{self.port}", "--timeout", "30"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=self.output,
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self):
        self.server.terminate()
        self.server.wait()
        self.output.close()

    def manage(self, *args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.env, check=True, capture_output=True, text=True,
        )  # fmt: skip

    def request(self, path, data=None, headers=None, timeout=60):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.base + path, data=body, headers=headers or {}
        )
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=timeout) as response:
                return Answer(
                    response.status, response.read().decode(), response.headers
                )
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), error.headers)

    def form(self, path):
        """The CSRF cookie and token of the form at `path`, as a browser would hold them.

        The cookie is marked Secure, which a plain-HTTP cookie jar would not
        send back: the header is passed by hand.
        """
        answer = self.request(path)
        cookie = re.search(r"csrftoken=([^;]+)", answer.headers["Set-Cookie"]).group(1)
        token = re.search(
            r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.body
        ).group(1)
        return {"Cookie": f"csrftoken={cookie}"}, token

    def post_form(self, path, fields, address):
        headers, token = self.form(path)
        headers["X-Forwarded-For"] = address
        return self.request(path, {**fields, "csrfmiddlewaretoken": token}, headers)

    def load(self, seconds=LOAD_SECONDS, connections=4):
        """Request the pages round and round from several connections; return the statuses."""
        deadline = time.monotonic() + seconds

        def client(offset):
            statuses = []
            index = offset
            while time.monotonic() < deadline:
                statuses.append(self.request(PAGES[index % len(PAGES)]).status)
                index += 1
            return statuses

        with concurrent.futures.ThreadPoolExecutor(connections) as pool:
            results = pool.map(client, range(connections))
        return [status for statuses in results for status in statuses]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def application(number):
    return {
        "organization_name": f"Outage Applicant {number}",
        "country": "SG",
        "capability": "Ground stations.",
        "contact_name": "Ada",
        "contact_email": f"ada{number}@orbit.example",
        "website": "https://orbit.example",
    }


SETUP = """
from django.contrib.auth import get_user_model
from news.models import Article
from alliance.kernel.publishing import Status
from django.utils import timezone
get_user_model().objects.create_superuser("manager", "m@example.org", "correct horse battery")
Article.objects.create(slug="outage-story", title="Outage story", summary="A story.",
                       body="Text.", status=Status.PUBLISHED, published_at=timezone.now())
"""


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outages")
    taken = set()
    # Outside pytest's temporary folders, which the postgres user cannot enter.
    pg_folder = Path(tempfile.mkdtemp(prefix="alliance-outages-"))
    pg_folder.chmod(0o755)
    postgres = Postgres(pg_folder, free_port())
    taken.add(postgres.port)
    redis = Redis(free_port(taken))
    taken.add(redis.port)
    postgres.init()
    redis.start()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "outage-test-" + "k" * 50,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_MANIFEST": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": postgres.url,
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "WEB_CONCURRENCY": "2",
        "TRUSTED_PROXIES": "1",
        "MEDIA_ROOT": str(folder / "media"),
        "EMAIL_URL": "consolemail://",
        # The load below reads the API from one address far faster than a
        # client may; what is measured is the outage, not the allowance.
        "API_ANON_RATE": "100000/min",
    }
    site = Site(env, free_port(taken), folder / "gunicorn.log")
    site.manage("migrate", "--no-input", "-v0")
    site.manage("shell", "-c", SETUP)
    site.start()
    try:
        yield site, redis, postgres
    finally:
        site.stop()
        with contextlib.suppress(Exception):
            redis.stop()
        with contextlib.suppress(Exception):
            postgres.stop()
        shutil.rmtree(pg_folder, ignore_errors=True)


def log_of(site, since):
    return site.log.read_bytes()[since:].decode(errors="replace")


def test_redis_hung_pages_keep_coming_and_a_withdrawal_is_final(services):
    site, redis, postgres = services
    for path in PAGES:  # every page once into the cache
        assert site.request(path).status == 200, path
    assert "Outage story" in site.request("/news/").body
    log_start = site.log.stat().st_size

    redis.pause(2 * LOAD_SECONDS * 1000 + 5000)
    # An editor withdraws the article while Redis hangs.
    site.manage(
        "shell",
        "-c",
        "from news.models import Article; Article.objects.filter(slug='outage-story').unpublish()",
    )
    statuses = site.load()
    ready = site.request("/readyz")

    assert statuses and all(status < 500 for status in statuses)
    # Not one request per Redis timeout: the workers stop asking it.
    # (With a 0.5 s wait per call, it was one answer in three seconds.)
    assert len(statuses) >= 3 * LOAD_SECONDS
    assert ready.status == 200 and '"cache": "degraded"' in ready.body
    assert site.request("/news/outage-story/").status == 404
    for path in (
        "/news/",
        "/news/feed/",
        "/api/v1/news/",
        "/sitemap.xml",
        "/zh-hans/news/",
    ):
        assert "outage-story" not in site.request(path).body, path
    log = log_of(site, log_start)
    assert "Traceback" not in log
    assert log.count("unreachable") <= 2  # one line per worker and outage


def test_redis_refusing_pages_serve_sign_in_locks_out_applications_land(services):
    site, redis, postgres = services
    redis.stop()
    try:
        log_start = site.log.stat().st_size
        statuses = site.load()
        ready = site.request("/readyz")

        # Guessing a password: the lockout engages after five failures and
        # then holds even for the right password; never a 500.
        sign_in = []
        for password in [
            "guess-1",
            "guess-2",
            "guess-3",
            "guess-4",
            "guess-5",
            "correct horse battery",
        ]:
            sign_in.append(site.post_form(
                "/admin/login/?next=/admin/",
                {"username": "manager", "password": password, "next": "/admin/"},
                "198.51.100.7",
            ).status)  # fmt: skip
        # Behind the proxy, another visitor's address is its own: not locked.
        other = site.post_form(
            "/admin/login/?next=/admin/",
            {"username": "manager", "password": "correct horse battery", "next": "/admin/"},
            "198.51.100.8",
        )  # fmt: skip

        # Applications sent during the outage all land, each once.
        joins = [
            site.post_form("/members/join/", application(n), f"192.0.2.{n}").status
            for n in range(3)
        ]
    finally:
        redis.start()

    assert statuses and all(status < 500 for status in statuses)
    assert ready.status == 200 and '"cache": "degraded"' in ready.body
    assert sign_in[:4] == [200] * 4  # the form again, with an error
    assert sign_in[4:] == [429, 429]  # locked out, even with the right password
    assert other.status == 302
    assert joins == [302, 302, 302]
    assert (
        postgres.query(
            "select count(*) from members_membershipapplication where organization_name like 'Outage Applicant %'"
        )
        == "3"
    )
    log = log_of(site, log_start)
    assert "Traceback" not in log
    assert log.count("unreachable") <= 2


def test_postgres_stopped_a_clean_503_then_recovery_with_nothing_half_written(services):
    site, redis, postgres = services
    before = postgres.query("select count(*) from members_membershipapplication")
    postgres.stop()
    try:
        statuses = site.load(seconds=2)
        page = site.request("/news/")
        api = site.request("/api/v1/news/")
        ready = site.request("/readyz")
        alive = site.request("/healthz")
        join = site.request("/members/join/", application(9))
    finally:
        postgres.start()

    assert statuses and set(statuses) <= {200, 503}
    assert page.status == 503 and "briefly unavailable" in page.body
    assert page.headers["Retry-After"] == "30"
    assert api.status == 503 and '"status": 503' in api.body
    assert ready.status == 503 and alive.status == 200
    assert join.status in (403, 503)  # no form token without the database: refused
    assert site.request("/news/").status == 200
    assert (
        postgres.query("select count(*) from members_membershipapplication") == before
    )
