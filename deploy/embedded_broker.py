"""An MQTT broker in Python (amqtt) for `make demo` on a machine without Mosquitto.

Run: python -m deploy.embedded_broker --port 1883. Prints `LISTENING host:port` once bound.
Rule kept here: loopback only, anonymous, no $SYS chatter; a fallback for the demo, not for
production (Mosquitto or EMQX there: amqtt reached about 2,000 msg/s on these machines).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys


def broker_config(host: str, port: int) -> dict[str, object]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


async def serve(host: str, port: int) -> None:
    from amqtt.broker import Broker

    broker = Broker(broker_config(host, port))
    await broker.start()
    print(f"LISTENING {host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await broker.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.embedded_broker", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    args = parser.parse_args(argv)
    try:
        import amqtt  # noqa: F401
    except ImportError:
        print("no MQTT broker: install Mosquitto (apt-get install mosquitto) or "
              "pip install 'stockpulse[hub]' for the embedded one (amqtt)", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(args.host, args.port))
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
