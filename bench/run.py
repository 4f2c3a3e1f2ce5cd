#!/usr/bin/env python3
"""Load benchmark: pages and API under wrk against gunicorn, production settings, PostgreSQL.

Each address is loaded on its own (wrk, one thread, 8 connections) in two
passes: "uncached" with the anonymous response cache off and "cached" with it
on and warmed. Each pass also measures two ceilings served by the same
gunicorn, so that ratios compare figures of the same run: (a) a hello-world
view and (b) one query of 20 rows rendered by a small template. Beside each
figure stands the CPU time per request of the app's processes and of the
database backends serving them, which is steadier than requests/s on a shared
machine. docs/performance.md explains the columns and the targets.

    make bench                                   # about 10 minutes
    make bench BENCH_ARGS="--duration 3 --only home,search"
    make bench BENCH_ARGS="--pool 2,4"           # a connection pool per worker
    make bench BENCH_ARGS="--passes proxy"       # through Varnish (bench/proxy.py)

The report is printed and written to bench/results/latest.md. It exits 0
even when targets fail (it is a report) unless --check is given; it exits 2
when the run itself breaks (wrk missing, server not starting).
"""

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import proxy
from harness import (
    ROOT,
    cpu_delta_ms,
    cpu_ms,
    flush_redis,
    parse_wrk,
    production_env,
    require_wrk,
    start_gunicorn,
    stop,
    workers,
)

# What is measured, by name (for --only). {article}, {member} and {sector} are
# picked from the database at run time; {deep} is page 1,000 of the news API,
# found by following its `next` links.
URLS = {
    "home": "/",
    "home-zh": "/zh-hans/",
    "news-list": "/news/",
    "news-detail": "/news/{article}/",
    "members-sector": "/members/?sector={sector}",
    "member-detail": "/members/{member}/",
    "scenarios": "/scenarios/",
    "search": "/search/?q=energy",
    "search-zh": "/search/?q=" + urllib.parse.quote("能源"),
    "feed": "/news/feed/",
    "sitemap": "/sitemap.xml",
    "sitemap-news": "/sitemap-news.xml",
    "api-news": "/api/v1/news/",
    "api-news-deep": "{deep}",
    "api-members": "/api/v1/members/",
    "api-scenarios": "/api/v1/scenarios/",
    "api-events": "/api/v1/events/",
    "api-news-detail": "/api/v1/news/{article}/",
    "api-member-detail": "/api/v1/members/{member}/",
}
CEILINGS = {"a": "/_bench/hello", "b": "/_bench/one-query"}
CEILING_NAMES = {"a": "ceiling (a) hello", "b": "ceiling (b) one query"}

# The targets (docs/performance.md): uncached, a third of ceiling (b)'s
# requests/s and p99 under 100 ms (150 ms for search); cached, 70% of ceiling
# (a); the deep API page within 1.5 times the first page's p50 and p99.
UNCACHED_SHARE = 1 / 3
P99_MS = 100
SEARCH_P99_MS = 150
SEARCHES = {"search", "search-zh"}
CACHED_SHARE = 0.70
DEEP, FIRST = "api-news-deep", "api-news"
DEEP_PAGE = 1_000
DEEP_FACTOR = 1.5

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/alliance_bench"
# A Redis database of its own, emptied at the start of each pass.
REDIS_URL = "redis://127.0.0.1:6379/11"
SERVER_APPLICATION_NAME = f"alliance-bench-server-{os.getpid()}"
# Long enough for a page of seconds behind a queue of 8: a slow page shows
# its latency rather than timeouts.
WRK_TIMEOUT = "30s"


class RunBroken(Exception):
    """The run cannot go on: the figures would mean nothing."""


def log(message):
    print(message, file=sys.stderr, flush=True)


