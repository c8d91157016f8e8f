"""A TCP relay that can be cut: the network between a gateway and its broker, failing on demand.

While cut, open connections are closed and new ones are accepted then dropped at once, as a
link whose far side is unreachable looks to a client that keeps retrying. While replies are
held, what clients send still goes through but nothing comes back (no PUBACK): a client's
publishes stay in flight, unacknowledged, for as long as a test wants.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from deploy.local_broker import free_port


class NetCut:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._cut = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._replies = threading.Event()  # clear: replies are held back
        self._replies.set()
        self._hold_after: int | None = None
        self.sent = 0  # bytes clients sent through the relay
        self.holding = threading.Event()  # set once replies are held
        self._thread = threading.Thread(target=self._accept, name="netcut", daemon=True)
        self._thread.start()
        self.connections = 0

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            for s in self._open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._open.clear()

    def restore(self) -> None:
        self._cut.clear()

    def hold_replies_after(self, sent: int) -> None:
        """Once clients have sent `sent` bytes in all, hold back every reply until
        release(); the chunk that crosses the mark goes through only after the hold is on,
        so nothing it carries is acknowledged."""
        self._hold_after = sent

    def release(self) -> None:
        self._hold_after = None
        self.holding.clear()
        self._replies.set()

    def close(self) -> None:
        self._closed.set()
        self.cut()
        self._thread.join(5)
        self._server.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._cut.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            self.connections += 1
            with self._lock:
                self._open += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False),
                             daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, outgoing: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if outgoing:
                    self.sent += len(data)
                    if self._hold_after is not None and self.sent >= self._hold_after:
                        self._replies.clear()
                        self.holding.set()
                else:
                    while not self._replies.wait(0.2):  # held: wait, or go when closed
                        if self._closed.is_set():
                            return
                dst.sendall(data)
        _close(src, dst)


def _close(src: socket.socket, dst: socket.socket) -> None:
    for s in (src, dst):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()
