#!/usr/bin/env python3
"""Webhook throughput: a burst of public changes delivered to a local receiver.

10,000 draft articles are published in one bulk publish (one transaction:
10,000 events, one delivery each for the endpoint), and real worker
processes (`manage.py worker --batch`, the database queue) deliver them to
a receiver on this machine that fails half the time at random (503). The
report gives deliveries per second per worker, the attempts it took, and
checks what the receiver saw: every event accepted exactly once (by its
`webhook-id`), none lost, and in the order of the changes.

Retries wait for nothing here (WEBHOOKS_RETRY_DELAYS=0): the benchmark
measures sending, not Standard Webhooks' waiting schedule.

    make bench-webhooks
    make bench-webhooks BENCH_WEBHOOKS_ARGS="--changes 2000 --endpoints 2 --workers 2"

Needs PostgreSQL: DATABASE_URL (default: the alliance_bench_webhooks database
on 127.0.0.1, created if missing). The report is printed and written to
bench/results/webhooks.md.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/alliance_bench_webhooks"


class Receiver:
    """Accepts a POST half the time; remembers what it accepted, in order."""

    def __init__(self, failure_rate, seed):
        self.failure_rate = failure_rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.accepted = []  # (endpoint path, webhook-id, slug) in arrival order
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests += 1
                    fail = receiver.random.random() < receiver.failure_rate
                    if not fail:
                        slug = json.loads(body)["data"]["slug"]
                        receiver.accepted.append(
                            (self.path, self.headers["webhook-id"], slug)
                        )
                self.send_response(503 if fail else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.project.settings")
    os.environ["TASKS_BACKEND"] = "database"
    os.environ["DJANGO_DEBUG"] = "true"  # a receiver on this machine, over http
    # Retries at once, and enough of them that a 50% failure rate gives up on
    # one delivery in a million (0.5 ** 20) rather than one in 256.
    os.environ["WEBHOOKS_RETRY_DELAYS"] = ",".join(["0"] * 20)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database(database_url):
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--endpoints", type=int, default=1)
    parser.add_argument("--failure-rate", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE
    if not database_url.startswith("postgres"):
        sys.exit("The webhook benchmark needs PostgreSQL: set DATABASE_URL.")
    ensure_database(database_url)
    setup_django(database_url)

    from django.core.management import call_command
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from news.models import Article
    from webhooks.models import Attempt, Delivery, Endpoint, Event

    call_command("migrate", verbosity=0)
    receiver = Receiver(args.failure_rate, args.seed)
    print(f"Receiver on 127.0.0.1:{receiver.port}, failing {args.failure_rate:.0%}")

    # A clean slate: only this run's articles, events and tasks.
    Endpoint.objects.all().delete()
    Event.objects.all().delete()
    DBTaskResult.objects.all().delete()
    Article.objects.filter(slug__startswith="burst-").delete()
    for n in range(args.endpoints):
        Endpoint.objects.create(
            partner=f"Benchmark partner {n}",
            url=f"http://127.0.0.1:{receiver.port}/endpoint-{n}",
            contact_email=f"bench{n}@example.org",
        )
    Article.objects.bulk_create(
        Article(
            slug=f"burst-{n:05d}",
            title_en=f"Burst article {n}",
            summary_en="A change of the webhook benchmark.",
            status="draft",
        )
        for n in range(args.changes)
    )

    started = time.perf_counter()
    with transaction.atomic():
        Article.objects.filter(slug__startswith="burst-").publish()
    recorded = time.perf_counter() - started
    expected = list(Event.objects.order_by("pk").values_list("message_id", "slug"))
    print(
        f"Published {args.changes} articles in one transaction: {len(expected)} "
        f"events, {Delivery.objects.count()} deliveries in {recorded:.1f} s"
    )

    env = {**os.environ}
    command = [sys.executable, "manage.py", "worker", "--batch", "--verbosity", "0"]
    started = time.perf_counter()
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(args.workers)
    ]
    for worker in workers:
        worker.wait()
    elapsed = time.perf_counter() - started
    receiver.server.shutdown()

    deliveries = args.changes * args.endpoints
    attempts = Attempt.objects.count()
    seen = [(path, webhook_id) for path, webhook_id, _slug in receiver.accepted]
    unique = set(seen)
    expected_ids = {
        (f"/endpoint-{n}", f"msg_{message_id.hex}")
        for message_id, _slug in expected
        for n in range(args.endpoints)
    }
    lost = len(expected_ids - unique)
    duplicated = len(seen) - len(unique)
    in_order = all(
        [slug for path, _id, slug in receiver.accepted if path == f"/endpoint-{n}"]
        == [slug for _message_id, slug in expected]
        for n in range(args.endpoints)
    )
    pending = Delivery.objects.pending().count()
    rate = deliveries / elapsed
    lines = [
        "# Webhook burst",
        "",
        f"- changes: {args.changes} (one bulk publish, recorded in {recorded:.1f} s)",
        f"- endpoints: {args.endpoints}; worker processes: {args.workers}",
        f"- receiver failing {args.failure_rate:.0%} at random (seed {args.seed}); "
        "retries at once (20 at most)",
        f"- deliveries: {deliveries} in {elapsed:.1f} s = **{rate:.0f}/s**, "
        f"**{rate / args.workers:.0f}/s per worker**",
        f"- attempts: {attempts} ({attempts / elapsed:.0f}/s), "
        f"requests the receiver saw: {receiver.requests}",
        f"- accepted once each: {len(unique)}; lost: {lost}; accepted twice: "
        f"{duplicated}; still pending: {pending}; in order: {in_order}",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "webhooks.md").write_text(report)
    ok = lost == 0 and duplicated == 0 and pending == 0 and in_order
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