def manage(env, *arguments, quiet=True):
    log(f"  manage.py {' '.join(arguments)}")
    subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def ensure_database(url):
    """Create the PostgreSQL database of `url` when it does not exist."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise RunBroken(f"DATABASE_URL must be PostgreSQL, not {parts.scheme}://")
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[\w-]+", name):
        raise RunBroken(f"unexpected database name {name!r}")
    connection = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    connection += ["-U", urllib.parse.unquote(parts.username or "postgres")]
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = urllib.parse.unquote(parts.password)
    found = subprocess.run(
        ["psql", *connection, "-d", "postgres", "-Atc",
         f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not found:
        log(f"  createdb {name}")
        subprocess.run(["createdb", *connection, name], env=env, check=True)


def ensure_data(env, scale):
    """Generate the load data set at `scale` unless it is there already."""
    from django.db import connection

    from alliance.project.management.commands.generate_load_data import FULL
    from members.models import Member

    expected = max(1, FULL["members"] * scale // 100)
    present = Member.objects.filter(slug__startswith="load-").count()
    if present == expected:
        log(f"  load data at scale {scale} present ({present:,} members)")
        return
    log(f"  {present:,} load members, {expected:,} expected: generating the data set")
    manage(env, "load_demo_content")
    manage(env, "generate_load_data", "--scale", str(scale), "--clear", quiet=False)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def pick_records(scale):
    """Return the slugs the addresses need: a published article, member and sector."""
    from alliance.project.management.commands.generate_load_data import FULL
    from members.models import Member, Sector
    from news.models import Article

    def middle(queryset, prefix, width, count):
        # The published load record nearest the middle, else any published one.
        target = f"{prefix}{count // 2:0{width}}"
        slugs = queryset.order_by("slug").values_list("slug", flat=True)
        found = slugs.filter(slug__startswith=prefix, slug__gte=target).first()
        return found or slugs.first()

    article = middle(
        Article.objects.published(),
        "load-article-",
        6,
        max(1, FULL["articles"] * scale // 100),
    )
    member = middle(
        Member.objects.published(),
        "load-member-",
        5,
        max(1, FULL["members"] * scale // 100),
    )
    sector = next(
        (
            sector.slug
            for sector in Sector.objects.published().order_by("slug")
            if Member.objects.published().in_sector(sector).exists()
        ),
        None,
    )
    if not (article and member and sector):
        raise RunBroken("no published article, member or sector with members")
    return {"article": article, "member": member, "sector": sector}


def data_counts():
    from alliance.content.models import Event, Scenario
    from members.models import Member
    from news.models import Article, Tag

    return ", ".join(
        f"{model.objects.published().count():,} {label} published"
        f" (of {model.objects.count():,})"
        for label, model in [
            ("members", Member),
            ("articles", Article),
            ("scenarios", Scenario),
            ("events", Event),
            ("tags", Tag),
        ]
    )


def database_backends():
    """Return the pids of the PostgreSQL backends the benchmarked server is connected with."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            [SERVER_APPLICATION_NAME],
        )
        return [pid for (pid,) in cursor.fetchall()]


