"""The portal bench across simulators, its running part: each trace of ../shared/portal-traces
played by the shared player (an LLRP reader per door) into the real gateway (`python -m edge
run`: sllurp → RfidSource → outbox → MQTT), its moves captured off the broker, scored by the
shared score.py, and turned into figures by bench/portal_figures.py.

Rule kept here: the bench measures whatever the gateway does; it never imports the portal
logic. A trace directory that is absent or broken is said in one clear line
(TracesUnavailable), never a traceback; a trace whose run fails is reported as that trace's
error and the others still run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.portal_capture import WAREHOUSE, BrokerUnavailable, MoveCollector, broker, free_ports
from bench.portal_figures import (
    INSIDE,
    Published,
    cut_trace,
    outside,
    portal_id,
    published_move,
    quiet_cut,
    score_line,
    total_figures,
    trace_figures,
)
from protocol import ContractError
from protocol.codec import decode_event

ROOT = Path(__file__).resolve().parent.parent

def default_traces() -> Path:
    """$PORTAL_TRACES, else ../shared/portal-traces beside the clone (as CI has it), else the
    same beside the clone this git worktree belongs to (a worktree under ../wt/NAME)."""
    if os.environ.get("PORTAL_TRACES"):
        return Path(os.environ["PORTAL_TRACES"])
    candidates = [ROOT.parent / "shared" / "portal-traces",
                  ROOT.parent.parent / "shared" / "portal-traces"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


DEFAULT_TRACES = default_traces()
DOORS = 3
START_TIMEOUT_S = 60.0  # the player waits this long for the gateway's three readers


class TracesUnavailable(Exception):
    """The trace directory cannot be used; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class TraceFiles:
    name: str
    reads: Path
    truth: Path


@dataclass(frozen=True, slots=True)
class Tools:
    player: Path
    scorer: Path


def find_traces(directory: Path, only: str | None = None) -> tuple[Tools, list[TraceFiles]]:
    """The player, the scorer and the traces (pN_*.json with a .truth.json) of a directory."""
    if not directory.is_dir():
        raise TracesUnavailable(f"no trace directory at {directory}")
    tools = Tools(directory / "player.py", directory / "score.py")
    for tool in (tools.player, tools.scorer):
        if not tool.is_file():
            raise TracesUnavailable(f"{directory} has no {tool.name}: cannot play or score")
    traces = [TraceFiles(p.stem, p, p.with_name(p.stem + ".truth.json"))
              for p in sorted(directory.glob("*.json"))
              if not p.name.endswith((".truth.json", ".session.json"))
              and p.with_name(p.stem + ".truth.json").is_file()]
    if not traces:
        raise TracesUnavailable(f"{directory} holds no trace with its truth "
                                "(NAME.json next to NAME.truth.json)")
    if only:
        chosen = [t for t in traces if only in t.name]
        if not chosen:
            raise TracesUnavailable(f"no trace named like {only!r} in {directory} (have: "
                                    f"{', '.join(t.name for t in traces)})")
        traces = chosen
    return tools, traces


