#!/usr/bin/env bash
# Build the bundle and run it headless, so a broken bundle fails CI (.ci/run runs this after
# the tests): dist/lookout/lookout --version, a store written by the bundle's own collector
# and demo traffic, and an offscreen screenshot of it that must be a non-empty PNG.
#   bash packaging/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bash packaging/build.sh
built=$SECONDS
bin=dist/lookout/lookout
scratch="$(mktemp -d)"
collector=""
cleanup() {
  if [ -n "$collector" ]; then kill "$collector" 2>/dev/null || true; wait "$collector" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
# The bundle must not read or write the real home folder.
export HOME="$scratch/home" XDG_DATA_HOME="$scratch/home/data" XDG_CONFIG_HOME="$scratch/home/config" \
       XDG_STATE_HOME="$scratch/home/state" XDG_CACHE_HOME="$scratch/home/cache" QT_QPA_PLATFORM=offscreen
mkdir -p "$HOME"

version="$("$bin" --version)"
expected="lookout $(.venv/bin/python -c 'import console; print(console.__version__)' 2>/dev/null || echo "$version")"
[ "$version" = "$expected" ] || { echo "smoke: --version said '$version', expected '$expected'" >&2; exit 1; }
echo "smoke: $version"

port="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$bin" collect --db "$scratch/store.db" --port "$port" --alert-interval 0 > "$scratch/collector.log" 2>&1 &
collector=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$collector" 2>/dev/null || { cat "$scratch/collector.log" >&2; echo "smoke: the collector exited" >&2; exit 1; }
  sleep 0.2
done
sent="$("$bin" demo-traffic --url "http://127.0.0.1:$port" --rate 100 --duration 3 --seed 1)"
echo "smoke: $sent"
case "$sent" in *" 0 failed requests"*) ;; *) echo "smoke: demo traffic failed" >&2; exit 1 ;; esac
kill "$collector"; wait "$collector" || true; collector=""

"$bin" screenshot --db "$scratch/store.db" --panel overview --out "$scratch/shot.png"
[ -s "$scratch/shot.png" ] || { echo "smoke: the screenshot is missing or empty" >&2; exit 1; }
[ "$(head -c 8 "$scratch/shot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] \
  || { echo "smoke: the screenshot is not a PNG" >&2; exit 1; }
echo "smoke: screenshot $(stat -c %s "$scratch/shot.png") bytes"
echo "smoke: ok (build $((built - start)) s, run $((SECONDS - built)) s)"