def fetch(base, path):
    """GET `path` without following redirects; return (status, body bytes)."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def deep_page_path(base, first, pages):
    """Follow the list's `next` links from `first` to page `pages`; return that page's path."""
    path = first
    for page in range(1, pages):
        status, body = fetch(base, path)
        if status != 200:
            raise RunBroken(f"{path} answered {status} on page {page}")
        following = json.loads(body).get("next")
        if not following:
            raise RunBroken(f"{first} has only {page} pages, not {pages}")
        parts = urllib.parse.urlsplit(following)
        path = f"{parts.path}?{parts.query}"
    return path


def processes_named(name):
    """Return the pids of the processes whose command is `name`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def busy_ms():
    """Return the machine's CPU time spent busy so far, in ms (every core)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (
        (user + nice + system + irq + softirq + steal) * 1000 / os.sysconf("SC_CLK_TCK")
    )


def wait_idle(pids, database, limit=300):
    """Wait until the server and its backends stop using CPU; return the seconds waited.

    When wrk stops, the requests it left in flight are still served, one per
    connection: a slow page keeps the workers busy for a while after.
    """
    started = time.monotonic()
    quiet, last = 0, cpu_ms(pids) | cpu_ms(database)
    while quiet < 2 and time.monotonic() - started < limit:
        time.sleep(0.3)
        now = cpu_ms(pids) | cpu_ms(database)
        # A clock tick is 10 ms: one tick in 0.3 s is a process at rest.
        quiet = quiet + 1 if cpu_delta_ms(last, now) <= 10 else 0
        last = now
    return time.monotonic() - started


def measure(server, base, path, arguments):
    """Load `path` with wrk; return wrk's figures plus CPU ms per request.

    CPU is counted until the server is idle again, and divided by the requests
    wrk saw answered plus the ones it left in flight (one per connection),
    which the server serves all the same.
    """
    app = [server.pid, *workers(server.pid)]
    database = database_backends()
    app_before, database_before = cpu_ms(app), cpu_ms(database)
    redis = processes_named("redis-server")
    redis_before = cpu_ms(redis)
    machine_before, wrk_before = busy_ms(), os.times()
    started = time.monotonic()
    command = ["wrk", "-t1", f"-c{arguments.connections}", f"-d{arguments.duration}s",
               "--timeout", WRK_TIMEOUT, "--latency", base + path]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=arguments.duration + 60
    )
    database = sorted(set(database) | set(database_backends()))
    drained = wait_idle(app, database)
    elapsed = time.monotonic() - started
    app_used = cpu_delta_ms(app_before, cpu_ms(app))
    database_used = cpu_delta_ms(database_before, cpu_ms(database))
    wrk_after = os.times()
    wrk_used = 1000 * (
        wrk_after.children_user
        + wrk_after.children_system
        - wrk_before.children_user
        - wrk_before.children_system
    )
    if server.poll() is not None:
        raise RunBroken(f"gunicorn exited while serving {path}")
    if result.returncode != 0 or "requests in" not in result.stdout:
        raise RunBroken(f"wrk failed on {path}: {result.stderr or result.stdout}")
    figures = parse_wrk(result.stdout)
    served = figures["requests"] + arguments.connections
    redis_used = cpu_delta_ms(redis_before, cpu_ms(redis))
    ours = app_used + database_used + wrk_used + redis_used
    others = busy_ms() - machine_before - ours
    return {
        **figures,
        "app_ms": app_used / served,
        "db_ms": database_used / served,
        "drained_s": drained,
        # Cores kept busy by everything else on the machine meanwhile (Redis
        # serves this run, but it has no per-request share worth a column).
        "others": max(others, 0) / 1000 / elapsed,
    }


def run_pass(label, cache_seconds, env, paths, arguments, state):
    """Serve with a fresh gunicorn and measure the ceilings, every path, the ceilings again."""
    log(f"\n{label} pass (RESPONSE_CACHE_SECONDS={cache_seconds})")
    try:
        flush_redis(REDIS_URL)
    except (OSError, RuntimeError) as error:
        log(f"  Redis not flushed ({error}): the site runs without a cache")
    try:
        server, base = start_gunicorn(
            {**env, "RESPONSE_CACHE_SECONDS": str(cache_seconds)},
            workers=arguments.workers,
        )
    except RuntimeError as error:
        raise RunBroken(str(error)) from error
    rows, ceilings = {}, {"a": [], "b": []}
    try:
        if DEEP in paths and "deep" not in state and "deep_error" not in state:
            log(f"  following `next` to page {DEEP_PAGE:,} of {URLS[FIRST]}")
            walk = time.monotonic()
            try:
                state["deep"] = deep_page_path(base, URLS[FIRST], DEEP_PAGE)
            except (RunBroken, ValueError) as error:
                # A broken API is a finding to report, not a reason to stop.
                state["deep_error"] = str(error)
            log(f"  ({time.monotonic() - walk:.0f} s)")
        if "deep" not in state:
            paths = {name: path for name, path in paths.items() if name != DEEP}
        paths = {name: path.format(**state) for name, path in paths.items()}

        def measured(name, path):
            # Uncached: a request per worker, so that each has loaded what the
            # page needs; cached: exactly one, which fills the cache.
            for _ in range(1 if cache_seconds else arguments.workers):
                status, _body = fetch(base, path)
            figures = {"path": path, "status": status}
            figures |= measure(server, base, path, arguments)
            log(
                f"  {name:<24} {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.1f} ms"
                f"  p99 {figures['p99_ms']:7.1f} ms  app {figures['app_ms']:6.2f}"
                f"  db {figures['db_ms']:6.2f} CPU ms/req  other load {figures['others']:.2f}"
            )
            return figures

        for key, path in CEILINGS.items():
            ceilings[key].append(measured(f"{CEILING_NAMES[key]}, first", path))
        for name, path in paths.items():
            rows[name] = measured(name, path)
        for key, path in CEILINGS.items():
            ceilings[key].append(measured(f"{CEILING_NAMES[key]}, last", path))
    finally:
        stop(server)
    return rows, ceilings


def run_proxy_pass(env, paths, arguments, state):
    """Serve through Varnish; return the report's lines and whether a target was missed."""
    from django.conf import settings

    from news.models import Article

    log("\nproxy pass (Varnish in front, RESPONSE_CACHE_SECONDS=300)")
    if not shutil.which("varnishd"):
        raise RunBroken(
            "varnishd is not installed (apt-get install varnish varnish-modules)"
        )
    with contextlib.suppress(OSError, RuntimeError):
        flush_redis(REDIS_URL)
    varnish = proxy.Varnish()
    # This process edits an article below: it purges the proxy too.
    settings.PROXY_PURGE_URLS = [varnish.base]
    try:
        server, base = start_gunicorn(
            {**env, "RESPONSE_CACHE_SECONDS": "300", "PROXY_PURGE_URLS": varnish.base},
            workers=arguments.workers,
        )
    except RuntimeError as error:
        raise RunBroken(str(error)) from error
    paths = {
        name: path.format(**state)
        for name, path in paths.items()
        if name != DEEP or "deep" in state
    }
    rows = {}
    # The purges are background tasks: a worker runs them, as in production
    # (started now, so that it is looking at the queue when the edit comes).
    worker = proxy.start_worker({**env, "PROXY_PURGE_URLS": varnish.base})
    try:
        varnish.start(urllib.parse.urlsplit(base).port)
        app = [server.pid, *workers(server.pid)]
        processes = {"app": app, "varnish": varnish.pids()}
        fetch(base, CEILINGS["a"])
        ceiling = proxy.measure(
            base + CEILINGS["a"], arguments.duration, processes, arguments.connections
        )
        ceiling["connections"] = arguments.connections
        log(
            f"  {'hello, direct':<24} {ceiling['rps']:8.1f} req/s"
            f"  p99 {ceiling['p99_ms']:6.2f} ms"
        )
        # The proxy's threads and wrk's connections are made on the first
        # load: one short burst first, so that no address pays for them.
        fetch(varnish.base, next(iter(paths.values())))
        proxy.wrk(varnish.base + next(iter(paths.values())), 2)
        for name, path in paths.items():
            status, _body = fetch(varnish.base, path)
            row = {"path": shown_path(path), "status": status}
            row |= proxy.measure(varnish.base + path, arguments.duration, processes)
            row["at_rate"] = proxy.at_target_rate(
                varnish.base + path, arguments.duration, ceiling["rps"]
            )
            row["verdict"] = proxy.verdict(row, ceiling["rps"])
            rows[name] = row
            log(
                f"  {name:<24} {row['rps']:8.1f} req/s  p50 {row['p50_ms']:6.2f} ms"
                f"  p99 {row['p99_ms']:6.2f} ms; at {row['at_rate']['rps']:,.0f} req/s"
                f" p99 {row['at_rate']['p99_ms']:6.2f} ms  {row['verdict']}"
            )
        article = Article.objects.get(slug=state["article"])
        title = article.title_en

        def change():
            edited = f"Edited {time.monotonic_ns()}"
            article.title_en = edited
            article.save()
            return edited

        detail = URLS["news-detail"].format(**state)
        fetch(varnish.base, detail)
        seconds = proxy.purge_to_fresh(
            varnish, detail, change, fetch, arguments.duration
        )
        article.title_en = title
        article.save()
        log(f"  purge to fresh: {seconds}")
    finally:
        proxy.stop_worker(worker)
        varnish.stop()
        stop(server)
    missed = any(row["verdict"] != "PASS" for row in rows.values()) or not (
        seconds is not None and seconds < proxy.PURGE_TO_FRESH_S
    )
    return proxy.table(rows, ceiling, seconds, arguments.duration), missed


