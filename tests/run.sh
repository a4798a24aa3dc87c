#!/usr/bin/env bash
# Lookout's test command: set up everything on a fresh Debian machine with only Python, then
# run the linters, the type checker, the layer contract and the tests, headless.
#   bash tests/run.sh            # everything
#   bash tests/run.sh tests/unit # pytest arguments pass through
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian libraries headless Qt needs (offscreen platform), and fonts so text renders.
debs=(libegl1 libgl1 libfontconfig1 libglib2.0-0 libxkbcommon0 libdbus-1-3 fonts-dejavu-core)
# The real tray test (tests/gui/test_tray.py): an X server, a tray host, and the xcb
# libraries Qt's xcb platform loads.
debs+=(xvfb trayer libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
       libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0)
python3 -c "import ensurepip" 2>/dev/null || debs+=(python3-venv)
missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
done
if ((${#missing[@]})); then
  echo "tests/run.sh: installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

venv="${LOOKOUT_VENV:-.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q ".[test]"
export PATH="$PWD/$venv/bin:$PATH"

echo "== ruff"
ruff check .
echo "== mypy (strict for console.core)"
mypy
echo "== import-linter"
lint-imports
echo "== pytest"
export QT_QPA_PLATFORM=offscreen
python -m pytest "$@"
