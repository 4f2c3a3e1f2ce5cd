#!/usr/bin/env python3
"""Instructions per request: what each address costs the app, counted, not timed.

Requests per second and CPU milliseconds move by 20% on a shared machine
from one minute to the next, which hides a change of a few percent between
two versions of the site. This counts instead: the addresses of the load
benchmark (bench/run.py) are served in one process, through the WSGI
handler with the benchmark's settings and production environment, under
valgrind's callgrind, which counts the machine instructions the process
executes. The same code, data and requests give the same count whatever
else the machine is doing, to within a fraction of a percent.

    make bench-instructions                                # about 15 minutes
    make bench-instructions INSTRUCTIONS_ARGS="--only api-scenarios,home --requests 50"

What it counts: the app's own work in user space (Django, the site, the
drivers of PostgreSQL and Redis). What it does not: the kernel's share of
each read and write to the database and Redis (a round trip more or fewer
shows as a system call, not here), and the servers' work. Each address is
first served twice (it warms the cache in the "cached" pass), then
`--requests` times between two markers (a call of `getppid`, before which
callgrind writes and zeroes its counters), so that start-up is not counted.

It reads the benchmark's database (DATABASE_URL, by default alliance_bench,
filled by `make bench`) and writes nothing to it; the cached pass uses a
Redis database of its own, emptied first. The report goes to
bench/results/instructions.md.
"""

import argparse
import gc
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/alliance_bench"
REDIS_URL = os.environ.get("INSTRUCTIONS_REDIS_URL", "redis://127.0.0.1:6379/12")
PASSES = {"uncached": "0", "cached": "300"}
# The calls before which callgrind writes its counters and starts again
# (the end of a phase), and sets them to zero without writing them.
MARKER = "getppid"
ZERO = "getpgrp"
# What the shared cache logs when it stops asking Redis for a while.
BREAKER_OPENED = "retrying every"
TOTALS = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def environment(cache_seconds):
    return {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "load-run-" + "s" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": REDIS_URL,
        "API_ANON_RATE": "10000000/min",
        "DATABASE_CONN_MAX_AGE": "3600",
        "RESPONSE_CACHE_SECONDS": cache_seconds,
        # Under callgrind the app runs some 50 times slower: Redis's answers
        # must not be given up on as they would be in production.
        "REDIS_TIMEOUT": "10",
        "REDIS_CONNECT_TIMEOUT": "10",
        # The same hashes, and so the same dictionary layouts, on every run.
        "PYTHONHASHSEED": "0",
    }


# The served side: runs under callgrind.