def verdicts(rows, chosen, cached):
    """Add to each row its ratio to the applicable ceiling and PASS or FAIL with reasons."""
    ceiling = chosen["a" if cached else "b"]
    share = CACHED_SHARE if cached else UNCACHED_SHARE
    for name, row in rows.items():
        row["ratio"] = row["rps"] / ceiling["rps"]
        page_cpu = row["app_ms"] + row["db_ms"]
        row["cpu_ratio"] = (ceiling["app_ms"] + ceiling["db_ms"]) / max(page_cpu, 0.01)
        reasons = []
        if not row["requests"]:
            reasons.append("no answer within the run")
        if row["status"] != 200:
            reasons.append(f"status {row['status']}")
        if row["non_2xx"] or row["socket_errors"]:
            reasons.append("errors")
        if row["ratio"] < share:
            reasons.append("req/s")
        if not cached:
            limit = SEARCH_P99_MS if name in SEARCHES else P99_MS
            if row["p99_ms"] >= limit:
                reasons.append(f"p99 ≥ {limit} ms")
            if name == DEEP and FIRST in rows:
                first = rows[FIRST]
                if row["p50_ms"] > DEEP_FACTOR * first["p50_ms"]:
                    reasons.append(f"p50 > {DEEP_FACTOR}× page 1")
                if row["p99_ms"] > DEEP_FACTOR * first["p99_ms"]:
                    reasons.append(f"p99 > {DEEP_FACTOR}× page 1")
        row["verdict"] = "PASS" if not reasons else "FAIL: " + ", ".join(reasons)


