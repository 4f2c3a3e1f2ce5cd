"""The proxy pass of the load benchmark: the same addresses through Varnish.

varnishd runs deploy/varnish/site.vcl in front of the benchmarked gunicorn,
which purges it (PROXY_PURGE_URLS). Each address is warmed with one request
and loaded through the proxy at 64 connections; a hello-world view served
directly by gunicorn, in the same pass, is the ceiling the figures are
compared with. Then, under the same load on an article, the article is
edited as the admin would save it, and the proxy is asked for it until the
change shows: the purge-to-fresh time.

Standard library only, besides what run.py has set up.
"""

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import ROOT, cpu_delta_ms, cpu_ms, free_port, parse_wrk

VCL = ROOT / "deploy" / "varnish" / "site.vcl"
CONNECTIONS = 64
# Targets (docs/performance.md): 5 times the hello-world ceiling's
# requests/s, p99 under 10 ms at that rate over 64 connections, a change
# fresh within 1 s.
CEILING_FACTOR = 5
P99_MS = 10
PURGE_TO_FRESH_S = 1.0
# Milliseconds a connection's wait leaves for its answer and wrk's turn.
RATE_SLACK_MS = 2


class Varnish:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="alliance-bench-varnish-"))
        self.folder.chmod(0o755)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self, backend_port):
        vcl = VCL.read_text().replace('.port = "8000";', f'.port = "{backend_port}";')
        (self.folder / "site.vcl").write_text(vcl)
        subprocess.run(
            ["varnishd", "-a", f"127.0.0.1:{self.port}", "-T", f"127.0.0.1:{free_port()}",
             "-f", str(self.folder / "site.vcl"), "-n", str(self.folder / "work"),
             "-s", "malloc,256m", "-P", str(self.folder / "pid"),
             # As deploy/varnish/site.vcl says: each variant kept as sent.
             "-p", "http_gzip_support=off"],
            check=True, capture_output=True,
        )  # fmt: skip
        return self

    def pids(self):
        """The varnishd processes: the manager and its child (the cache)."""
        master = int((self.folder / "pid").read_text())
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [master, *(int(pid) for pid in children)]

    def stop(self):
        try:
            subprocess.run(
                ["kill", (self.folder / "pid").read_text().strip()], check=False
            )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_worker(env, interval=0.1):
    """`manage.py worker`, which runs the purge tasks a change enqueues."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "worker", "--interval", str(interval)],
        cwd=ROOT, env={**env, "TASKS_BACKEND": "database"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_worker(worker):
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()


def wrk(url, duration, connections=CONNECTIONS, threads=1, rate=None):
    """wrk's figures for `url`. One thread: it keeps 64 connections busy (as many
    requests per second as two threads), and on a two-core machine a second one
    holds the core that varnishd's threads would have answered on.

    With `rate`, each connection waits before each request (`delay()` in a
    wrk script), so that all of them together ask at least about `rate`
    requests a second, rather than as many as the proxy and wrk can make on
    the same two cores. wrk waits whole milliseconds, and an answer and
    wrk's own turn take one or two more: the wait is the connection's share
    of a second less `RATE_SLACK_MS`, which asks somewhat more than `rate`.
    """
    # As browsers ask: the proxy keeps answers compressed and sends them so.
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
               "--latency", "-H", "Accept-Encoding: gzip"]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="alliance-bench-wrk-") as folder:
        if rate:
            wait = max(0, int(connections * 1000 / rate - RATE_SLACK_MS))
            script = Path(folder) / "rate.lua"
            script.write_text(f"function delay() return {wait} end\n")
            command += ["-s", str(script)]
        result = subprocess.run(
            [*command, url], capture_output=True, text=True, timeout=duration + 60
        )
    if result.returncode != 0 or "requests in" not in result.stdout:
        raise RuntimeError(f"wrk failed on {url}: {result.stderr or result.stdout}")
    return parse_wrk(result.stdout)


def measure(url, duration, processes, connections=CONNECTIONS, rate=None):
    """wrk's figures plus CPU ms per request of each group of processes, by name."""
    before = {name: cpu_ms(pids) for name, pids in processes.items()}
    figures = wrk(url, duration, connections, rate=rate)
    for name, pids in processes.items():
        figures[f"{name}_ms"] = cpu_delta_ms(before[name], cpu_ms(pids)) / max(
            figures["requests"], 1
        )
    return figures


