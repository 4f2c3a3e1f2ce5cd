#!/usr/bin/env python3
"""Soak run: a minute of mixed page and API traffic at 64 connections against gunicorn.

Production settings, 2 sync workers, the database of DATABASE_URL (PostgreSQL
expected; it is migrated and given the demo content). wrk spreads requests over
the public pages and API lists in both languages. The run passes when no
request fails or answers 5xx, and each worker's resident memory at the end is
within 20% of what it was after warm-up.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_bench make soak
"""

import argparse
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from harness import (
    ROOT,
    production_env,
    require_wrk,
    rss_kib,
    start_gunicorn,
    stop,
    workers,
)

PATHS = [
    "/", "/zh-hans/", "/news/", "/news/alliance-launched-in-chongqing/", "/members/",
    "/members/?sector=remote-sensing", "/members/landspace/", "/scenarios/", "/scenarios/example-energy/",
    "/events/", "/search/?q=energy", "/zh-hans/search/?q=%E8%83%BD%E6%BA%90", "/news/feed/", "/about/",
    "/api/v1/news/", "/api/v1/members/?page_size=50", "/api/v1/scenarios/", "/api/v1/news/?lang=zh-hans",
    "/api/v1/members/landspace/", "/sitemap.xml",
]  # fmt: skip
LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "soak.md"))
    arguments = parser.parse_args()
    require_wrk()

    # Measure the site, not the throttle.
    env = production_env(API_ANON_RATE="1000000/min")
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    subprocess.run(
        [python, "manage.py", "load_demo_content"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # Pages are measured, not static files: serve those unhashed.
    env["DJANGO_STATIC_MANIFEST"] = "false"
    server, base = start_gunicorn(env)
    try:
        # Warm-up: every path, a few times, so that memory is measured after imports and caches fill.
        for _ in range(5):
            for path in PATHS:
                urllib.request.urlopen(base + path, timeout=10).read()
        before = {pid: rss_kib(pid) for pid in workers(server.pid)}
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(LUA % ", ".join(f'"{path}"' for path in PATHS))
        result = subprocess.run(
            # 64 connections queue for 2 sync workers: allow for the queue before calling a request lost.
            ["wrk", "-t2", f"-c{arguments.connections}", f"-d{arguments.duration}s", "--timeout", "30s", "--latency",
             "-s", str(script), base],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        after = {pid: rss_kib(pid) for pid in workers(server.pid)}
    finally:
        stop(server)

    output = result.stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = (
        int(m.group(1))
        if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output))
        else 0
    )
    socket_errors = sum(
        int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output)
    )
    p99 = re.search(r"99%\s+(\S+)", output).group(1)
    rate = re.search(r"Requests/sec:\s+(\S+)", output).group(1)
    growth = {pid: (after.get(pid, 0) - kib) / kib for pid, kib in before.items()}
    passed = (
        non_2xx == 0
        and socket_errors == 0
        and all(abs(g) <= 0.20 for g in growth.values())
        and set(before) == set(after)
    )
    lines = [
        f"# Soak run: {arguments.duration} s, {arguments.connections} connections, gunicorn 2 sync workers",
        "",
        f"- requests: {requests} ({rate}/s), p99 {p99}",
        f"- non-2xx/3xx answers: {non_2xx}; socket errors: {socket_errors}",
        *(f"- worker {pid}: {before[pid] / 1024:.1f} MiB after warm-up, {after.get(pid, 0) / 1024:.1f} MiB at the end ({growth[pid]:+.1%})" for pid in before),
        f"- workers restarted during the run: {'no' if set(before) == set(after) else 'yes'}",
        f"- verdict: {'PASS' if passed else 'FAIL'}",
        "",
        "```",
        output.strip(),
        "```",
    ]  # fmt: skip
    report = "\n".join(lines) + "\n"
    Path(arguments.output).parent.mkdir(parents=True, exist_ok=True)
    Path(arguments.output).write_text(report)
    print(report)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
