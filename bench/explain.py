#!/usr/bin/env python3
"""Query plans of the main queries of every page and API list, on the 100x data set.

Each address is requested through Django's test client with production
settings (DEBUG off) and both caches off, so that every query the view
builds runs. Of the SQL it runs, the main queries are those that read a big
table (articles, members, scenarios, events, their search documents and
link tables). Each is run again under EXPLAIN (ANALYZE, BUFFERS), exactly as
Django sent it (the parameters inlined), and the plan is checked: a main
query should reach the big tables through an index (Index Scan, Index Only
Scan, Bitmap Index Scan), not read one whole (Seq Scan). A plan with a
sequential scan is planned again with sequential scans discouraged, to show
which index PostgreSQL passed over, or that none could serve the query.

    make explain
    .venv/bin/python bench/explain.py --only news,api-news

The database is DATABASE_URL, by default the benchmark's data set
(postgres://postgres@127.0.0.1:5432/alliance_bench, made by `make bench`).
It is only read: the session is read-only, and a database whose migrations
are behind the code is refused rather than migrated.

The summary is printed and the full report (every plan) written to
bench/results/explain.md. Exit status: 0 when no main query reads a big
table of `--min-rows` rows or more whole, 1 when one does, 2 when the run
breaks.
"""

import argparse
import collections
import datetime
import os
import re
import sys
import time
from pathlib import Path

from harness import ROOT, production_env

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/alliance_bench"

# What is explained, by name (for --only). {article} and the like are the
# slugs of published objects picked from the data set (see `pick_slugs`).
PAGES = {
    "home": "/",
    "home-zh": "/zh-hans/",
    "news": "/news/",
    "news-by-tag": "/news/?tag={tag}",
    "news-by-member": "/news/?member={member}",
    "news-search": "/news/?q=energy",
    "news-last-page": "/news/?page=last",
    "article": "/news/{article}/",
    "directory": "/members/",
    "directory-by-sector": "/members/?sector={sector}",
    "directory-by-tier": "/members/?tier={tier}",
    "directory-by-country": "/members/?country=CN",
    "directory-search": "/members/?q=energy",
    "member": "/members/{member}/",
    "members-csv": "/members/export.csv",
    "members-embed": "/embed/members/",
    "scenarios": "/scenarios/",
    "scenarios-by-field": "/scenarios/?field={field}",
    "scenarios-by-status": "/scenarios/?status=piloting",
    "scenario": "/scenarios/{scenario}/",
    "events": "/events/",
    "event": "/events/{event}/",
    "event-ics": "/events/{event}/event.ics",
    "initiatives": "/initiatives/",
    "initiative": "/initiatives/{initiative}/",
    "site-page": "/{page}/",
    "search": "/search/?q=energy",
    "search-zh": "/search/?q=能源",
    "feed": "/news/feed/",
    "sitemap": "/sitemap.xml",
    "sitemap-news": "/sitemap-news.xml",
    "sitemap-members": "/sitemap-members.xml",
}
API = {
    "api-members": "/api/v1/members/",
    "api-members-by-sector": "/api/v1/members/?sector={sector}",
    "api-members-by-country": "/api/v1/members/?country=CN",
    "api-member": "/api/v1/members/{member}/",
    "api-sectors": "/api/v1/sectors/",
    "api-news": "/api/v1/news/",
    "api-news-by-tag": "/api/v1/news/?tag={tag}",
    "api-news-by-member": "/api/v1/news/?member={member}",
    "api-news-featured": "/api/v1/news/?featured=true",
    "api-news-since": "/api/v1/news/?updated_since=2025-06-01",
    "api-news-by-date": "/api/v1/news/?ordering=-published_at",
    "api-article": "/api/v1/news/{article}/",
    "api-tags": "/api/v1/tags/",
    "api-scenarios": "/api/v1/scenarios/",
    "api-scenarios-by-field": "/api/v1/scenarios/?field={field}",
    "api-scenarios-by-stage": "/api/v1/scenarios/?stage=piloting",
    "api-scenario": "/api/v1/scenarios/{scenario}/",
    "api-fields": "/api/v1/fields/",
    "api-events": "/api/v1/events/",
    "api-events-upcoming": "/api/v1/events/?upcoming=true",
    "api-event": "/api/v1/events/{event}/",
    "api-initiatives": "/api/v1/initiatives/",
    "api-initiatives-by-kind": "/api/v1/initiatives/?kind=programme",
    "api-tombstones": "/api/v1/tombstones/",
    "api-tombstones-by-resource": "/api/v1/tombstones/?resource=news",
}
ADDRESSES = {**PAGES, **API}