def at_target_rate(url, duration, ceiling_rps):
    """wrk's figures for `url` asked at the target's rate: `CEILING_FACTOR` times the ceiling."""
    return wrk(url, duration, rate=CEILING_FACTOR * ceiling_rps)


def purge_to_fresh(varnish, path, change, fetch, duration):
    """Seconds from a change to the proxy's first fresh answer, under load on `path`.

    `change()` makes the change and returns a text only the fresh page holds.
    """
    loader = threading.Thread(
        target=wrk, args=(varnish.base + path, duration), daemon=True
    )
    loader.start()
    time.sleep(min(2, duration / 3))
    started = time.monotonic()
    expected = change()
    while time.monotonic() - started < 30:
        status, body = fetch(varnish.base, path)
        if status == 200 and expected.encode() in body:
            elapsed = time.monotonic() - started
            break
        time.sleep(0.005)
    else:
        elapsed = None
    loader.join()
    return elapsed


def verdict(row, ceiling_rps):
    reasons = []
    if row["status"] != 200:
        reasons.append(f"status {row['status']}")
    if row["non_2xx"] or row["socket_errors"] or row["at_rate"]["non_2xx"]:
        reasons.append("errors")
    if row["rps"] < CEILING_FACTOR * ceiling_rps:
        reasons.append(f"req/s < {CEILING_FACTOR}× hello")
    if row["at_rate"]["rps"] < CEILING_FACTOR * ceiling_rps:
        reasons.append(f"{CEILING_FACTOR}× hello not reached at a set rate")
    if row["at_rate"]["p99_ms"] >= P99_MS:
        reasons.append(f"p99 ≥ {P99_MS} ms at {CEILING_FACTOR}× hello")
    return "PASS" if not reasons else "FAIL: " + ", ".join(reasons)


def table(rows, ceiling, purge_seconds, duration):
    target_rps = CEILING_FACTOR * ceiling["rps"]
    lines = [
        f"Target: through the proxy at {CONNECTIONS} connections, {CEILING_FACTOR}× the"
        f" hello-world view served directly ({ceiling['rps']:,.0f} req/s at"
        f" {ceiling['connections']} connections, p99 {ceiling['p99_ms']:.1f} ms), so"
        f" {target_rps:,.0f} req/s, with p99 under {P99_MS} ms at that rate; a"
        f" change fresh through the proxy within {PURGE_TO_FRESH_S:.0f} s under full load.",
        "",
        f"Each address is loaded twice: as fast as wrk can ask (req/s, the p50 and p99"
        f" of that run: wrk and varnishd then share the two cores), then at the"
        f" target's rate, {target_rps:,.0f} req/s over the same {CONNECTIONS}"
        f" connections (p50 and p99 at that rate).",
        "",
        "| name | path | req/s | p50 ms | p99 ms | at target rate: req/s | p50 ms"
        " | p99 ms | errors | app CPU ms/req | varnish CPU ms/req | ratio vs hello"
        " | verdict |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, row in rows.items():
        at_rate = row["at_rate"]
        errors = row["non_2xx"] + row["socket_errors"] + at_rate["non_2xx"]
        errors += at_rate["socket_errors"]
        lines.append(
            f"| {name} | {row['path']} | {row['rps']:,.0f} | {row['p50_ms']:.2f}"
            f" | {row['p99_ms']:.2f} | {at_rate['rps']:,.0f} | {at_rate['p50_ms']:.2f}"
            f" | {at_rate['p99_ms']:.2f} | {errors}"
            f" | {row['app_ms']:.3f} | {row['varnish_ms']:.3f}"
            f" | {row['rps'] / ceiling['rps']:.1f} | {row['verdict']} |"
        )
    fresh = (
        f"{purge_seconds * 1000:.0f} ms"
        f" ({'PASS' if purge_seconds < PURGE_TO_FRESH_S else 'FAIL'})"
        if purge_seconds is not None
        else "not fresh within 30 s (FAIL)"
    )
    lines += [
        "",
        f"Purge to fresh: an article edited (saved as the admin saves it) while"
        f" {CONNECTIONS} connections load its page through the proxy as fast as wrk"
        f" can for {duration} s: {fresh}.",
    ]
    return lines
