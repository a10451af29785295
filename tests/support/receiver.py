"""A webhook receiver on 127.0.0.1 (http.server in a thread) that keeps what it is sent."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from scripts.stack import free_port


class Receiver:
    """Endpoints by path: ``/good/…`` answers 200, ``/fail/…`` 500 while failing, ``/hang/…`` never answers
    (until the test ends); every request is kept with its headers and body."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes, float]] = []
        self.failing = True
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, dict(self.headers), body, time.monotonic()))
                if self.path.startswith("/hang/"):
                    receiver.release.wait(30)
                code = 500 if self.path.startswith("/fail/") and receiver.failing else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def at(self, path: str) -> list[tuple[dict[str, str], bytes, float]]:
        return [(h, b, t) for p, h, b, t in self.received if p == path]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