def application_get():
    """A function that serves GET `path` through the site's WSGI handler: (status, body)."""
    sys.path[:0] = [str(ROOT), str(BENCH)]
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def get(path):
        answer = {}
        path_info, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_ACCEPT": "*/*",
            "HTTP_USER_AGENT": "bench-instructions",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        body = application(
            environ, lambda status, headers, *_: answer.update(status=status)
        )
        content = b"".join(body)
        if hasattr(body, "close"):
            body.close()
        return int(answer["status"].split()[0]), content

    return get


def resolve(names, scale):
    """Print the path of each name as JSON: the benchmark's records, its deep page."""
    get = application_get()
    import run  # the benchmark's addresses and its choice of records

    state = run.pick_records(scale)
    if run.DEEP in names:
        path = run.URLS[run.FIRST]
        for _ in range(1, run.DEEP_PAGE):
            status, content = get(path)
            following = json.loads(content).get("next") if status == 200 else None
            if not following:
                raise SystemExit(f"{run.URLS[run.FIRST]}: no page {run.DEEP_PAGE}")
            parts = urllib.parse.urlsplit(following)
            path = f"{parts.path}?{parts.query}"
        state["deep"] = path
    addresses = {**run.URLS, "hello": run.CEILINGS["a"], "one-query": run.CEILINGS["b"]}
    print(json.dumps({name: addresses[name].format(**state) for name in names}))


def serve(paths, requests):
    """Serve each path twice to warm, then `requests` times between markers.

    Print each path's status and SQL queries per counted request (a cached
    answer costs one, the read of the generation): a pass whose cache did
    not answer shows it there.
    """
    get = application_get()
    from django.db.backends.signals import connection_created

    queries = [0]

    def counted(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    def wrap(sender, connection, **kwargs):
        # Once per connection, which keeps its wrappers when it reconnects.
        if counted not in connection.execute_wrappers:
            connection.execute_wrappers.append(counted)

    connection_created.connect(wrap)
    statuses = {}
    for name, path in paths.items():
        for _ in range(2):
            statuses[name] = get(path)[0]
    # Each phase starts after a garbage collection, which is not counted (the
    # counters are zeroed after it), so that a full collection falls where
    # the phase's own work makes it.
    gc.collect()
    os.getpgrp()  # start-up and warming are not counted
    os.getppid()  # an empty phase: what the markers cost
    sql = {}
    for name, path in paths.items():
        gc.collect()
        os.getpgrp()
        queries[0] = 0
        for _ in range(requests):
            get(path)
        sql[name] = queries[0] / requests
        os.getppid()
    print(json.dumps({"statuses": statuses, "sql": sql}))


# The controlling side.


def flush_redis():
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def count(label, paths, requests):
    """Instructions per request of each named path, in the pass `label`."""
    names = list(paths)
    folder = Path(tempfile.mkdtemp(prefix="alliance-instructions-"))
    try:
        if PASSES[label] != "0":
            flush_redis()
        command = [
            "valgrind", "--tool=callgrind", f"--dump-before={MARKER}", f"--zero-before={ZERO}",
            f"--callgrind-out-file={folder}/out", sys.executable, __file__,
            "--serve", json.dumps(paths), "--requests", str(requests),
        ]  # fmt: skip
        done = subprocess.run(
            command, cwd=ROOT, env=environment(PASSES[label]),
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(f"{label} pass failed:\n{done.stderr[-3000:]}")
        served = json.loads(done.stdout.strip().splitlines()[-1])
        if BREAKER_OPENED in done.stderr:
            raise SystemExit(
                f"{label} pass: Redis failed meanwhile\n{done.stderr[-3000:]}"
            )
        dumps = sorted(folder.glob("out.*"), key=lambda p: int(p.name.split(".")[-1]))
        totals = [int(TOTALS.search(p.read_text()).group(1)) for p in dumps]
        # The empty phase, then each name's phase, then what follows the last.
        if len(totals) != len(names) + 1:
            raise SystemExit(
                f"{label}: {len(totals)} phases counted for {len(names)} names and"
                " the empty one: something else called the marker"
            )
        empty, phases = totals[0], totals[1:]
        return {
            name: {
                "status": served["statuses"][name],
                "sql": served["sql"][name],
                "per_request": (total - empty) / requests,
            }
            for name, total in zip(names, phases[: len(names)], strict=True)
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def commit():
    """The commit measured, marked when the tree has changes of its own."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (with uncommitted changes)" if dirty else head


def report(run, requests, against=None):
    """The report in Markdown: a table per pass, beside an earlier run when given."""
    lines = [
        "# Instructions per request",
        "",
        f"- code: git {run['commit']}; data: {run['database']}",
        f"- counted by callgrind over {requests} requests per address, after two to warm",
    ]
    if against:
        lines.append(f"- before: git {against['commit']}; data: {against['database']}")
    lines += [
        "",
        'How to read it: docs/performance.md, "Instructions per request".',
        "",
    ]
    for label, rows in run["passes"].items():
        header = "| address | status | SQL/request | instructions/request |"
        rule = "|---|---|---:|---:|"
        if against:
            header += " before | change |"
            rule += "---:|---:|"
        lines += [f"## {label}", "", header, rule]
        for name, row in rows.items():
            line = (
                f"| {name} | {row['status']} | {row.get('sql', 0):.1f}"
                f" | {row['per_request']:,.0f} |"
            )
            before = against and against["passes"].get(label, {}).get(name)
            if before:
                change = row["per_request"] / before["per_request"] - 1
                line += f" {before['per_request']:,.0f} | {change:+.1%} |"
            elif against:
                line += " | |"
            lines.append(line)
        lines.append("")
    return "\n".join(lines)


def main():
    sys.path.insert(0, str(BENCH))
    import run

    names_known = [*run.URLS, "hello", "one-query"]
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--only", help="comma-separated names, from: " + ", ".join(names_known)
    )
    parser.add_argument("--passes", default="uncached,cached", help="uncached, cached")
    parser.add_argument("--requests", type=int, default=30, help="counted per address")
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--output", default=str(BENCH / "results" / "instructions.md"))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--against", help="figures of an earlier run (--json) to compare with"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--resolve", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve(json.loads(arguments.serve), arguments.requests)
        return
    if arguments.resolve:
        resolve(arguments.resolve.split(","), arguments.scale)
        return
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    names = arguments.only.split(",") if arguments.only else names_known
    unknown = sorted(set(names) - set(names_known))
    if unknown:
        parser.error(f"unknown names: {', '.join(unknown)}")
    passes = arguments.passes.split(",")
    if set(passes) - set(PASSES):
        parser.error(f"passes are among: {', '.join(PASSES)}")
    resolved = subprocess.run(
        [sys.executable, __file__, "--resolve", ",".join(names), "--scale", str(arguments.scale)],
        cwd=ROOT, env=environment("0"), capture_output=True, text=True,
    )  # fmt: skip
    if resolved.returncode:
        sys.exit(f"the addresses could not be resolved:\n{resolved.stderr[-3000:]}")
    paths = json.loads(resolved.stdout.strip().splitlines()[-1])
    figures = {}
    for label in passes:
        print(f"{label} pass: {len(names)} addresses under callgrind", file=sys.stderr)
        figures[label] = count(label, paths, arguments.requests)
        for name, row in figures[label].items():
            print(f"  {name:<20} {row['per_request']:>14,.0f}", file=sys.stderr)
    database = (os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL).rsplit("/", 1)[
        -1
    ]
    run = {"commit": commit(), "database": database, "passes": figures}
    against = (
        json.loads(Path(arguments.against).read_text()) if arguments.against else None
    )
    text = report(run, arguments.requests, against)
    Path(arguments.output).write_text(text + "\n")
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(run, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