def shown_path(path):
    path = urllib.parse.unquote(path)
    if "cursor=" in path:
        path = path.split("cursor=")[0] + "cursor=… (page 1,000)"
    return path.replace("|", "\\|")


def table(rows, ceilings, chosen, cached):
    against = "(a)" if cached else "(b)"
    lines = [
        f"| name | path | req/s | p50 ms | p99 ms | errors | KB/resp | app CPU ms/req"
        f" | db CPU ms/req | ratio vs {against} | CPU ratio vs {against} | other load"
        f" | verdict |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]

    def line(name, path, row, ratio="", cpu_ratio="", verdict=""):
        errors = row["non_2xx"] + row["socket_errors"]
        # wrk reports latencies of 0 when nothing was answered.
        p50, p99, size = (
            (
                f"{row['p50_ms']:.1f}",
                f"{row['p99_ms']:.1f}",
                f"{row['bytes_per_request'] / 1024:.1f}",
            )
            if row["requests"]
            else ("—", "—", "—")
        )
        return (
            f"| {name} | {shown_path(path)} | {row['rps']:,.0f} | {p50}"
            f" | {p99} | {errors} | {size}"
            f" | {row['app_ms']:.2f} | {row['db_ms']:.2f} | {ratio} | {cpu_ratio}"
            f" | {row['others']:.2f} | {verdict} |"
        )

    for key in ("a", "b"):
        for when, row in zip(("first", "last"), ceilings[key], strict=True):
            used = " (used)" if row is chosen[key] else ""
            lines.append(
                line(f"{CEILING_NAMES[key]}, {when}{used}", CEILINGS[key], row)
            )
    for name, row in rows.items():
        lines.append(
            line(
                name,
                row["path"],
                row,
                f"{row['ratio']:.2f}",
                f"{row['cpu_ratio']:.2f}",
                row["verdict"],
            )
        )
    return lines


def machine():
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    memory = re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M)
    return (
        f"{os.cpu_count()} cores ({model.group(1).strip() if model else 'unknown CPU'}),"
        f" {int(memory.group(1)) / 1024**2:.0f} GiB RAM, {platform.system()}"
        f" {platform.release()}"
    )


