#!/usr/bin/env bash
# Build the one-folder bundle dist/lookout/ (executable dist/lookout/lookout) with PyInstaller.
#   bash packaging/build.sh
# Uses the project's venv (LOOKOUT_VENV, default .venv) and installs PyInstaller into it if
# it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${LOOKOUT_VENV:-.venv}"
[ -x "$venv/bin/python" ] || { echo "packaging/build.sh: no venv at $venv (run bash tests/run.sh first)" >&2; exit 1; }
py="$venv/bin/python"
"$py" -c "import console, PySide6" 2>/dev/null || "$py" -m pip install -q .
"$py" -c "import PyInstaller" 2>/dev/null || "$py" -m pip install -q "pyinstaller>=6.10"
"$py" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/lookout.spec
echo "packaging/build.sh: built dist/lookout/lookout"