# The tables that grow with the content. A query that reads one of them is
# a main query, and it should reach them through an index.
BIG_TABLES = {
    "news_article",
    "news_articlesearchdocument",
    "news_article_tags",
    "news_article_members",
    "news_article_scenarios",
    "members_member",
    "members_membersearchdocument",
    "members_member_sectors",
    "alliance_scenario",
    "alliance_scenariosearchdocument",
    "alliance_scenarioparticipation",
    "alliance_event",
    "alliance_eventsearchdocument",
    "alliance_event_members",
    "alliance_participation",
}
READS_BIG_TABLE = re.compile(
    r'(?:FROM|JOIN)\s+"(' + "|".join(sorted(BIG_TABLES)) + r')"'
)
SEQ_SCAN = re.compile(r"(?:Parallel )?Seq Scan on (\w+)")
INDEX_SCAN = re.compile(r"(Index(?: Only)? Scan)(?: Backward)? using (\w+) on (\w+)")
BITMAP_SCAN = re.compile(r"Bitmap Index Scan on (\w+)")
EXECUTION_TIME = re.compile(r"Execution Time: ([\d.]+) ms")
# Below this many rows a table fits in a few pages, and PostgreSQL reads it
# whole rather than through any index: a scan of it does not fail the run.
MIN_ROWS = 1_000
# Numbers and quoted literals, to recognise the same query run with other values.
LITERALS = re.compile(r"\b\d+\b|'[^']*'")


class RunBroken(Exception):
    """The run cannot go on: the plans would mean nothing."""


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- Setup -------------------------------------------------------------------


def setup(database_url):
    """Configure Django as production runs it, both caches off, on a read-only session."""
    os.environ.update(
        production_env(
            DATABASE_URL=database_url,
            DJANGO_SETTINGS_MODULE="alliance.project.settings",
            RESPONSE_CACHE_SECONDS="0",
            FRAGMENT_CACHE_SECONDS="0",
            # Plain static names: the plans do not depend on collectstatic.
            DJANGO_STATIC_MANIFEST="false",
            API_ANON_RATE="10000000/min",
            # libpq passes this on: no transaction of this session may write.
            PGOPTIONS="-c default_transaction_read_only=on",
        )
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    settings.ALLOWED_HOSTS = ["*"]
    if connection.vendor != "postgresql":
        raise RunBroken("DATABASE_URL must be a PostgreSQL database")
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending)
        raise RunBroken(
            f"the database lacks migrations the code needs ({names}); this script"
            " only reads: migrate it first (`make bench` does)"
        )