def git_commit():
    def git(*arguments):
        return subprocess.run(
            ["git", *arguments], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return commit + (" plus uncommitted changes" if dirty else "")


def report(arguments, context, passes):
    lines = [
        "# Load benchmark",
        "",
        f"- date: {context['started']:%Y-%m-%d %H:%M %Z}, {context['minutes']:.1f} minutes",
        f"- machine: {machine()}; load average {context['load_before']} before,"
        f" {context['load_after']} after",
        f"- code: git {git_commit()}",
        f"- data: scale {arguments.scale}: {context['counts']}",
        f"- server: gunicorn {arguments.workers} sync workers, production settings"
        f" (DEBUG off) with bench.settings, PostgreSQL {context['postgres']} and Redis"
        f" on loopback; Python {platform.python_version()}, Django {context['django']}",
        f"- load: `wrk -t1 -c{arguments.connections} -d{arguments.duration}s"
        f" --timeout {WRK_TIMEOUT} --latency <url>`, one address at a time",
        "- ceilings: measured first and last in each pass; ratios use the one with"
        " more requests/s (marked used)",
        f"- response cache: {context['cache_setting']}",
        "- database connections: "
        + (
            f"a pool of {arguments.pool.replace(',', ' to ')} per worker"
            f" (DATABASE_POOL={arguments.pool})"
            if arguments.pool
            else "kept by each worker (CONN_MAX_AGE)"
        ),
        "- other load: cores kept busy by other processes on the machine during the"
        " measurement (not this server, its database backends, wrk or Redis)",
    ]
    for label, cached, (rows, ceilings, chosen) in passes:
        ceiling = chosen["a" if cached else "b"]
        share = CACHED_SHARE if cached else UNCACHED_SHARE
        lines += [
            "",
            f"## {label.capitalize()} (RESPONSE_CACHE_SECONDS={300 if cached else 0})",
            "",
        ]
        if cached:
            lines.append(
                f"Target: {share:.0%} of ceiling (a), {share * ceiling['rps']:,.0f} req/s,"
                " with no errors."
            )
        else:
            lines.append(
                f"Target: a third of ceiling (b), {share * ceiling['rps']:,.0f} req/s,"
                f" p99 under {P99_MS} ms (search {SEARCH_P99_MS} ms), no errors;"
                f" {DEEP} within {DEEP_FACTOR}× {FIRST}'s p50 and p99."
            )
        measured = [*rows.values(), *ceilings["a"], *ceilings["b"]]
        lines[-1] += (
            " Other processes kept"
            f" {sum(r['others'] for r in measured) / len(measured):.2f} cores busy on"
            " average meanwhile."
        )
        lines += ["", *table(rows, ceilings, chosen, cached)]
    if context.get("proxy"):
        lines += [
            "",
            "## Through the proxy (Varnish, deploy/varnish/site.vcl;"
            " RESPONSE_CACHE_SECONDS=300)",
            "",
            *context["proxy"],
        ]
    if context.get("deep"):
        lines += ["", f"{DEEP}: `{context['deep']}`"]
    if context.get("deep_error"):
        lines += ["", f"{DEEP} not measured: {context['deep_error']}"]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--scale", type=int, default=100, help="load data set, percent of full"
    )
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds of load per address"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--output", default=str(ROOT / "bench" / "results" / "latest.md")
    )
    parser.add_argument(
        "--only",
        help=f"comma-separated names to measure, from: {', '.join(URLS)}",
    )
    parser.add_argument(
        "--skip-data",
        action="store_true",
        help="use the database as it is: no migrate, no data check",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a target is missed"
    )
    parser.add_argument(
        "--passes",
        default="uncached,cached",
        help="which passes to run, from: uncached, cached, proxy (through Varnish)",
    )
    parser.add_argument(
        "--pool",
        metavar="MIN,MAX",
        help="serve with a connection pool of this size per worker (DATABASE_POOL)"
        " instead of kept connections",
    )
    arguments = parser.parse_args()
    arguments.passes = [name.strip() for name in arguments.passes.split(",")]
    if unknown := set(arguments.passes) - {"uncached", "cached", "proxy"}:
        parser.error(f"unknown passes: {', '.join(sorted(unknown))}")
    names = list(URLS)
    if arguments.only:
        wanted = {name.strip() for name in arguments.only.split(",") if name.strip()}
        if unknown := wanted - set(URLS):
            parser.error(f"unknown names: {', '.join(sorted(unknown))}")
        if DEEP in wanted:
            wanted.add(FIRST)  # the deep page is judged against the first one
        names = [name for name in URLS if name in wanted]
    try:
        failed = run(arguments, names)
    except (RunBroken, subprocess.CalledProcessError) as error:
        log(f"benchmark broken: {error}")
        sys.exit(2)
    sys.exit(1 if failed and arguments.check else 0)


