# The configuration reference (docs/configuration.md) lists exactly the
# variables the code reads, and the quick-start section only variables the
# script uses; tests/e2e/lib/config_reference.py does the comparison.
set -euo pipefail
SRC="${ATLAS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
python3 "$SRC/tests/e2e/lib/config_reference.py" "$SRC"

# The check can fail: a reference with one row removed is reported.
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/docs" "$TMP/scripts"
cp -r "$SRC/core" "$SRC/worker" "$SRC/router" "$SRC/rag" "$TMP/" 2>/dev/null
cp "$SRC/scripts/quickstart.sh" "$TMP/scripts/"
grep -v '^| `WORKER_LEASE_S`' "$SRC/docs/configuration.md" >"$TMP/docs/configuration.md"
if out="$(python3 "$SRC/tests/e2e/lib/config_reference.py" "$TMP")"; then
  echo "FAIL: a missing WORKER_LEASE_S row was not reported" >&2; exit 1
fi
grep -q "WORKER_LEASE_S" <<<"$out" || { echo "FAIL: report does not name WORKER_LEASE_S: $out" >&2; exit 1; }
echo "ok: a removed row is reported ($out)"
