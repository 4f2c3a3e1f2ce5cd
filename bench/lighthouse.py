#!/usr/bin/env python3
"""Lighthouse scores of four public pages, served as in production.

Serves the site with gunicorn and production settings (debug off, hashed and
compressed static files after `collectstatic`, no SSL redirect) on a free
port, with the demo content loaded into the database of DATABASE_URL, or an
SQLite file of its own under var/lighthouse/ when that is unset. Lighthouse
(pinned in bench/package.json, installed by npm into bench/node_modules on
the first run) audits each page with its mobile defaults in Debian's
chromium, a few times; the median performance score counts, since it varies
with the machine's load, and the lowest of the other three.

Reports go to bench/results/lighthouse/ (one JSON per run, not kept in git),
a summary to bench/results/lighthouse.md. The exit status is 1 when a page
scores below 95 in a category, 2 when the run itself breaks.

    make lighthouse
    .venv/bin/python bench/lighthouse.py --runs 1 --only home
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
RESULTS = BENCH / "results" / "lighthouse"
SUMMARY = BENCH / "results" / "lighthouse.md"
WORK = ROOT / "var" / "lighthouse"

PAGES = {
    "home": "/",
    "news": "/news/",
    "article": "/news/alliance-launched-in-chongqing/",
    "members": "/members/",
}
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
THRESHOLD = 95
# Keep the browser to loopback: no component updates, no lookups of Google's
# hosts, nothing that would reach outside this machine or add noise.
CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'",
]  # fmt: skip
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "speed-index": "SI",
}


def application_with_media():
    """The site's WSGI application, with uploads served from MEDIA_ROOT.

    In production the web server or object storage in front serves /media/;
    here whitenoise stands in for it so that pages show their images.
    Gunicorn calls this factory: `bench.lighthouse:application_with_media()`.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.project.settings")
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from whitenoise import WhiteNoise

    application = get_wsgi_application()
    return WhiteNoise(application, root=settings.MEDIA_ROOT, prefix=settings.MEDIA_URL)


def log(message):
    print(f"[lighthouse] {message}", file=sys.stderr, flush=True)


def ensure_lighthouse():
    """Install the pinned Lighthouse into bench/node_modules unless it is there."""
    if LIGHTHOUSE.exists():
        return
    if not shutil.which("npm"):
        sys.exit("npm is needed to install Lighthouse (bench/package.json)")
    log("installing Lighthouse into bench/node_modules (npm ci)")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=BENCH,
        check=True,
    )


def chrome_path():
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium")
    if not path:
        sys.exit("chromium is needed (apt-get install chromium), or set CHROME_PATH")
    return path


