"""A real HTTP server on a free local port that records the webhooks it receives.

`answers` says how it answers each request in turn (a status code, or a
callable taking the request and answering a status code); once they run
out it answers `then`. Requests are kept in `received` as dicts of
path, headers (lower-cased names) and body.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length", 0))
        request = {
            "path": self.path,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": self.rfile.read(length),
        }
        with receiver.lock:
            receiver.received.append(request)
            answer = receiver.answers.pop(0) if receiver.answers else receiver.then
        if callable(answer):
            answer = answer(request)
        status, body, headers = (
            answer if isinstance(answer, tuple) else (answer, b"ok", {})
        )
        if status == 204:
            body = b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class Receiver:
    def __init__(self, answers=(), then=204):
        self.answers = list(answers)
        self.then = then
        self.received = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.receiver = self
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/alliance"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def ids(self):
        return [request["headers"]["webhook-id"] for request in self.received]
