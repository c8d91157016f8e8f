"""A real HTTP receiver for webhook tests and the bench: records what it is sent, verifies
Standard Webhooks signatures, can answer an error, and can be stopped and started again on the
same port (a receiver that goes down)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


class Receiver:
    def __init__(self, secret: str | None = None, port: int = 0,
                 sink: Callable[[str], None] | None = None) -> None:
        """`sink(webhook_id)` is called for each accepted message before it is answered."""
        self.secret = secret
        self.port = port
        self.sink = sink
        self.received: list[dict[str, Any]] = []  # {"id", "type", "data", "verified"}
        self.status = 200
        self.changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = False
                if receiver.secret is not None:
                    Webhook(receiver.secret).verify(raw, headers)  # raises when forged
                    verified = True
                status = receiver.status
                if status < 300 and receiver.sink is not None:
                    receiver.sink(headers["webhook-id"])
                elif status < 300:
                    message = json.loads(raw)
                    with receiver.changed:
                        receiver.received.append({"id": headers["webhook-id"],
                                                  "type": message["type"],
                                                  "data": message["data"],
                                                  "verified": verified})
                        receiver.changed.notify_all()
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)
