#!/usr/bin/env python3
"""What a Redis outage costs: the same load with no Redis, Redis up, refused and hung.

gunicorn (2 sync workers, production settings) on the database of
DATABASE_URL (migrated, with the demo content), a private redis-server, and
wrk (1 thread, 4 connections) over the public pages and API for a few
seconds per case:

- no Redis configured (REDIS_URL unset: local-memory cache, nothing cached whole),
- Redis up,
- Redis refusing connections (shut down),
- Redis hung (`CLIENT PAUSE ... ALL`: connections open, no answers).

The run passes when, Redis refused and hung, no answer is a 5xx, requests/s
are at least 80% of the no-Redis case, and the error log grows less than
100 KB a minute.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_bench make soak-faults
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from harness import ROOT, parse_wrk, production_env, require_wrk, stop
from soak import LUA, PATHS

GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port(ports):
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in the range")


def wait_for(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answers on port {port}")


def run_case(name, env, port, log, duration, fault=None):
    env = {**env, "DJANGO_STATIC_MANIFEST": "false"}
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(GUNICORN), "alliance.project.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--worker-class", "sync", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=output,
        )  # fmt: skip
        try:
            wait_for(port)
            base = f"http://127.0.0.1:{port}"
            for _ in range(
                3
            ):  # warm-up: imports, and the cache filled where there is one
                for path in PATHS:
                    urllib.request.urlopen(base + path, timeout=60).read()
            if fault:
                fault()
            size_before = log.stat().st_size
            script = Path(tempfile.mkstemp(suffix=".lua")[1])
            script.write_text(LUA % ", ".join(f'"{path}"' for path in PATHS))
            result = subprocess.run(
                ["wrk", "-t1", "-c4", f"-d{duration}s", "--timeout", "10s", "--latency",
                 "-s", str(script), base],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            log_bytes = log.stat().st_size - size_before
        finally:
            stop(server)
    figures = parse_wrk(result.stdout)
    figures["log_per_minute"] = log_bytes * 60 / duration
    figures["name"] = name
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds of load per case"
    )
    parser.add_argument(
        "--ports", default="19550-19599", help="ports for redis-server and gunicorn"
    )
    parser.add_argument(
        "--output", default=str(ROOT / "bench" / "results" / "soak-faults.md")
    )
    arguments = parser.parse_args()
    require_wrk()
    low, high = map(int, arguments.ports.split("-"))
    ports = range(low, high + 1)

    base_env = production_env(API_ANON_RATE="1000000/min")
    base_env.pop("REDIS_URL", None)
    for command in (["migrate", "--no-input", "-v0"], ["load_demo_content"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=base_env,
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    redis_port = free_port(ports)
    web_port = free_port(p for p in ports if p != redis_port)
    folder = Path(tempfile.mkdtemp(prefix="soak-faults-"))
    redis_env = {**base_env, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}

    def redis_start():
        process = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(redis_port)
        return process

    def pause():
        subprocess.run(["redis-cli", "-p", str(redis_port), "client", "pause",
                        str((arguments.duration + 5) * 1000), "ALL"], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip

    results = []
    results.append(
        run_case(
            "no Redis configured",
            base_env,
            web_port,
            folder / "none.log",
            arguments.duration,
        )
    )
    redis = redis_start()
    try:
        results.append(
            run_case(
                "Redis up", redis_env, web_port, folder / "up.log", arguments.duration
            )
        )
        results.append(
            run_case(
                "Redis hung (CLIENT PAUSE)",
                redis_env,
                web_port,
                folder / "hung.log",
                arguments.duration,
                fault=pause,
            )
        )
        time.sleep(arguments.duration / 2)  # the pause runs out
    finally:
        redis.terminate()
        redis.wait()
    results.append(run_case("Redis refusing connections", redis_env, web_port, folder / "refused.log",
                            arguments.duration))  # fmt: skip

    ceiling = results[0]["rps"]
    lines = [
        f"# Redis faults: {arguments.duration} s per case, wrk 1 thread 4 connections, gunicorn 2 sync workers",
        "",
        "| case | requests/s | of no-Redis | p99 ms | 5xx/errors | error log per minute |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    passed = True
    for figures in results:
        share = figures["rps"] / ceiling
        errors = figures["non_2xx"] + figures["socket_errors"]
        lines.append(
            f"| {figures['name']} | {figures['rps']:.0f} | {share:.0%} | "
            f"{figures['p99_ms']:.0f} | {errors} | {figures['log_per_minute'] / 1024:.1f} KB |"
        )
        if figures["name"].startswith(("Redis hung", "Redis refusing")):
            passed &= (
                share >= 0.8 and errors == 0 and figures["log_per_minute"] < 100 * 1024
            )
    lines += ["", f"verdict: {'PASS' if passed else 'FAIL'}"]
    report = "\n".join(lines) + "\n"
    Path(arguments.output).parent.mkdir(parents=True, exist_ok=True)
    Path(arguments.output).write_text(report)
    print(report)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
