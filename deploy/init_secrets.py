"""Make the secrets deploy/compose.yaml reads: hub.env (HUB_SECRET_KEY, HUB_DATABASE_URL,
HUB_METRICS_TOKEN for the Prometheus scraper) and db.env (POSTGRES_PASSWORD), with fresh
random values, readable by their owner only.

Rule kept here: an existing file is never overwritten (a new database password would lock
the hub out of a database already initialised with the old one) unless --force is given.

    python deploy/init_secrets.py deploy/secrets [--db-host timescaledb] [--force]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path


def secret_files(db_host: str, db_password: str, secret_key: str, metrics_token: str
                 ) -> dict[str, str]:
    url = f"postgresql://stockpulse:{db_password}@{db_host}:5432/stockpulse"
    return {"hub.env": f"HUB_SECRET_KEY={secret_key}\nHUB_DATABASE_URL={url}\n"
                       f"HUB_METRICS_TOKEN={metrics_token}\n",
            "db.env": f"POSTGRES_PASSWORD={db_password}\n"}


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="init_secrets.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path)
    p.add_argument("--db-host", default="timescaledb")
    p.add_argument("--force", action="store_true", help="replace existing files")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = secret_files(args.db_host, secrets.token_urlsafe(24), secrets.token_urlsafe(48),
                         secrets.token_urlsafe(32))
    existing = [name for name in files if (args.out / name).exists()]
    if existing and not args.force:
        print(f"kept {', '.join(existing)} in {args.out} (use --force to replace)",
              file=sys.stderr)
        return 0
    for name, text in files.items():
        write_private(args.out / name, text)
    print(f"wrote {', '.join(files)} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
