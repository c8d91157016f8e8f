"""`python -m pda_app --hub URL`: start the PDA app."""

from __future__ import annotations

import os
import sys

from pda_app.settings import parse


def main(argv: list[str] | None = None) -> int:
    settings = parse(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from pda_app.ui.app import run  # Kivy starts only once the arguments are good

    run(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
