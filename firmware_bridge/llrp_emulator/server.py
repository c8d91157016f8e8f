"""LlrpReaderServer: one emulated reader on one TCP port, speaking LLRP through the sans-IO codec.

Rule kept: a client can send anything; the worst it gets is an ERROR_MESSAGE and a closed
connection. One client at a time (a second is told so by its ConnectionAttemptEvent status
and closed), as an LLRP reader does (LLRP 1.0.1 §13.2.6.10). The reader hangs up only when it
closes: ConnectionCloseEvent, then a half-close, and the socket is closed once the client has
closed its side (or after a grace period), so a client request in flight never meets a reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from firmware_bridge import llrp as L
from firmware_bridge.llrp_emulator.faults import FaultyReports, ReaderFaults
from firmware_bridge.llrp_emulator.reader import ReaderIdentity, ReaderSession, TagSighting

log = logging.getLogger(__name__)
CLIENT_CONNECTION_EXISTS = 2  # ConnectionAttemptEvent status: a client connection exists
CLOSE_GRACE_S = 2.0  # after ConnectionCloseEvent, how long the client has to close its side


# A real reader takes milliseconds to answer a request. sllurp 3.0.5 registers its completion
# callback only after sending (LLRPClient.stopPolitely), so an instant answer can overtake it
# and the callback never fires; answering after a short, reader-like delay avoids that race.
DEFAULT_REPLY_DELAY_S = 0.01


def wall_clock_us() -> int:
    return time.time_ns() // 1000


class LlrpReaderServer:
    """Accepts one LLRP client and hands it reports while its ROSpec is active."""

    def __init__(self, identity: ReaderIdentity, clock_us: Callable[[], int] = wall_clock_us,
                 state_changed: asyncio.Event | None = None,
                 reply_delay_s: float = DEFAULT_REPLY_DELAY_S,
                 faults: ReaderFaults | None = None) -> None:
        self.identity = identity
        self._faulty = FaultyReports(faults) if faults is not None and faults.any else None
        self.reply_delay_s = reply_delay_s
        self._clock = clock_us
        self._server: asyncio.base_events.Server | None = None
        self._session: ReaderSession | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.state_changed = state_changed or asyncio.Event()
        self.reports_sent = 0
        self.reads_dropped = 0
        self.connections = 0
        self.closed_by_reader = 0  # connections the reader ended (ConnectionCloseEvent)
        self.rospecs_received: list[L.ROSpec] = []  # the last ADD_ROSPECs of every session
        self._idle = asyncio.Event()  # no client connected
        self._idle.set()
        self._closing = False

    @property
    def rospecs(self) -> list[L.ROSpec]:
        """Every ROSpec clients added, the connected one's last (what the reader was told)."""
        live = self._session.received if self._session is not None else []
        return [*self.rospecs_received, *live]

    @property
    def inventorying(self) -> bool:
        return self._session is not None and self._session.active_rospec is not None

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._closing = False
        self._server = await asyncio.start_server(self._serve, host, port)
        return self.port

    async def wait_idle(self, timeout: float) -> bool:
        """Wait (at most `timeout` s) until no client is connected; True if none is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        return self._idle.is_set()

    async def close(self, notify: bool = True, grace_s: float = CLOSE_GRACE_S) -> None:
        """Stop listening; tell the client the reader is closing (ConnectionCloseEvent, LLRP
        1.0.1 §16.2.7.6.12), half-close, and close once the client has closed its side."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        writer, session = self._writer, self._session
        if writer is not None and session is not None:
            self.closed_by_reader += 1
            with contextlib.suppress(ConnectionError, OSError, TimeoutError, RuntimeError):
                if notify:
                    writer.write(L.encode(session.closing(self._event_stamp())))
                if writer.can_write_eof():
                    writer.write_eof()  # FIN: what the client still sends is read, not reset
                await asyncio.wait_for(writer.drain(), grace_s)
            await self.wait_idle(grace_s)
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    def _event_stamp(self) -> L.UTCTimestamp | L.Uptime:
        """The reader's clock for an event: the same clock, faults and all, as its reads."""
        now = self._clock()
        return L.UTCTimestamp(now) if self._faulty is None else self._faulty.event_stamp(now)

    def deliver(self, sightings: list[TagSighting]) -> int:
        """Queue RO_ACCESS_REPORTs for the client; returns tag reports queued (0 if idle)."""
        session, writer = self._session, self._writer
        if session is None or writer is None or writer.is_closing() or self._closing:
            self.reads_dropped += len(sightings)
            return 0
        sent = 0
        for built in session.report(sightings):
            report = built if self._faulty is None else self._faulty.apply(built)
            if report is None:
                continue
            writer.write(L.encode(report))
            sent += len(report.tags)
        self.reads_dropped += len(sightings) - sent
        self.reports_sent += sent
        return sent

    async def drain(self) -> None:
        writer = self._writer
        if writer is not None and not writer.is_closing():
            with contextlib.suppress(ConnectionError, OSError):
                await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = ReaderSession(self.identity)
        if self._session is not None:
            writer.write(L.encode(session.connected(self._event_stamp(),
                                                  CLIENT_CONNECTION_EXISTS)))
            with contextlib.suppress(ConnectionError, OSError):
                await writer.drain()
            writer.close()
            return
        self._session, self._writer = session, writer
        self._idle.clear()
        self.connections += 1
        keepalive = asyncio.create_task(self._keepalive(session, writer))
        try:
            writer.write(L.encode(session.connected(self._event_stamp())))
            await self._converse(session, reader, writer)
        except (ConnectionError, OSError) as exc:
            log.info("reader %s: client went away: %s", self.identity.reader_id, exc)
        finally:
            keepalive.cancel()
            self.rospecs_received = [*self.rospecs_received, *session.received][-16:]
            self._session = self._writer = None
            writer.close()
            self._idle.set()
            self.state_changed.set()

    async def _converse(self, session: ReaderSession, reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> None:
        decoder = L.Decoder()
        while True:
            data = await reader.read(65536)
            if not data:
                return
            try:
                messages = decoder.feed(data)
            except L.LlrpError as exc:
                messages = []
                decoder_error: L.LlrpError | None = exc
            else:
                decoder_error = decoder.failed
            close = False
            for message in messages:
                reply = session.handle(message)
                if self._closing:  # our side is shut: read what the client sends, answer none
                    continue
                if reply.messages and self.reply_delay_s > 0:
                    await asyncio.sleep(self.reply_delay_s)
                for answer in reply.messages:
                    writer.write(L.encode(answer))
                close = close or reply.close
            self.state_changed.set()
            if self._closing:
                continue
            if decoder_error is not None:  # framing lost: say why, then hang up
                log.warning("reader %s: %s", self.identity.reader_id, decoder_error.reason)
                status = L.LLRPStatus(decoder_error.status, decoder_error.reason[:200])
                writer.write(L.encode(L.ErrorMessage(0, status)))
                close = True
            await writer.drain()
            if close:
                return

    async def _keepalive(self, session: ReaderSession, writer: asyncio.StreamWriter) -> None:
        """Periodic KEEPALIVE (§16.2.6.4) at the interval the client set."""
        while True:
            interval = session.keepalive_ms
            await asyncio.sleep(interval / 1000 if interval else 0.5)
            if interval and not writer.is_closing() and not self._closing:
                writer.write(L.encode(session.keepalive()))