def prepare(env):
    python = sys.executable
    for command in (
        ["migrate", "--no-input", "-v0"],
        ["load_demo_content"],
        ["collectstatic", "--no-input", "-v0"],
    ):
        log("manage.py " + command[0])
        subprocess.run(
            [python, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


# Lighthouse now and then fails to record the browser's trace (NO_NAVSTART,
# NO_FCP) for reasons of its own; such a run is made again, up to this often.
ATTEMPTS = 3


def audit(url, output, chrome):
    """Run Lighthouse on `url` (again when it fails to record); return its report."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return audit_once(url, output, chrome)
        except (subprocess.CalledProcessError, RuntimeError) as error:
            if attempt == ATTEMPTS:
                raise
            log(f"attempt {attempt} failed ({error}); again")
    raise AssertionError("unreachable")


def audit_once(url, output, chrome):
    """Run Lighthouse once on `url`; return its report as a dict."""
    with tempfile.TemporaryDirectory(prefix="lighthouse-profile-") as profile:
        flags = " ".join([*CHROME_FLAGS, f"--user-data-dir={profile}"])
        subprocess.run(
            [str(LIGHTHOUSE), url, f"--chrome-flags={flags}",
             f"--only-categories={','.join(CATEGORIES)}", "--output=json",
             f"--output-path={output}", "--quiet", "--no-enable-error-reporting"],
            cwd=BENCH, env={**os.environ, "CHROME_PATH": chrome}, check=True,
        )  # fmt: skip
    report = json.loads(output.read_text())
    if report.get("runtimeError"):
        raise RuntimeError(f"{url}: {report['runtimeError']}")
    return report


def scores(report):
    return {
        name: round((report["categories"][name]["score"] or 0) * 100)
        for name in CATEGORIES
    }


def failing_audits(report):
    """Titles of the audits that cost points, by category."""
    found = {}
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            result = report["audits"][ref["id"]]
            if ref["weight"] and result["score"] is not None and result["score"] < 1:
                found.setdefault(name, []).append(
                    f"{ref['id']} ({result['score']:.2f})"
                )
    return found


def metrics(report):
    return {
        label: report["audits"][key].get("displayValue", "")
        for key, label in METRICS.items()
    }


def summarise(runs):
    """One row per page: median performance, lowest of the others, and from
    the run with the median performance its metrics and costly audits."""
    by_performance = sorted(runs, key=lambda report: scores(report)["performance"])
    middle = by_performance[len(by_performance) // 2]
    result = {"performance": statistics.median(scores(r)["performance"] for r in runs)}
    for name in CATEGORIES[1:]:
        result[name] = min(scores(r)[name] for r in runs)
    return {
        "scores": result,
        "all_performance": [scores(r)["performance"] for r in runs],
        "metrics": metrics(middle),
        "failing": failing_audits(middle),
        "warnings": middle.get("runWarnings", []),
        "version": middle["lighthouseVersion"],
        "browser": middle["environment"]["hostUserAgent"],
    }


def markdown(rows, context):
    lines = [
        "# Lighthouse",
        "",
        f"- when: {context['started']:%Y-%m-%d %H:%M %Z}",
        f"- Lighthouse {context['version']}, mobile defaults (simulated throttling),"
        f" {context['runs']} run(s) per page; performance is the median, the other"
        " categories the lowest",
        f"- browser: {context['browser']}",
        f"- server: gunicorn, production settings, {context['database']}, demo content",
        f"- pass mark: {THRESHOLD} in every category",
        "",
        "| page | path | performance | accessibility | best practices | SEO |"
        " FCP | LCP | TBT | CLS |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in rows.items():
        s, m = row["scores"], row["metrics"]
        runs = "/".join(str(p) for p in row["all_performance"])
        lines.append(
            f"| {name} | `{PAGES[name]}` | {s['performance']:g} ({runs}) |"
            f" {s['accessibility']} | {s['best-practices']} | {s['seo']} |"
            f" {m['FCP']} | {m['LCP']} | {m['TBT']} | {m['CLS']} |"
        )
    lines.append("")
    costly = [
        f"- {name}, {category}: {', '.join(audits)}"
        for name, row in rows.items()
        for category, audits in row["failing"].items()
    ]
    lines += ["Audits that cost points:", "", *(costly or ["- none"]), ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page")
    parser.add_argument(
        "--only", default=",".join(PAGES), help="pages, comma-separated"
    )
    parser.add_argument("--output", default=str(SUMMARY), help="summary markdown")
    arguments = parser.parse_args()
    names = [name for name in arguments.only.split(",") if name]
    if unknown := set(names) - set(PAGES):
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")

    # Standard library only, importable before Django is set up.
    from harness import production_env, start_gunicorn, stop

    ensure_lighthouse()
    chrome = chrome_path()
    WORK.mkdir(parents=True, exist_ok=True)
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{WORK / 'db.sqlite3'}"
    env = production_env(
        DATABASE_URL=database,
        MEDIA_ROOT=os.environ.get("MEDIA_ROOT") or str(WORK / "media"),
    )
    started = datetime.datetime.now().astimezone()
    prepare(env)
    RESULTS.mkdir(parents=True, exist_ok=True)
    server, base = start_gunicorn(
        env, module="bench.lighthouse:application_with_media()"
    )
    rows = {}
    try:
        for name in names:
            reports = []
            for run in range(1, arguments.runs + 1):
                log(f"{name} {PAGES[name]} run {run}/{arguments.runs}")
                output = RESULTS / f"{name}-{run}.json"
                reports.append(audit(base + PAGES[name], output, chrome))
            rows[name] = summarise(reports)
            s = rows[name]["scores"]
            print(
                f"{name:8} {PAGES[name]:42} "
                + "  ".join(f"{category} {s[category]:g}" for category in CATEGORIES),
                flush=True,
            )
            for warning in rows[name]["warnings"]:
                log(f"warning: {warning}")
    finally:
        stop(server)

    first = next(iter(rows.values()))
    context = {
        "started": started,
        "runs": arguments.runs,
        "version": first["version"],
        "browser": first["browser"],
        "database": "PostgreSQL" if database.startswith("postgres") else "SQLite",
    }
    Path(arguments.output).write_text(markdown(rows, context))
    log(f"summary written to {arguments.output}")
    below = [
        f"{name} {category} {row['scores'][category]:g}"
        for name, row in rows.items()
        for category in CATEGORIES
        if row["scores"][category] < THRESHOLD
    ]
    if below:
        print(f"below {THRESHOLD}: " + "; ".join(below), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (subprocess.CalledProcessError, RuntimeError) as error:
        print(f"lighthouse run broke: {error}", file=sys.stderr)
        sys.exit(2)