def pick_slugs():
    """Published objects to request: from the middle of each table, with relations."""
    from django.db.models import Count

    from alliance.content.models import Event, Field, Initiative, Page, Scenario
    from members.models import Member, Sector, Tier
    from news.models import Article, Tag

    def middle(queryset):
        count = queryset.count()
        if not count:
            raise RunBroken(f"no published {queryset.model._meta.verbose_name}")
        return queryset.order_by("pk").values_list("slug", flat=True)[count // 2]

    def busiest(queryset, relation):
        found = (
            queryset.annotate(n=Count(relation))
            .order_by("-n", "pk")
            .values_list("slug", flat=True)
            .first()
        )
        if found is None:
            raise RunBroken(f"no published {queryset.model._meta.verbose_name}")
        return found

    return {
        "article": middle(Article.objects.published()),
        "member": middle(Member.objects.published()),
        "scenario": middle(Scenario.objects.published()),
        "event": busiest(Event.objects.published(), "articles"),
        "initiative": busiest(Initiative.objects.published(), "participants"),
        "tag": middle(Tag.objects.published()),
        "sector": busiest(Sector.objects.published(), "members"),
        "tier": busiest(Tier.objects.published(), "members"),
        "field": busiest(Field.objects.published(), "scenarios"),
        "page": middle(Page.objects.published()),
    }


def index_tables():
    """{index name: table name} of the public schema."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public'"
        )
        return dict(cursor.fetchall())


def table_rows():
    """{table: estimated rows} of the big tables, as the planner sees them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
            [sorted(BIG_TABLES)],
        )
        return dict(cursor.fetchall())


# --- Explaining ----------------------------------------------------------------


