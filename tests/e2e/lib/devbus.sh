# Shell helpers for e2e scripts: a temp dir and a private atlas-devbus.
# Source it; it sets TMP, BIN, SRC and starts nothing by itself.
set -euo pipefail
SRC="${ATLAS_SOURCE_DIR:?ATLAS_SOURCE_DIR is not set (run through ctest)}"
BIN="${ATLAS_BIN_DIR:?ATLAS_BIN_DIR is not set (run through ctest)}"
TMP="$(mktemp -d -t atlas-e2e.XXXXXX)"
DEVBUS_PID=""

cleanup() {
  if [ -n "$DEVBUS_PID" ]; then kill -TERM "$DEVBUS_PID" 2>/dev/null || true; wait "$DEVBUS_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# start_devbus: starts atlas-devbus and exports KAFKA_BROKERS.
start_devbus() {
  "$BIN/atlas-devbus" --bootstrap-file "$TMP/bootstrap" >"$TMP/devbus.out" 2>"$TMP/devbus.err" &
  DEVBUS_PID=$!
  for _ in $(seq 1 100); do
    [ -s "$TMP/bootstrap" ] && break
    kill -0 "$DEVBUS_PID" 2>/dev/null || fail "atlas-devbus exited: $(cat "$TMP/devbus.err")"
    sleep 0.1
  done
  [ -s "$TMP/bootstrap" ] || fail "atlas-devbus wrote no bootstrap file"
  KAFKA_BROKERS="$(cat "$TMP/bootstrap")"
  export KAFKA_BROKERS
}
