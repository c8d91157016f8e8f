"""Child processes of the demo and the system tests: started in order, watched, stopped in reverse.

Rule kept here: every child runs in its own session (a Ctrl-C in the terminal reaches only us),
its output goes to a log file, and stop() ends children newest first, SIGTERM then SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


class ChildFailed(RuntimeError):
    """A child exited or did not become ready; the message quotes the end of its log."""


@dataclass
class Child:
    """One started process, its log file, and the lines it printed on stdout (queued)."""

    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes]
    log_path: Path
    lines: queue.SimpleQueue[str] = field(default_factory=queue.SimpleQueue)
    _pump: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_line(self, accept: Callable[[str], bool], timeout: float) -> str:
        """The next stdout line that `accept` takes; ChildFailed when it exits or times out."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildFailed(f"{self.name}: no expected output within {timeout:.0f} s"
                                  f"{log_tail(self.log_path)}")
            try:
                line = self.lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                if not self.running:
                    raise ChildFailed(f"{self.name} exited with {self.proc.returncode}"
                                      f"{log_tail(self.log_path)}") from None
                continue
            if accept(line):
                return line

    def signal(self, signum: int) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signum)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
        if self.running:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc.returncode is not None:
            self.close()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL the child's whole process group (as a crash or the OOM killer would)."""
        self.signal(signal.SIGKILL)
        self.proc.wait(30)
        self.close()

    def close(self) -> None:
        """After exit: let the pump drain stdout, then close our ends of the pipes."""
        if self._pump is not None:
            self._pump.join(5)
        for pipe in (self.proc.stdout, self.proc.stdin):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\n  log " + str(path) + ":\n    " + "\n    ".join(text) if text else ""


def python_env(extra: Mapping[str, str] | None = None, *, drop_prefixes: Sequence[str] = ()
               ) -> dict[str, str]:
    """This environment with our checkout on PYTHONPATH, minus variables a child must not see."""
    env = {k: v for k, v in os.environ.items()
           if not any(k.startswith(p) for p in drop_prefixes)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


class Supervisor:
    """Starts children with progress lines on `out`, and stops them all (newest first)."""

    def __init__(self, log_dir: Path, out: IO[str] | None = None) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.out = out if out is not None else sys.stdout
        self.children: dict[str, Child] = {}

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None,
              *, stdin: bool = False, cwd: Path = ROOT) -> Child:
        """Start `argv` (a fresh session, stdout lines queued and logged, stderr logged)."""
        if name in self.children and self.children[name].running:
            raise ChildFailed(f"{name} is already running")
        log_path = self.log_dir / f"{name}.log"
        log = log_path.open("ab")
        proc = subprocess.Popen(list(argv), env=dict(env) if env is not None else None,
                                cwd=cwd, stdout=subprocess.PIPE, stderr=log,
                                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                start_new_session=True)
        log.close()  # the child holds its own descriptor
        child = Child(name, list(argv), proc, log_path)
        child._pump = threading.Thread(target=_pump, args=(proc, log_path, child.lines),
                                       name=f"pump-{name}", daemon=True)
        child._pump.start()
        self.children[name] = child
        return child

    def step(self, label: str, action: Callable[[], str | None]) -> None:
        """Run one start-up step with a progress line: '  label ... ok (1.2 s) detail'."""
        print(f"  {label:<44}", end="", file=self.out, flush=True)
        started = time.monotonic()
        try:
            detail = action()
        except BaseException:
            print("FAILED", file=self.out, flush=True)
            raise
        took = time.monotonic() - started
        print(f"ok ({took:4.1f} s){'  ' + detail if detail else ''}", file=self.out, flush=True)

    def dead(self) -> list[Child]:
        return [c for c in self.children.values() if not c.running]

    def stop(self, name: str, timeout: float = 15.0) -> int | None:
        return self.children[name].stop(timeout)

    def stop_all(self, timeout: float = 15.0, *, verbose: bool = False) -> None:
        for child in reversed(list(self.children.values())):
            if child.running and verbose:
                self.say(f"  stopping {child.name}")
            child.stop(timeout)
        self.children.clear()


def _pump(proc: subprocess.Popen[bytes], log_path: Path, lines: queue.SimpleQueue[str]) -> None:
    """Copy the child's stdout to its log and to `lines` (its own thread: a pipe must drain)."""
    assert proc.stdout is not None
    with log_path.open("ab") as log:
        for raw in proc.stdout:
            log.write(raw)
            log.flush()
            lines.put(raw.decode(errors="replace").rstrip("\n"))


class StopSignals:
    """SIGINT/SIGTERM set an event instead of raising, so shutdown runs in one place."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.received: int | None = None
        self._saved: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._saved[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, _frame: object) -> None:
        self.received = signum
        self.event.set()

    def __exit__(self, *_exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