def load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TracesUnavailable(f"{path} is not readable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise TracesUnavailable(f"{path} is not a JSON object")
    return data


# -- one trace -------------------------------------------------------------------------------
def gateway_config(gateway: str, base_port: int, host: str, port: int, outbox: Path) -> str:
    """The edge config of the shared site: door N is reader door-N on base_port + N - 1,
    antenna 1 looks out (yard), antenna 2 in (warehouse)."""
    doc: dict[str, Any] = {
        "warehouse": WAREHOUSE, "gateway_id": gateway, "heartbeat_s": 2,
        "mqtt": {"host": host, "port": port, "wait_for_hub": False},
        "outbox": {"path": str(outbox), "synchronous": "normal"},
        "rfid": {
            "readers": [{"id": f"door-{n}", "host": "127.0.0.1", "port": base_port + n - 1,
                         "reconnect_min_s": 0.5, "reconnect_max_s": 2,
                         "antennas": [{"antenna": 1, "portal": portal_id(n), "side": "outer"},
                                      {"antenna": 2, "portal": portal_id(n), "side": "inner"}]}
                        for n in range(1, DOORS + 1)],
            "portals": [{"id": portal_id(n), "door": f"BENCH-DOOR-{n}", "inside": INSIDE,
                         "outside": outside(n)} for n in range(1, DOORS + 1)],
        },
    }
    return json.dumps(doc, indent=1)  # JSON is YAML


@dataclass(frozen=True, slots=True)
class RunOptions:
    speed: float
    settle_s: float = 10.0  # after the trace: no move for this long ends the capture
    cut_s: float | None = None  # play only up to a quiet moment before this trace time


def run_trace(tools: Tools, files: TraceFiles, options: RunOptions, mqtt_at: tuple[str, int],
              workdir: Path) -> dict[str, Any]:
    """Play one trace into a fresh gateway; the figures, or {"error": ...}."""
    work = workdir / files.name
    work.mkdir(parents=True, exist_ok=True)
    trace_path, truth = files.reads, load_json(files.truth)
    if options.cut_s is not None:
        cut = quiet_cut(truth, options.cut_s)
        short, truth = cut_trace(load_json(files.reads), truth, cut)
        trace_path = work / f"{files.name}.json"
        trace_path.write_text(json.dumps(short), encoding="utf-8")
        (work / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    truth_path = work / "truth.json" if options.cut_s is not None else files.truth
    duration = float(truth.get("duration_s", 600))
    base = free_ports(DOORS)
    gateway = f"bench-{files.name[:20]}-{uuid.uuid4().hex[:6]}"
    session, outbox = work / "session.json", work / "outbox.sqlite"
    config = work / "edge.yaml"
    config.write_text(gateway_config(gateway, base, *mqtt_at, outbox), encoding="utf-8")
    collector = MoveCollector(*mqtt_at, gateway)
    player_log, gateway_log = work / "player.log", work / "gateway.log"
    with player_log.open("wb") as plog, gateway_log.open("wb") as glog:
        player = subprocess.Popen(
            [sys.executable, str(tools.player), "--trace", str(trace_path), "--base-port",
             str(base), "--speed", str(options.speed), "--session-out", str(session),
             "--start-timeout", str(START_TIMEOUT_S), "--progress-every", "1e9"],
            stdout=plog, stderr=plog)
        error = _wait_listening(player, session)
        # the config says it all: no EDGE_* variable of this shell may override it
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
        gw = None if error else subprocess.Popen(
            [sys.executable, "-m", "edge", "run", "--config", str(config)], cwd=ROOT,
            stdout=glog, stderr=glog, env={**env, "EDGE_LOG_LEVEL": "INFO"})
        try:
            if gw is not None:
                error = _play(player, gw, START_TIMEOUT_S + duration / options.speed + 60)
            trace_log_bytes = gateway_log.stat().st_size  # what it logged while the trace ran
            if error is None:
                collector.wait_quiet(options.settle_s, limit_s=120)
        finally:
            code = _stop(gw) if gw is not None else None
            _stop(player)
            collector.close()
    if error is not None:
        return {"error": f"{error} (logs in {work})"}
    received = [(e, t) for e, t in collector.moves]
    seen = {e.event_id for e, _ in received}
    left = [(e, None) for e in _outbox_events(outbox) if e.event_id not in seen]
    moves = [m for m in (published_move(e, t) for e, t in received + left) if m is not None]
    figures = _score(tools, truth, truth_path, session, moves, work)
    figures["published"] = len(received)
    figures["left_in_outbox_at_stop"] = len(left)
    figures["gateway"] = _gateway_health(gateway_log, trace_log_bytes, code,
                                         collector.heartbeat)
    stats = load_json(session).get("stats", {})
    figures["player"] = {k: sum(int(v.get(k, 0)) for v in stats.values())
                         for k in ("tag_report_data_sent", "reads_sent",
                                   "reads_dropped_no_client", "connections")}
    return figures


def _wait_listening(player: subprocess.Popen[bytes], session: Path) -> str | None:
    """The player writes its session file once its readers listen (so the gateway's first
    connects are not refused)."""
    deadline = time.monotonic() + 30
    while not session.is_file():
        if player.poll() is not None:
            return f"the player exited with status {player.returncode} before listening"
        if time.monotonic() > deadline:
            return "the player did not listen within 30 s"
        time.sleep(0.05)  # polling a file another process writes: no event to await
    return None


def _play(player: subprocess.Popen[bytes], gw: subprocess.Popen[bytes],
          limit_s: float) -> str | None:
    """Wait for the player to finish the trace; a message if something died first."""
    deadline = time.monotonic() + limit_s
    while True:
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = player.wait(timeout=1.0)
            return None if code == 0 else f"the player exited with status {code}"
        if gw.poll() is not None:
            return f"the gateway exited with status {gw.returncode} during the trace"
        if time.monotonic() > deadline:
            return f"the trace did not finish within {limit_s:.0f} s"


def _stop(proc: subprocess.Popen[bytes]) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


def _outbox_events(path: Path) -> list[Any]:
    """Events still queued when the gateway stopped (closed at stop, or not yet acked)."""
    if not path.is_file():
        return []
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT payload FROM outbox ORDER BY seq").fetchall()
    out = []
    for (payload,) in rows:
        with contextlib.suppress(ContractError, ValueError):
            out.append(decode_event(json.loads(payload)))
    return out


def _score(tools: Tools, truth: dict[str, Any], truth_path: Path, session_path: Path,
           moves: list[Published], work: Path) -> dict[str, Any]:
    moves_path = work / "moves.jsonl"
    moves_path.write_text("".join(json.dumps(score_line(m)) + "\n" for m in moves),
                          encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(tools.scorer), "--truth", str(truth_path), "--moves",
         str(moves_path), "--session", str(session_path), "--clock", "wall", "--details",
         "--out", str(work / "score.json")], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return {"error": f"score.py failed ({done.returncode}): {tail}"}
    return trace_figures(truth, json.loads(done.stdout), moves, load_json(session_path))


def _gateway_health(log: Path, trace_bytes: int, code: int | None,
                    beat: dict[str, Any] | None) -> dict[str, Any]:
    """Its exit status, what it warned about while the trace played (after it, the readers
    going away is expected), errors at any time, and its last heartbeat's RFID figures."""
    lines = log.read_bytes()[:trace_bytes].decode(errors="replace").splitlines()
    every = log.read_text(encoding="utf-8", errors="replace").splitlines()
    warnings = [x for x in lines if " WARNING " in x]
    out: dict[str, Any] = {
        "exit_status": code,
        "warnings_during_trace": len(warnings),
        "errors": sum(1 for x in every if " ERROR " in x or x.startswith("Traceback")),
        "first_warnings": sorted({x.split(" WARNING ", 1)[-1][:140] for x in warnings})[:6],
    }
    rfid = (beat or {}).get("sources", {}).get("rfid")
    if isinstance(rfid, dict):
        out["last_heartbeat"] = {k: rfid.get(k) for k in (
            "reads", "unknown_epc_reads", "unknown_antenna_reads", "bad_timestamps",
            "dropped_reads", "moves_emitted", "refused")}
        out["last_heartbeat"]["clock_states"] = {
            r: (v.get("clock") or {}).get("state") for r, v in rfid.get("readers", {}).items()}
    return out


# -- all traces ------------------------------------------------------------------------------
def run_traces(directory: Path, options: RunOptions, only: str | None = None,
               concurrent: bool = False, mqtt_at: tuple[str, int] | None = None,
               keep: Path | None = None) -> dict[str, Any]:
    """Every trace (one after another, or all at once), per trace and in total."""
    tools, traces = find_traces(directory, only)
    with contextlib.ExitStack() as stack:
        if keep is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="portalbench-")))
        else:
            work = keep
            work.mkdir(parents=True, exist_ok=True)
        host, port = mqtt_at if mqtt_at else (None, None)
        try:
            at = stack.enter_context(broker(host, port, work))
        except BrokerUnavailable as exc:
            raise TracesUnavailable(str(exc)) from None

        def one(files: TraceFiles) -> dict[str, Any]:
            try:
                return run_trace(tools, files, options, at, work)
            except TracesUnavailable as exc:
                return {"error": str(exc)}

        if concurrent:
            with ThreadPoolExecutor(len(traces)) as pool:
                results = list(pool.map(one, traces))
        else:
            results = [one(t) for t in traces]
    per_trace = dict(zip((t.name for t in traces), results, strict=True))
    total = total_figures(per_trace.values())
    for r in per_trace.values():
        r.pop("_latencies", None)
    return {"directory": str(directory), "speed": options.speed, "concurrent": concurrent,
            "cut_s": options.cut_s, "per_trace": per_trace, "total": total,
            "failed": sorted(n for n, r in per_trace.items() if "error" in r)}