def run(arguments, names):
    require_wrk()
    started = datetime.datetime.now().astimezone()
    clock = time.monotonic()
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    ensure_database(database_url)
    env = production_env(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        REDIS_URL=REDIS_URL,
        API_ANON_RATE="10000000/min",  # measure the site, not the throttle
        # One backend per worker for the whole run, so that the database's CPU
        # time can be read from it; production reconnects once a minute, a
        # cost of a few ms a minute.
        DATABASE_CONN_MAX_AGE="3600",
        BENCH_APPLICATION_NAME="alliance-bench-setup",
    )
    server_extra = {"DATABASE_POOL": arguments.pool} if arguments.pool else {}
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    log("setup")
    if not arguments.skip_data:
        manage(env, "migrate", "--no-input")
        ensure_data(env, arguments.scale)
    manage(env, "collectstatic", "--no-input")
    state = pick_records(arguments.scale)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    context = {
        "started": started,
        "load_before": load_before,
        "counts": data_counts(),
        "postgres": postgres,
        "django": django.get_version(),
        "cache_setting": (
            "the site reads RESPONSE_CACHE_SECONDS"
            if hasattr(settings, "RESPONSE_CACHE_SECONDS")
            else "the site's settings have no RESPONSE_CACHE_SECONDS yet: the cached"
            " pass serves the same uncached views (with a warm Redis)"
        ),
    }
    server_env = {
        **env,
        **server_extra,
        "BENCH_APPLICATION_NAME": SERVER_APPLICATION_NAME,
    }
    paths = {name: URLS[name] for name in names}
    passes, failed = [], False
    for label, cached in (("uncached", False), ("cached", True)):
        if label not in arguments.passes:
            continue
        rows, ceilings = run_pass(
            label, 300 if cached else 0, server_env, paths, arguments, state
        )
        chosen = {
            key: max(runs, key=lambda r: r["rps"]) for key, runs in ceilings.items()
        }
        verdicts(rows, chosen, cached)
        failed |= any(row["verdict"] != "PASS" for row in rows.values())
        passes.append((label, cached, (rows, ceilings, chosen)))
    if "proxy" in arguments.passes:
        lines, missed = run_proxy_pass(server_env, paths, arguments, state)
        context["proxy"] = lines
        failed |= missed
    context["deep"] = state.get("deep")
    context["deep_error"] = state.get("deep_error")
    context["minutes"] = (time.monotonic() - clock) / 60
    context["load_after"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    text = report(arguments, context, passes)
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(text)
    log(f"written to {output}")
    return failed


if __name__ == "__main__":
    main()
