#!/usr/bin/env python3
"""Mirror the alliance's open data into a local SQLite file, and keep it in sync.

Standard library only. Run it on a schedule:

    python examples/sync_client.py https://alliance.example.org mirror.sqlite3 [--key KEY]

The first run copies every published item of every resource. Later runs ask
only for what changed since the previous run (`updated_since`), drop what
the site withdrew (`/api/v1/tombstones/`), and refresh items whose nested
summaries point at something that changed or left. docs/api.md explains the
algorithm step by step.
"""

import argparse
import datetime
import email.utils
import json
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request

RESOURCES = [
    "sectors",
    "tags",
    "fields",
    "members",
    "events",
    "scenarios",
    "initiatives",
    "news",
    "pages",
]
# Look back a little further than the last run, so that an item saved while
# the previous run was under way is never missed.
OVERLAP = datetime.timedelta(minutes=5)
PAGE_SIZE = 100

SCHEMA = """
CREATE TABLE IF NOT EXISTS item (
    resource TEXT NOT NULL,
    slug TEXT NOT NULL,
    url TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (resource, slug)
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def parse_time(value):
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


class Client:
    def __init__(self, base_url, key=None, language="en"):
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.language = language

    def get(self, url, params=None):
        """GET a JSON document; None for a 404. Waits and retries on 429."""
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
        headers = {"Accept": "application/json", "Accept-Language": self.language}
        if self.key:
            headers["X-Api-Key"] = self.key
        for _attempt in range(5):
            request = urllib.request.Request(url, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.load(response), response.headers
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    return None, error.headers
                if error.code == 429:
                    time.sleep(min(int(error.headers.get("Retry-After", "5")), 60))
                    continue
                raise
        raise RuntimeError(f"still throttled after retries: {url}")

    def pages(self, path, params):
        """Every item of a list, following the cursor links."""
        body, _headers = self.get(
            f"{self.base_url}{path}", {**params, "page_size": PAGE_SIZE}
        )
        while body:
            yield from body["results"]
            if not body["next"]:
                break
            body, _headers = self.get(body["next"])

    def server_time(self):
        """The server's clock (from its Date header), so client clock drift does not matter."""
        _body, headers = self.get(f"{self.base_url}/api/v1/")
        return email.utils.parsedate_to_datetime(headers["Date"])


class Mirror:
    def __init__(self, path):
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def last_sync(self):
        row = self.db.execute(
            "SELECT value FROM state WHERE key = 'last_sync'"
        ).fetchone()
        return datetime.datetime.fromisoformat(row[0]) if row else None

    def save(self, resource, item):
        self.db.execute(
            "INSERT INTO item (resource, slug, url, updated_at, data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (resource, slug) DO UPDATE SET url = excluded.url, "
            "updated_at = excluded.updated_at, data = excluded.data",
            (
                resource,
                item["slug"],
                item["url"],
                item["updated_at"],
                json.dumps(item, sort_keys=True),
            ),
        )

    def remove(self, resource, slug, removed_at):
        """Drop an item, unless the copy we hold is newer than its removal (it came back)."""
        row = self.db.execute(
            "SELECT updated_at FROM item WHERE resource = ? AND slug = ?",
            (resource, slug),
        ).fetchone()
        if row and parse_time(row[0]) <= parse_time(removed_at):
            self.db.execute(
                "DELETE FROM item WHERE resource = ? AND slug = ?", (resource, slug)
            )

    def referring_to(self, url):
        """Items whose data mentions a URL (in a nested summary)."""
        pattern = f'%"{url}"%'
        return self.db.execute(
            "SELECT resource, slug, url FROM item WHERE data LIKE ? AND url != ?",
            (pattern, url),
        ).fetchall()

    def items(self):
        return {
            (resource, slug): json.loads(data)
            for resource, slug, data in self.db.execute(
                "SELECT resource, slug, data FROM item"
            )
        }


def sync(client, mirror):
    """One run of the sync algorithm; returns counts of what it did."""
    started = client.server_time()
    last = mirror.last_sync()
    since = (last - OVERLAP).isoformat() if last else None
    counts = {"saved": 0, "removed": 0, "refreshed": 0}
    changed_urls = set()

    # 1. Everything changed since the last run (everything, the first time).
    for resource in RESOURCES:
        params = {"updated_since": since} if since else {}
        for item in client.pages(f"/api/v1/{resource}/", params):
            mirror.save(resource, item)
            changed_urls.add(item["url"])
            counts["saved"] += 1

    # 2. What the site withdrew since then.
    if since:
        for tombstone in client.pages("/api/v1/tombstones/", {"since": since}):
            mirror.remove(
                tombstone["resource"], tombstone["slug"], tombstone["removed_at"]
            )
            changed_urls.add(
                f"{client.base_url}/api/v1/{tombstone['resource']}/{tombstone['slug']}/"
            )
            counts["removed"] += 1

    # 3. Items that point at something changed or removed carry stale summaries: fetch them again.
    if since:
        stale = {row for url in changed_urls for row in mirror.referring_to(url)}
        for resource, slug, url in stale:
            item, _headers = client.get(url)
            if item is None:
                mirror.db.execute(
                    "DELETE FROM item WHERE resource = ? AND slug = ?", (resource, slug)
                )
            else:
                mirror.save(resource, item)
            counts["refreshed"] += 1

    mirror.db.execute(
        "INSERT INTO state (key, value) VALUES ('last_sync', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (started.isoformat(),),
    )
    mirror.db.commit()
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "base_url", help="the site's address, e.g. https://alliance.example.org"
    )
    parser.add_argument("database", help="the SQLite file to keep the mirror in")
    parser.add_argument("--key", help="a partner API key (higher request allowance)")
    parser.add_argument("--language", default="en", choices=["en", "zh-hans"])
    arguments = parser.parse_args()
    counts = sync(
        Client(arguments.base_url, arguments.key, arguments.language),
        Mirror(arguments.database),
    )
    print(", ".join(f"{name}: {number}" for name, number in counts.items()))


if __name__ == "__main__":
    main()
