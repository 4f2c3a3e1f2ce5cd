"""Real servers for the scale-out tests: a PostgreSQL primary with a streaming
replica, varnishd, and gunicorn with production settings.

Each starts on a free port of its own, in a folder of its own, and is
stopped by the test that started it. The shared PostgreSQL server on 5432 is
only read (pg_dump of the test database), never configured.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Ports of the PostgreSQL pair, and of gunicorn and varnishd.
PG_PORTS = range(5441, 5450)
WEB_PORTS = range(8200, 8300)


def free_port(ports, taken=()):
    for port in ports:
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


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


def site_env(**extra):
    """The environment of a production deployment on loopback, plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"REDIS_URL", "DATABASE_REPLICA_URLS", "CACHE_PURGE_URLS"}
    }
    return {
        **env,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "scale-test-" + "k" * 50,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_MANIFEST": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_URL": "consolemail://",
        **extra,
    }


class PostgresPair:
    """A primary and its streaming replica (pg_basebackup), as PostgreSQL's manual shows."""

    def __init__(self, name="alliance"):
        # Outside pytest's temporary folders, which the postgres user cannot enter.
        self.folder = Path(tempfile.mkdtemp(prefix="alliance-pgpair-"))
        self.folder.chmod(0o755)
        self.name = name
        self.primary_port = free_port(PG_PORTS)
        self.replica_port = free_port(PG_PORTS, {self.primary_port})

    def start(self, copy_of=None):
        """Start the primary, copy database `copy_of` (a URL) into it, then the replica."""
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        primary, replica = self.folder / "primary", self.folder / "replica"
        as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "-A", "trust",
             "-E", "UTF8"]
        )  # fmt: skip
        self._pg_ctl(
            primary,
            f"-p {self.primary_port} -c wal_level=replica -c max_wal_senders=5",
        )
        self.psql(
            self.primary_port, f"CREATE DATABASE {self.name}", database="postgres"
        )
        if copy_of:
            dump = subprocess.run(
                ["pg_dump", "--no-owner", "--no-privileges", "-d", copy_of],
                check=True, capture_output=True,
            )  # fmt: skip
            subprocess.run(
                ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                 str(self.primary_port), "-U", "postgres", "-d", self.name],
                input=dump.stdout, check=True, capture_output=True,
            )  # fmt: skip
        as_postgres(
            [str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary_port),
             "-U", "postgres", "-D", str(replica), "-R", "-X", "stream", "-c", "fast"]
        )  # fmt: skip
        self._pg_ctl(replica, f"-p {self.replica_port} -c hot_standby=on")
        deadline = time.monotonic() + 30
        while self.query(
            self.primary_port, "SELECT state FROM pg_stat_replication"
        ) != ("streaming"):
            if time.monotonic() > deadline:
                raise RuntimeError("the replica does not stream")
            time.sleep(0.1)

    def _pg_ctl(self, data, options, action="start"):
        as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data) + ".log",
             "-o", f"-c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off {options}",
             "-w", action]
        )  # fmt: skip

    def stop_replica(self):
        as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "replica"), "-m", "immediate",
             "stop"]
        )  # fmt: skip

    def start_replica(self):
        self._pg_ctl(
            self.folder / "replica", f"-p {self.replica_port} -c hot_standby=on"
        )

    def stop(self):
        for data in ("replica", "primary"):
            with contextlib.suppress(subprocess.CalledProcessError):
                as_postgres(
                    [str(PG_BIN / "pg_ctl"), "-D", str(self.folder / data), "-m",
                     "immediate", "stop"]
                )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, port):
        return f"postgres://postgres@127.0.0.1:{port}/{self.name}"

    def psql(self, port, sql, database=None):
        subprocess.run(
            ["psql", "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d",
             database or self.name, "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip

    def query(self, port, sql):
        result = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d",
             self.name, "-tAc", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return result.stdout.strip()


class Answer:
    def __init__(self, status, body, headers):
        self.status, self.body, self.headers = status, body, headers


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(base, path, data=None, headers=None, method=None, timeout=30):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    prepared = urllib.request.Request(
        base + path, data=body, headers=headers or {}, method=method
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(prepared, timeout=timeout) as response:
            return Answer(response.status, response.read().decode(), response.headers)
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode(), error.headers)


class Gunicorn:
    """The site under gunicorn, production settings from `env`."""

    def __init__(self, env, log, workers=2):
        self.env, self.log, self.workers = env, log, workers
        self.port = free_port(WEB_PORTS)
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = self.output = None

    def start(self):
        self.output = self.log.open("ab")
        self.server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "alliance.project.wsgi",
             "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "30"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self.output,
        )  # fmt: skip
        wait_for_port(self.port)
        return self

    def stop(self):
        # Quick shutdown: the tests wait for no request in flight.
        self.server.send_signal(signal.SIGQUIT)
        try:
            self.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        self.output.close()

    def request(self, path, data=None, headers=None, method=None):
        return request(self.base, path, data, headers, method)

    def post_form(self, path, fields, headers=None):
        """Post a form as a browser would: its CSRF cookie and token first."""
        answer = self.request(path)
        cookie = re.search(r"csrftoken=([^;]+)", answer.headers["Set-Cookie"]).group(1)
        token = re.search(
            r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.body
        ).group(1)
        headers = {"Cookie": f"csrftoken={cookie}", **(headers or {})}
        return self.request(path, {**fields, "csrfmiddlewaretoken": token}, headers)


class Varnish:
    """varnishd with deploy/varnish/site.vcl in front of `backend_port`."""

    VCL = ROOT / "deploy" / "varnish" / "site.vcl"

    def __init__(self, backend_port):
        self.folder = Path(tempfile.mkdtemp(prefix="alliance-varnish-"))
        self.folder.chmod(0o755)
        self.port = free_port(WEB_PORTS, {backend_port})
        self.admin_port = free_port(WEB_PORTS, {backend_port, self.port})
        self.base = f"http://127.0.0.1:{self.port}"
        vcl = self.VCL.read_text().replace(
            '.port = "8000";', f'.port = "{backend_port}";'
        )
        self.vcl = self.folder / "site.vcl"
        self.vcl.write_text(vcl)

    def start(self):
        subprocess.run(
            ["varnishd", "-a", f"127.0.0.1:{self.port}", "-T",
             f"127.0.0.1:{self.admin_port}", "-f", str(self.vcl), "-n",
             str(self.folder / "work"), "-s", "malloc,64m", "-P",
             str(self.folder / "pid"), "-p", "http_gzip_support=off"],
            check=True, capture_output=True,
        )  # fmt: skip
        wait_for_port(self.port)
        return self

    def stop(self):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
            os.kill(int((self.folder / "pid").read_text()), 15)
        shutil.rmtree(self.folder, ignore_errors=True)

    def request(self, path, data=None, headers=None, method=None):
        return request(self.base, path, data, headers, method)
