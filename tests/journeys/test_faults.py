"""Faults: the database going away and coming back, the cache going away."""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CuttableProxy:
    """A TCP proxy to the database that can drop every connection and refuse new ones."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.up = threading.Event()
        self.sockets = []
        self.listener = None

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.up.set()
        threading.Thread(
            target=self._accept, args=(self.listener,), daemon=True
        ).start()

    def _accept(self, listener):
        while self.up.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def cut(self):
        self.up.clear()
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass
        self.sockets = []


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


def serve(env, port):
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a database server to cut off"
)
@pytest.mark.django_db(transaction=True)
def test_database_outage_gives_a_clean_503_and_the_site_recovers_by_itself():
    database = settings.DATABASES["default"]
    proxy = CuttableProxy(int(database.get("PORT") or 5432))
    proxy.start()
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "fault-test-" + "k" * 50,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_MANIFEST": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{database['USER']}@127.0.0.1:{proxy.port}/{database['NAME']}",
    }
    server = serve(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        assert get(f"{base}/about-nothing/")[0] == 404  # the database answers
        assert get(f"{base}/readyz")[0] == 200

        proxy.cut()
        status, body, headers = get(f"{base}/news/")
        assert (
            status == 503 and "briefly unavailable" in body and "Traceback" not in body
        )
        assert headers["Retry-After"] == "30"
        status, body, _ = get(f"{base}/api/v1/news/")
        assert status == 503 and '"status": 503' in body
        assert get(f"{base}/readyz")[0] == 503
        assert get(f"{base}/healthz")[0] == 200

        proxy.start()
        assert get(f"{base}/news/")[0] == 200
        assert get(f"{base}/api/v1/news/")[0] == 200
        assert get(f"{base}/readyz")[0] == 200
    finally:
        server.kill()
        server.wait()
        proxy.cut()


@pytest.mark.django_db
def test_with_the_cache_server_down_pages_are_still_served(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "alliance.kernel.shared_cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:19598/0",  # nothing listens here
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/news/").status_code == 200
    assert client.post("/members/join/", {}).status_code == 400
