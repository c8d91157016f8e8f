"""A private Mosquitto for benchmarks, system tests and the demo: our config, a free port.

Rule kept here: the broker we start is ours alone (its own port, config and persistence
directory), so it can be stopped, killed and restarted without touching a shared broker.
"""

from __future__ import annotations

import getpass
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
BASE_CONF = DEPLOY / "mosquitto" / "tuning.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"mosquitto did not listen on {port}") from None
            time.sleep(0.02)  # a new process binding its port: nothing to await but the port


@dataclass
class LocalBroker:
    """`mosquitto -c <generated conf>` on 127.0.0.1:<port>, persistence in a temp dir."""

    port: int = field(default_factory=free_port)
    acl_file: Path | None = None
    password_file: Path | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sp-mqtt-")))
    proc: subprocess.Popen[bytes] | None = None
    # Started as root, Mosquitto drops to the 'mosquitto' user and then cannot read a 0600
    # password file (or write persistence) owned by root: `user` keeps it as this user.
    user: str | None = field(default_factory=lambda: getpass.getuser())
    # A whole config instead of the generated one (it must listen on `port`).
    config_override: str | None = None

    def config(self) -> str:
        if self.config_override is not None:
            return self.config_override
        lines = [f"listener {self.port} 127.0.0.1", "persistence true",
                 f"persistence_location {self.workdir}/", "autosave_interval 1",
                 BASE_CONF.read_text()]
        if self.password_file is not None:
            lines += ["allow_anonymous false", f"password_file {self.password_file}"]
        else:
            lines.append("allow_anonymous true")
        if self.acl_file is not None:
            lines.append(f"acl_file {self.acl_file}")
        if self.user is not None:
            lines.append(f"user {self.user}")
        return "\n".join(lines) + "\n"

    def start(self) -> LocalBroker:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(self.config())
        with (self.workdir / "mosquitto.log").open("ab") as log:  # the child keeps its copy
            self.proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                         stderr=log)
        wait_port(self.port)
        return self

    def stop(self, kill: bool = False) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.proc.wait(timeout=15)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()


PRODUCTION_CONF = DEPLOY / "mosquitto" / "mosquitto.conf"
IMAGE_DYNSEC_PLUGIN = "/usr/lib/mosquitto_dynamic_security.so"  # eclipse-mosquitto:2


def dynsec_plugin() -> Path:
    """This machine's dynamic-security plugin (Debian's mosquitto package ships it under the
    multiarch library directory)."""
    candidates = [Path(IMAGE_DYNSEC_PLUGIN), *sorted(Path("/usr/lib").glob(
        "*/mosquitto_dynamic_security.so")), Path("/usr/local/lib/mosquitto_dynamic_security.so")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("mosquitto_dynamic_security.so not found: install Mosquitto 2.0 "
                            "(Debian: apt-get install mosquitto)")


def production_config(*, port: int, tls_port: int, auth_dir: Path, certs_dir: Path,
                      workdir: Path, user: str | None = None) -> str:
    """deploy/mosquitto/mosquitto.conf with its container paths and ports made local.

    Every rewrite must find its target, so a test of this config fails when the production
    file changes shape instead of silently testing something else.
    """
    text = PRODUCTION_CONF.read_text()
    rewrites = {f"\nplugin {IMAGE_DYNSEC_PLUGIN}\n": f"\nplugin {dynsec_plugin()}\n",
                "/mosquitto/auth/": f"{auth_dir}/", "/mosquitto/certs/": f"{certs_dir}/",
                "/mosquitto/data/": f"{workdir}/", "\nlog_dest stdout\n": "\nlog_dest stderr\n",
                "\nlistener 1883\n": f"\nlistener {port} 127.0.0.1\n",
                "\nlistener 8883\n": f"\nlistener {tls_port} 127.0.0.1\n"}
    for old, new in rewrites.items():
        if old not in text:
            raise ValueError(f"{PRODUCTION_CONF} no longer contains {old.strip()!r}")
        text = text.replace(old, new)
    return text + (f"user {user}\n" if user else "")
