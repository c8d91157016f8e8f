"""The reader side of one LLRP connection as a sans-IO state machine (no sockets, no clock).

Rule kept: every client request gets exactly one answer (its *_RESPONSE, or ERROR_MESSAGE
for what we cannot parse or do not support), except ENABLE_EVENTS_AND_REPORTS and
KEEPALIVE_ACK, which LLRP 1.0.1 §16.1 defines without a response. ROSpec states follow
LLRP 1.0.1 §10.2.1: Disabled -ENABLE-> Inactive -START (or Immediate trigger)-> Active.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from firmware_bridge import llrp as L
from firmware_bridge.llrp import StatusCode as S

MAX_ROSPECS = 8
# The TransmitPowerLevelTable this reader advertises (§16.2.3.2.1.1): index -> dBm, 10 to 30.
POWER_DBM = {i + 1: (1000 + 50 * i) / 100 for i in range(41)}
SENSITIVITY_DBM = -84.0  # a read made this weak by a lowered power is not heard


@dataclass(frozen=True)
class ReaderIdentity:
    """What the emulated reader says about itself in capabilities and config."""

    reader_id: str
    antennas: int = 4
    mac: bytes = b"\x00\x16\x25\x00\x00\x01"
    manufacturer: int = 0  # IANA private enterprise number; 0 = none
    model: int = 1
    firmware: str = "stockpulse-emulator 1.0"


@dataclass(frozen=True)
class TagSighting:
    """One tag seen on one antenna, timestamps in µs since the Unix epoch."""

    epc: bytes
    antenna_id: int
    rssi_dbm: float
    first_seen_us: int
    last_seen_us: int
    seen_count: int = 1


@dataclass(frozen=True)
class Reply:
    """What to send back, and whether to close the connection afterwards."""

    messages: tuple[Any, ...] = ()
    close: bool = False


# Requests whose body could not be parsed are answered with their own response type.
_RESPONSE_FOR: dict[int, Any] = {
    L.GetReaderCapabilities.TYPE: L.GetReaderCapabilitiesResponse,
    L.GetReaderConfig.TYPE: L.GetReaderConfigResponse,
    L.SetReaderConfig.TYPE: L.SetReaderConfigResponse,
    L.CloseConnection.TYPE: L.CloseConnectionResponse,
    L.AddROSpec.TYPE: L.AddROSpecResponse,
    L.DeleteROSpec.TYPE: L.DeleteROSpecResponse,
    L.StartROSpec.TYPE: L.StartROSpecResponse,
    L.StopROSpec.TYPE: L.StopROSpecResponse,
    L.EnableROSpec.TYPE: L.EnableROSpecResponse,
    L.DisableROSpec.TYPE: L.DisableROSpecResponse,
    L.DeleteAccessSpec.TYPE: L.DeleteAccessSpecResponse,
}


def capabilities(identity: ReaderIdentity) -> dict[str, Any]:
    """The capability parameters sllurp requires (general, regulatory/UHF band, RF modes)."""
    antennas = range(1, identity.antennas + 1)
    power = tuple(L.TransmitPowerLevelTableEntry(i, round(dbm * 100))
                  for i, dbm in POWER_DBM.items())
    mode = L.UHFC1G2RFModeTableEntry(
        1000, epc_hag_conformance=True, modulation=2, bdr_bps=160_000, pie=2000,
        min_tari_ns=25_000, max_tari_ns=25_000,
    )
    band = L.UHFBandCapabilities(
        power, L.FrequencyInformation(False, L.FixedFrequencyTable((865_700, 866_300, 866_900,
                                                                   867_500))),
        L.UHFC1G2RFModeTable((mode,)),
    )
    return {
        "general": L.GeneralDeviceCapabilities(
            identity.antennas, identity.manufacturer, identity.model, identity.firmware,
            sensitivity_table=(L.ReceiveSensitivityTableEntry(1, 0),),
            air_protocols=tuple(L.PerAntennaAirProtocol(a) for a in antennas),
            gpio=L.GPIOCapabilities(0, 0),
        ),
        "llrp": L.LLRPCapabilities(max_rospecs=MAX_ROSPECS, max_specs_per_rospec=1),
        "regulatory": L.RegulatoryCapabilities(276, 2, band),  # Germany, ETSI EN 302 208
        "c1g2": L.C1G2LLRPCapabilities(0, 0),
    }


@dataclass
class ReaderSession:
    """One client's view of the reader: ROSpecs, report settings, keepalive."""

    identity: ReaderIdentity
    rospecs: dict[int, L.ROSpec] = field(default_factory=dict)
    states: dict[int, L.ROSpecState] = field(default_factory=dict)
    report_spec: L.ROReportSpec = field(default_factory=L.ROReportSpec)
    keepalive_ms: int = 0
    received: list[L.ROSpec] = field(default_factory=list)  # every ADD_ROSPEC, as sent
    _next_id: int = 1

    # --- unsolicited messages -----------------------------------------------------------

    def _id(self) -> int:
        self._next_id = self._next_id % 0xFFFFFFFF + 1
        return self._next_id

    def connected(self, now: int | L.UTCTimestamp | L.Uptime, status: int = 0
                  ) -> L.ReaderEventNotification:
        """ConnectionAttemptEvent (§16.2.7.6.10): status 0 lets the client in. `now` is the
        reader's clock: µs UTC, or the timestamp parameter itself (Uptime, §16.2.2.2)."""
        event = L.ConnectionAttemptEvent(status)
        data = L.ReaderEventNotificationData(_stamp(now), (event,))
        return L.ReaderEventNotification(self._id(), data)

    def closing(self, now: int | L.UTCTimestamp | L.Uptime) -> L.ReaderEventNotification:
        data = L.ReaderEventNotificationData(_stamp(now), (L.ConnectionCloseEvent(),))
        return L.ReaderEventNotification(self._id(), data)

    def keepalive(self) -> L.Keepalive:
        return L.Keepalive(self._id())

    # --- requests -------------------------------------------------------------------------

    def handle(self, message: Any) -> Reply:
        """Answer one decoded client message (or RejectedFrame)."""
        if isinstance(message, L.RejectedFrame):
            return self._rejected(message)
        handler = _HANDLERS.get(type(message))
        if handler is None:
            text = f"{type(message).__name__} is not a client request"
            return Reply((L.ErrorMessage(message.message_id,
                                         L.LLRPStatus(S.UNSUPPORTED_MESSAGE, text)),))
        return handler(self, message)

    def _rejected(self, frame: L.RejectedFrame) -> Reply:
        status = L.LLRPStatus(frame.status, frame.reason[:200])
        response = _RESPONSE_FOR.get(frame.message_type, L.ErrorMessage)
        return Reply((response(frame.message_id, status),))

    def _capabilities(self, msg: L.GetReaderCapabilities) -> Reply:
        caps = capabilities(self.identity)
        if msg.requested_data not in (0, 1, 2, 3, 4):
            return _fail(L.GetReaderCapabilitiesResponse, msg, S.FIELD_ERROR,
                         "RequestedData must be 0..4")
        if msg.requested_data:  # §9.1.1: 1 general, 2 LLRP, 3 regulatory, 4 air protocol
            wanted = ("general", "llrp", "regulatory", "c1g2")[msg.requested_data - 1]
            caps = {k: v for k, v in caps.items() if k == wanted}
        return Reply((L.GetReaderCapabilitiesResponse(msg.message_id, L.LLRPStatus(), **caps),))

    def _get_config(self, msg: L.GetReaderConfig) -> Reply:
        antennas = tuple(L.AntennaProperties(a) for a in range(1, self.identity.antennas + 1)
                         if msg.antenna_id in (0, a))
        config = L.ReaderConfig(
            identification=L.Identification(0, self.identity.mac),
            antenna_properties=antennas,
            event_spec=L.ReaderEventNotificationSpec(),
            report_spec=self.report_spec,
            keepalive=L.KeepaliveSpec(1 if self.keepalive_ms else 0, self.keepalive_ms),
            events_and_reports=L.EventsAndReports(False),
        )
        return Reply((L.GetReaderConfigResponse(msg.message_id, L.LLRPStatus(), config),))

    def _set_config(self, msg: L.SetReaderConfig) -> Reply:
        if msg.reset_to_factory_defaults:
            self.rospecs.clear()
            self.states.clear()
            self.report_spec, self.keepalive_ms = L.ROReportSpec(), 0
        if msg.config.keepalive is not None:
            ka = msg.config.keepalive
            self.keepalive_ms = ka.interval_ms if ka.trigger == 1 else 0
        if msg.config.report_spec is not None:
            self.report_spec = msg.config.report_spec
        return _ok(L.SetReaderConfigResponse, msg)

    def _add(self, msg: L.AddROSpec) -> Reply:
        spec = msg.rospec
        if spec.rospec_id == 0 or spec.rospec_id in self.rospecs:
            return _fail(L.AddROSpecResponse, msg, S.A_INVALID,
                         f"ROSpecID {spec.rospec_id} is 0 or already present")
        if spec.current_state != L.ROSpecState.DISABLED:
            return _fail(L.AddROSpecResponse, msg, S.A_INVALID, "a new ROSpec must be Disabled")
        if len(self.rospecs) >= MAX_ROSPECS:
            return _fail(L.AddROSpecResponse, msg, S.A_OUT_OF_RANGE, "too many ROSpecs")
        self.rospecs[spec.rospec_id] = spec
        self.states[spec.rospec_id] = L.ROSpecState.DISABLED
        self.received = [*self.received[-(MAX_ROSPECS - 1):], spec]
        return _ok(L.AddROSpecResponse, msg)

    def _targets(self, msg: Any, response: Any) -> list[int] | Reply:
        if msg.spec_id == 0:
            return list(self.rospecs)
        if msg.spec_id not in self.rospecs:
            return _fail(response, msg, S.A_INVALID, f"no ROSpec {msg.spec_id}")
        return [msg.spec_id]

    def _enable(self, msg: L.EnableROSpec) -> Reply:
        targets = self._targets(msg, L.EnableROSpecResponse)
        if isinstance(targets, Reply):
            return targets
        for rid in targets:
            if self.states[rid] == L.ROSpecState.DISABLED:
                immediate = self.rospecs[rid].boundary.start.trigger == L.StartTrigger.IMMEDIATE
                self.states[rid] = L.ROSpecState.ACTIVE if immediate else L.ROSpecState.INACTIVE
        return _ok(L.EnableROSpecResponse, msg)

    def _start(self, msg: L.StartROSpec) -> Reply:
        if msg.spec_id not in self.rospecs or self.states[msg.spec_id] == L.ROSpecState.DISABLED:
            return _fail(L.StartROSpecResponse, msg, S.A_INVALID,
                         f"ROSpec {msg.spec_id} is unknown or disabled")
        self.states[msg.spec_id] = L.ROSpecState.ACTIVE
        return _ok(L.StartROSpecResponse, msg)

    def _stop(self, msg: L.StopROSpec) -> Reply:
        if self.states.get(msg.spec_id) != L.ROSpecState.ACTIVE:
            return _fail(L.StopROSpecResponse, msg, S.A_INVALID,
                         f"ROSpec {msg.spec_id} is not active")
        self.states[msg.spec_id] = L.ROSpecState.INACTIVE
        return _ok(L.StopROSpecResponse, msg)

    def _disable(self, msg: L.DisableROSpec) -> Reply:
        targets = self._targets(msg, L.DisableROSpecResponse)
        if isinstance(targets, Reply):
            return targets
        for rid in targets:
            self.states[rid] = L.ROSpecState.DISABLED
        return _ok(L.DisableROSpecResponse, msg)

    def _delete(self, msg: L.DeleteROSpec) -> Reply:
        targets = self._targets(msg, L.DeleteROSpecResponse)
        if isinstance(targets, Reply):
            return targets
        for rid in targets:
            del self.rospecs[rid], self.states[rid]
        return _ok(L.DeleteROSpecResponse, msg)

    def _delete_access(self, msg: L.DeleteAccessSpec) -> Reply:
        if msg.spec_id != 0:  # this reader holds no AccessSpecs (MaxNumAccessSpec = 0)
            return _fail(L.DeleteAccessSpecResponse, msg, S.A_INVALID,
                         f"no AccessSpec {msg.spec_id}")
        return _ok(L.DeleteAccessSpecResponse, msg)

    def _close(self, msg: L.CloseConnection) -> Reply:
        return Reply((L.CloseConnectionResponse(msg.message_id, L.LLRPStatus()),), close=True)

    def _silent(self, msg: Any) -> Reply:
        return Reply()

    # --- reports ------------------------------------------------------------------------

    @property
    def active_rospec(self) -> L.ROSpec | None:
        active = [self.rospecs[r] for r, s in self.states.items() if s == L.ROSpecState.ACTIVE]
        return min(active, key=lambda r: (r.priority, r.rospec_id)) if active else None

    def report(self, sightings: list[TagSighting]) -> list[L.ROAccessReport]:
        """RO_ACCESS_REPORTs for what the active ROSpec's antennas saw (§16.2.7.1 selector)."""
        spec = self.active_rospec
        if spec is None:
            return []
        antennas = {a for ai in spec.ai_specs for a in ai.antenna_ids}
        report_spec = spec.report_spec or self.report_spec
        sel = report_spec.content
        lowered = _power_below_max(spec)
        heard = [s for s in sightings if 0 in antennas or s.antenna_id in antennas]
        if lowered:  # weaker by what the antenna transmits below full power; some not at all
            heard = [s if s.antenna_id not in lowered else
                     replace(s, rssi_dbm=s.rssi_dbm - lowered[s.antenna_id]) for s in heard]
            heard = [s for s in heard
                     if s.antenna_id not in lowered or s.rssi_dbm >= SENSITIVITY_DBM]
        tags = [_tag_data(s, sel, spec.rospec_id) for s in heard]
        size = report_spec.n or len(tags) or 1
        return [L.ROAccessReport(self._id(), tuple(tags[i : i + size]))
                for i in range(0, len(tags), size)]


