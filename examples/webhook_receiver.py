#!/usr/bin/env python3
"""Receive the alliance's webhooks and apply each change to the mirror of sync_client.py.

    pip install standardwebhooks
    export WEBHOOK_SECRET=whsec_...     # shown once when the endpoint was added
    python examples/webhook_receiver.py https://alliance.example.org mirror.sqlite3 \\
        --port 8080 [--key KEY]

Put it behind your HTTPS server and give the alliance's secretariat its
address. For each POST it:

1. verifies the Standard Webhooks signature (`webhook-id`,
   `webhook-timestamp`, `webhook-signature`: HMAC-SHA256 with the secret)
   and refuses anything else with 400;
2. ignores a `webhook-id` it has applied before (retries carry the same id);
3. applies the change: for `published` and `updated` it reads the item from
   `data.url` (a 404 means it left the site since: it is dropped); for
   `withdrawn` it drops the item, as a tombstone says;
4. answers 204; or 500 if applying failed, so that the site tries again.

Webhooks tell you soon; `sync_client.py` on a schedule (say daily) stays the
safety net for anything missed while your receiver was away. Standard
library only, besides `standardwebhooks`.
"""

import argparse
import datetime
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks import Webhook, WebhookVerificationError
from sync_client import Client, Mirror

SEEN = "CREATE TABLE IF NOT EXISTS webhook_seen (id TEXT PRIMARY KEY, at TEXT NOT NULL)"
MAX_BODY = 64 * 1024


def apply(client, mirror, event):
    """Apply one verified event to the mirror."""
    data = event["data"]
    resource, slug = data["resource"], data["slug"]
    if data["kind"] == "withdrawn":
        mirror.remove(resource, slug, data["changed_at"])
        return
    item, _headers = client.get(data["url"])
    if item is None:
        mirror.db.execute(
            "DELETE FROM item WHERE resource = ? AND slug = ?", (resource, slug)
        )
    else:
        mirror.save(resource, item)


def make_handler(client, mirror, webhook):
    mirror.db.execute(SEEN)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self.answer(413)
            body = self.rfile.read(length)
            try:
                event = webhook.verify(body, dict(self.headers))
            except (WebhookVerificationError, ValueError):
                return self.answer(400)
            message_id = self.headers["webhook-id"]
            seen = mirror.db.execute(
                "SELECT 1 FROM webhook_seen WHERE id = ?", (message_id,)
            ).fetchone()
            if not seen:
                try:
                    apply(client, mirror, event)
                    mirror.db.execute(
                        "INSERT INTO webhook_seen (id, at) VALUES (?, ?)",
                        (message_id, datetime.datetime.now(datetime.UTC).isoformat()),
                    )
                    mirror.db.commit()
                except Exception as error:
                    mirror.db.rollback()
                    print(f"could not apply {message_id}: {error}", flush=True)
                    return self.answer(500)
            print(f"{message_id} {event['type']} {event['data']['slug']}", flush=True)
            self.answer(204)

        def answer(self, status):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "base_url", help="the alliance site, e.g. https://alliance.example.org"
    )
    parser.add_argument("mirror", help="the SQLite file that sync_client.py keeps")
    parser.add_argument("--key", help="a partner API key (higher rate limits)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    secret = os.environ.get("WEBHOOK_SECRET")
    if not secret:
        parser.error("set WEBHOOK_SECRET to the endpoint's secret (whsec_...)")

    client = Client(args.base_url, key=args.key)
    mirror = Mirror(args.mirror)
    # One request at a time: changes are applied in the order they arrive.
    server = HTTPServer(
        (args.host, args.port), make_handler(client, mirror, Webhook(secret))
    )
    print(f"Listening on http://{args.host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
