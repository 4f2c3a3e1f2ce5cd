"""A real SMTP server on a free local port that keeps the messages it accepts.

With `hold` set it takes a message in and then waits, before saying it
accepted it, until `release` is set: a sender killed meanwhile has sent the
mail without hearing so. `received` is set at each message taken in.
"""

import contextlib
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, line):
        with contextlib.suppress(OSError):  # the sender may be gone
            self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        server = self.server.mail_server
        self.reply("220 localhost ESMTP")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 localhost")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                with server.lock:
                    server.messages.append(b"".join(lines))
                server.received.set()
                if server.hold:
                    server.release.wait(60)
                self.reply("250 OK queued")
            elif command == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class MailServer:
    def __init__(self, hold=False):
        self.hold = hold
        self.messages = []
        self.lock = threading.Lock()
        self.received = threading.Event()
        self.release = threading.Event()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.mail_server = self
        self.port = self.server.server_address[1]
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