def _stamp(now: int | L.UTCTimestamp | L.Uptime) -> L.UTCTimestamp | L.Uptime:
    return L.UTCTimestamp(now) if isinstance(now, int) else now


def _power_below_max(spec: L.ROSpec) -> dict[int, float]:
    """dB each antenna transmits below the table's top (RFTransmitter, §16.2.6.8): a tag's
    reply comes back that much weaker (index 0 or one not in the table: full power)."""
    top = max(POWER_DBM.values())
    out: dict[int, float] = {}
    for ai in spec.ai_specs:
        for antenna, config in ai.antenna_configs().items():
            tx = config.transmitter
            if tx is not None and POWER_DBM.get(tx.transmit_power, top) < top:
                out[antenna] = top - POWER_DBM[tx.transmit_power]
    return out


def _tag_data(s: TagSighting, sel: L.TagReportContentSelector, rospec_id: int) -> L.TagReportData:
    return L.TagReportData(
        s.epc,
        rospec_id=rospec_id if sel.rospec_id else None,
        spec_index=1 if sel.spec_index else None,
        inventory_parameter_spec_id=1 if sel.inventory_parameter_spec_id else None,
        antenna_id=s.antenna_id if sel.antenna_id else None,
        peak_rssi=max(-128, min(127, round(s.rssi_dbm))) if sel.peak_rssi else None,
        channel_index=1 if sel.channel_index else None,
        first_seen_utc=s.first_seen_us if sel.first_seen else None,
        last_seen_utc=s.last_seen_us if sel.last_seen else None,
        tag_seen_count=min(s.seen_count, 0xFFFF) if sel.tag_seen_count else None,
        access_spec_id=0 if sel.access_spec_id else None,
    )


def _ok(response: Any, request: Any) -> Reply:
    return Reply((response(request.message_id, L.LLRPStatus()),))


def _fail(response: Any, request: Any, code: S, text: str) -> Reply:
    return Reply((response(request.message_id, L.LLRPStatus(code, text)),))


_HANDLERS: dict[type, Callable[[ReaderSession, Any], Reply]] = {
    L.GetReaderCapabilities: ReaderSession._capabilities,
    L.GetReaderConfig: ReaderSession._get_config,
    L.SetReaderConfig: ReaderSession._set_config,
    L.AddROSpec: ReaderSession._add,
    L.EnableROSpec: ReaderSession._enable,
    L.StartROSpec: ReaderSession._start,
    L.StopROSpec: ReaderSession._stop,
    L.DisableROSpec: ReaderSession._disable,
    L.DeleteROSpec: ReaderSession._delete,
    L.DeleteAccessSpec: ReaderSession._delete_access,
    L.CloseConnection: ReaderSession._close,
    L.EnableEventsAndReports: ReaderSession._silent,
    L.KeepaliveAck: ReaderSession._silent,
}

__all__ = ["ReaderIdentity", "ReaderSession", "Reply", "TagSighting", "capabilities"]