def captured(path):
    """The SQL a GET of `path` runs, in order."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = Client().get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    if response.status_code != 200:
        raise RunBroken(f"{path} answered {response.status_code}")
    return [query["sql"] for query in context.captured_queries]


def main_queries(path):
    """The main queries of `path`, each once, and how many queries it ran in all.

    Each main query comes as (sql, times run, every request?). The queries
    are captured with the fragment cache off, so that all of them run. Then
    the address is requested twice with the cache on: what the second request
    still runs runs on every request; the rest (counts, facets, figures) is
    remembered until the content changes.
    """
    from django.conf import settings
    from django.core.cache import cache

    queries = captured(path)
    settings.FRAGMENT_CACHE_SECONDS = 300
    try:
        cache.clear()
        captured(path)
        warm = {LITERALS.sub("?", sql) for sql in captured(path)}
    finally:
        settings.FRAGMENT_CACHE_SECONDS = 0
        cache.clear()
    shapes = collections.Counter()
    first = {}
    for sql in queries:
        if READS_BIG_TABLE.search(sql):
            shape = LITERALS.sub("?", sql)
            shapes[shape] += 1
            first.setdefault(shape, sql)
    main = [(first[shape], shapes[shape], shape in warm) for shape in first]
    return main, len(queries)


def plan_of(sql, *, analyze=True, seqscan=True):
    from django.db import connection

    options = "ANALYZE, BUFFERS, FORMAT TEXT" if analyze else "FORMAT TEXT"
    with connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET enable_seqscan = off")
        try:
            # No parameters: the SQL is complete, and its % signs are literal.
            cursor.execute(f"EXPLAIN ({options}) {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            if not seqscan:
                cursor.execute("RESET enable_seqscan")


def indexes_used(plan, indexes):
    """The index scans of the plan on big tables, each once."""
    used = [
        f"{kind} {index}"
        for kind, index, table in INDEX_SCAN.findall(plan)
        if table in BIG_TABLES
    ]
    used += [
        f"Bitmap Index Scan {index}"
        for index in BITMAP_SCAN.findall(plan)
        if indexes.get(index) in BIG_TABLES
    ]
    return list(dict.fromkeys(used))


def explain(sql, indexes):
    """EXPLAIN ANALYZE one query; return its plan and what it says about indexes.

    When the plan reads a big table sequentially, the query is planned again
    (not run) with sequential scans discouraged, to show which index, if any,
    PostgreSQL could have used instead.
    """
    plan = plan_of(sql)
    seq_scans = sorted({t for t in SEQ_SCAN.findall(plan) if t in BIG_TABLES})
    time_ms = EXECUTION_TIME.search(plan)
    found = {
        "plan": plan,
        "seq_scans": seq_scans,
        "indexes": indexes_used(plan, indexes),
        "ms": float(time_ms.group(1)) if time_ms else None,
    }
    if seq_scans:
        without = plan_of(sql, analyze=False, seqscan=False)
        found["without_seq_scans"] = {
            "still_scanned": sorted(
                {t for t in SEQ_SCAN.findall(without) if t in BIG_TABLES}
            ),
            "indexes": indexes_used(without, indexes),
        }
    return found


def shorten(sql, length=260):
    """The query with its column lists left out, cut to `length` characters."""
    parts, depth, index, skipping = [], 0, 0, None
    while index < len(sql):
        if sql.startswith("SELECT ", index) and skipping is None:
            parts.append("SELECT … ")
            skipping = depth
            index += len("SELECT ")
            continue
        if skipping == depth and sql.startswith("FROM ", index):
            skipping = None
        character = sql[index]
        depth += {"(": 1, ")": -1}.get(character, 0)
        if skipping is None:
            parts.append(character)
        index += 1
    text = " ".join("".join(parts).split())
    return text if len(text) <= length else text[: length - 1] + "…"


def shorten_line(line, length=300):
    """A plan line cut to `length` characters: a list of thousands of keys says no more."""
    return line if len(line) <= length else line[: length - 1] + "…"


def failing_scans(query, rows, min_rows):
    """The big tables the query reads whole that hold at least `min_rows` rows."""
    return [t for t in query["seq_scans"] if rows.get(t, 0) >= min_rows]


def verdict(query, rows, min_rows):
    if not query["seq_scans"]:
        return "index" if query["indexes"] else "no big table scanned"
    scans = ", ".join(
        f"{t} (~{max(rows.get(t, 0), 0):,} rows)" for t in query["seq_scans"]
    )
    label = "SEQ SCAN" if failing_scans(query, rows, min_rows) else "seq scan"
    return f"{label} of {scans}"


def probe(query):
    """What the plan became with sequential scans discouraged, in words.

    An index that then appears may still read most of the table (the status
    index, say): the plan says how selective it is.
    """
    without = query.get("without_seq_scans")
    if without is None:
        return ""
    if without["still_scanned"]:
        return (
            "With sequential scans discouraged it still reads "
            + ", ".join(without["still_scanned"])
            + " whole: no index can serve this query."
        )
    used = ", ".join(without["indexes"]) or "no index on a big table"
    return f"With sequential scans discouraged it would use {used}."


# --- Report --------------------------------------------------------------------


def summary_table(results, rows, min_rows):
    """One row per address; seq scans of a remembered query are marked so."""
    lines = [
        "| surface | address | queries | main | main using an index"
        f" | seq scans of a big table (SEQ: {min_rows:,} rows or more) | slowest main ms |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for name, result in results.items():
        queries = result["queries"]
        indexed = sum(1 for q in queries if q["indexes"] and not q["seq_scans"])
        scans = dict.fromkeys(
            ("SEQ " if rows.get(table, 0) >= min_rows else "")
            + table
            + ("" if q["every_request"] else " (remembered)")
            for q in queries
            for table in q["seq_scans"]
        )
        slowest = max((q["ms"] or 0 for q in queries), default=0)
        lines.append(
            f"| {name} | `{result['path']}` | {result['total']} | {len(queries)}"
            f" | {indexed} | {', '.join(scans) or 'none'} | {slowest:.2f} |"
        )
    return lines


def report(context, results):
    rows, min_rows = context["rows"], context["min_rows"]
    lines = [
        "# Query plans",
        "",
        "Written by `make explain` (bench/explain.py); docs/performance.md says"
        " how to read it.",
        "",
        f"- date: {context['started']:%Y-%m-%d %H:%M %Z}",
        f"- code: git {context['commit']}",
        f"- database: PostgreSQL {context['postgres']}, {context['counts']}",
        "- settings: production (DEBUG off), RESPONSE_CACHE_SECONDS=0,"
        " FRAGMENT_CACHE_SECONDS=0",
        "- objects requested: "
        + ", ".join(f"{key} `{slug}`" for key, slug in context["slugs"].items()),
        "- main query: one that reads a big table: "
        + ", ".join(
            f"{t} (~{max(rows.get(t, 0), 0):,} rows)" for t in sorted(BIG_TABLES)
        )
        + ". A query run several times is explained once (×N says how many).",
        f"- SEQ SCAN: a big table of {min_rows:,} rows or more read whole (the run"
        " fails); seq scan: a smaller one, which PostgreSQL reads whole rather"
        " than through an index at this size",
        "- every request / remembered: whether the query still runs when the"
        " fragment cache is on and warm, or only once per change of the content"
        " (counts, facets, figures)",
        "",
        "## Summary",
        "",
        *summary_table(results, rows, min_rows),
    ]
    for name, result in results.items():
        lines += [
            "",
            f"## {name}: `{result['path']}`",
            "",
            f"{result['total']} queries, {len(result['queries'])} of them main.",
        ]
        for number, query in enumerate(result["queries"], 1):
            times = f" (×{query['count']})" if query["count"] > 1 else ""
            runs = "every request" if query["every_request"] else "remembered"
            ms = f"{query['ms']:.2f} ms" if query["ms"] is not None else "time unknown"
            used = ", ".join(query["indexes"]) or "none on a big table"
            lines += [
                "",
                f"### {number}. {verdict(query, rows, min_rows)}{times}, {ms}, {runs}",
                "",
                f"`{shorten(query['sql'])}`",
                "",
                f"Indexes: {used}. {probe(query)}".rstrip(),
                "",
                "```text",
                *(shorten_line(line) for line in query["plan"].splitlines()),
                "```",
            ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--output", default=str(ROOT / "bench" / "results" / "explain.md")
    )
    parser.add_argument(
        "--only", help=f"comma-separated names, from: {', '.join(ADDRESSES)}"
    )
    parser.add_argument(
        "--min-rows",
        type=int,
        default=MIN_ROWS,
        help="a big table read whole fails the run from this many rows (0: always)",
    )
    arguments = parser.parse_args()
    names = list(ADDRESSES)
    if arguments.only:
        wanted = {name.strip() for name in arguments.only.split(",") if name.strip()}
        if unknown := wanted - set(ADDRESSES):
            parser.error(f"unknown names: {', '.join(sorted(unknown))}")
        names = [name for name in ADDRESSES if name in wanted]
    try:
        failed = run(arguments, names)
    except RunBroken as error:
        log(f"explain broken: {error}")
        sys.exit(2)
    sys.exit(1 if failed else 0)


def run(arguments, names):
    """Explain the addresses, write the report; return whether a big table was read whole."""
    started = datetime.datetime.now().astimezone()
    clock = time.monotonic()
    setup(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    from django.db import connection
    from django.db.utils import OperationalError
    from run import data_counts, git_commit

    try:
        slugs = pick_slugs()
    except OperationalError as error:
        raise RunBroken(str(error).strip()) from error
    indexes = index_tables()
    rows = table_rows()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    results = {}
    for name in names:
        path = ADDRESSES[name].format(**slugs)
        log(f"  {name}: {path}")
        queries, total = main_queries(path)
        results[name] = {
            "path": path,
            "total": total,
            "queries": [
                {
                    "sql": sql,
                    "count": count,
                    "every_request": every_request,
                    **explain(sql, indexes),
                }
                for sql, count, every_request in queries
            ],
        }
    context = {
        "started": started,
        "commit": git_commit(),
        "postgres": postgres,
        "counts": data_counts(),
        "slugs": slugs,
        "rows": rows,
        "min_rows": arguments.min_rows,
    }
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report(context, results))
    print("\n".join(summary_table(results, rows, arguments.min_rows)))
    failures = [
        f"{name}: {', '.join(failing_scans(q, rows, arguments.min_rows))} in"
        f" {shorten(q['sql'], 120)}"
        for name, result in results.items()
        for q in result["queries"]
        if failing_scans(q, rows, arguments.min_rows)
    ]
    for failure in failures:
        log(f"SEQ SCAN {failure}")
    log(
        f"{len(names)} addresses in {time.monotonic() - clock:.0f} s; every plan is in"
        f" {output}"
    )
    return bool(failures)


if __name__ == "__main__":
    main()
