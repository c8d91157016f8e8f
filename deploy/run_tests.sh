#!/usr/bin/env bash
# Run the whole suite once, under Xvfb so the Kivy app has a screen; pytest's exit 5
# ("no tests ran") is turned into a failure: a suite that runs nothing proves nothing.
set -uo pipefail
py=${1:-.venv/bin/python}
mkdir -p test-artifacts
if command -v xvfb-run >/dev/null && [ -z "${DISPLAY:-}" ]; then
  xvfb-run -a -s "-screen 0 1024x768x24" "$py" -m pytest "${@:2}"
else
  "$py" -m pytest "${@:2}"
fi
rc=$?
if [ "$rc" = 5 ]; then echo "pytest ran no tests: failing" >&2; exit 1; fi
exit "$rc"
