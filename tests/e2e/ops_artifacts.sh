#!/usr/bin/env bash
# The operations artifacts that need no running Atlas binary: Prometheus rules
# and configuration, the Grafana dashboard, the Docker image and compose stack,
# the Kubernetes manifests, .env.example and the operations docs.
#
#   1. promtool check rules / test rules / check config        (prometheus/)
#   2. docker-compose config on docker/docker-compose.min.yml  (a compose implementation
#      validates the file; Debian's docker-compose needs no Docker engine for this)
#   3. docker/index-refresh.sh (the CronJob's script) indexes a directory and a
#      git clone into a fake gateway, and fails when the gateway is unreachable
#   4. tests/e2e/lib/ops_checks.py: every JSON/YAML file parses; metric names in
#      rules, dashboard and adapter rule are listed in docs/metrics.md; runbook
#      anchors exist; the dashboard uses its datasource variable everywhere;
#      Deployments carry probes, resources, non-root and matching selectors;
#      Dockerfile stages are non-root with a HEALTHCHECK; see its docstring.
#
# Run: ATLAS_SOURCE_DIR=/path/to/repo bash tests/e2e/ops_artifacts.sh
# (ctest sets ATLAS_SOURCE_DIR and ATLAS_BIN_DIR; with ATLAS_BIN_DIR the runtime
# image's libraries are also checked against the built binaries).
set -euo pipefail

SRC="${ATLAS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BIN="${ATLAS_BIN_DIR:-}"
LIB="$SRC/tests/e2e/lib"
python=/usr/bin/python3   # Debian's python, which has python3-yaml

TMP="$(mktemp -d -t atlas-ops.XXXXXX)"
FAKE_PID=""
cleanup() {
  if [[ -n "$FAKE_PID" ]]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# Runs a command quietly; on failure prints its output and counts a failure.
check() {
  local what="$1"
  shift
  if "$@" >"$TMP/out" 2>&1; then
    pass "$what"
  else
    fail "$what"
    sed 's/^/    /' "$TMP/out" >&2
  fi
}

need() {
  command -v "$1" >/dev/null || { echo "FAIL: $1 is not installed (run scripts/bootstrap.sh)" >&2; exit 1; }
}
need promtool
need docker-compose
need git
"$python" -c 'import yaml' 2>/dev/null || { echo "FAIL: $python lacks yaml (run scripts/bootstrap.sh)" >&2; exit 1; }

# --- 1. promtool -------------------------------------------------------------------
check "promtool check rules prometheus/atlas-rules.yaml" \
  promtool check rules "$SRC/prometheus/atlas-rules.yaml"
check "promtool test rules prometheus/atlas-rules.test.yaml" \
  promtool test rules "$SRC/prometheus/atlas-rules.test.yaml"
# check config also loads the rule files, relative to the configuration file.
check "promtool check config prometheus/prometheus.yml" \
  promtool check config "$SRC/prometheus/prometheus.yml"

# --- 2. compose --------------------------------------------------------------------
# A copy with the paths the compose file mounts, and a .env made from
# .env.example with the two values compose requires. Debian's docker-compose
# (1.29) predates the top-level `name:` key, the only line removed here.
compose_dir="$TMP/compose"
mkdir -p "$compose_dir/docker"
cp -r "$SRC/prometheus" "$SRC/grafana" "$SRC/docs" "$compose_dir/"
grep -v '^name: ' "$SRC/docker/docker-compose.min.yml" >"$compose_dir/docker/docker-compose.min.yml"
cp "$SRC/docker/Dockerfile" "$compose_dir/docker/"
sed -e 's/^POSTGRES_PASSWORD=$/POSTGRES_PASSWORD=test0pw/' \
    -e 's/^GRAFANA_ADMIN_PASSWORD=$/GRAFANA_ADMIN_PASSWORD=test0pw/' \
    "$SRC/.env.example" >"$compose_dir/.env"
compose_config() {
  (cd "$compose_dir" && timeout 60 docker-compose --env-file .env -f docker/docker-compose.min.yml config)
}
if compose_config >"$TMP/compose.yml" 2>"$TMP/compose.err"; then
  pass "docker-compose config accepts docker/docker-compose.min.yml"
  # The resolved file: the worker's database URL carries the password from .env.
  grep -q 'postgresql://atlas:test0pw@postgres:5432/atlas' "$TMP/compose.yml" ||
    fail "compose: DATABASE_URL is not built from POSTGRES_PASSWORD"
else
  fail "docker-compose config rejects docker/docker-compose.min.yml"
  sed 's/^/    /' "$TMP/compose.err" >&2
fi
# Without the required password compose must refuse to start.
sed -i 's/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=/' "$compose_dir/.env"
if compose_config >/dev/null 2>"$TMP/compose.err"; then
  fail "compose: an empty POSTGRES_PASSWORD is accepted"
elif ! grep -q 'POSTGRES_PASSWORD' "$TMP/compose.err"; then
  fail "compose: the error for an empty POSTGRES_PASSWORD does not name it: $(cat "$TMP/compose.err")"
else
  pass "compose refuses an empty POSTGRES_PASSWORD, naming it"
fi

# --- 3. the index-refresh job's script -----------------------------------------------------
refresh="$SRC/docker/index-refresh.sh"
check "bash -n docker/index-refresh.sh" bash -n "$refresh"
"$python" "$LIB/fake_rag_gateway.py" "$TMP/fake.port" "$TMP/fake.log" &
FAKE_PID=$!
for _ in $(seq 1 100); do [[ -s "$TMP/fake.port" ]] && break; sleep 0.05; done
[[ -s "$TMP/fake.port" ]] || { echo "FAIL: the fake gateway did not start" >&2; exit 1; }
fake_url="http://127.0.0.1:$(cat "$TMP/fake.port")"

mkdir -p "$TMP/docs/guides" "$TMP/repo/docs/adr"
printf '# Pipelines\nBuild, test, deploy.\n' >"$TMP/docs/ci.md"
printf '# Setup\nSteps.\n' >"$TMP/docs/guides/setup.md"
printf 'not indexed: wrong extension\n' >"$TMP/docs/notes.log"

# (a) a directory, as the image's baked-in docs/
status=0
env -u INDEX_GIT_URL RAG_URL="$fake_url" INDEX_DIR="$TMP/docs" INDEX_EXTENSIONS=md \
  bash "$refresh" >"$TMP/refresh.out" 2>"$TMP/refresh.err" || status=$?
if [[ $status -ne 0 ]]; then
  fail "index-refresh of a directory exited $status: $(cat "$TMP/refresh.err")"
else
  "$python" - "$TMP/refresh.out" "$TMP/fake.log" <<'PY' >"$TMP/check.err" 2>&1 || fail "index-refresh of a directory: $(cat "$TMP/check.err")"
import json, sys
summary = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
assert summary["documents_indexed"] == 2, f"summary: {summary}"
sources = sorted(s for line in open(sys.argv[2]) for s in json.loads(line)["sources"])
assert sources == ["docs/ci.md", "docs/guides/setup.md"], f"sources sent: {sources}"
PY
  [[ -s "$TMP/check.err" ]] || pass "index-refresh indexes a directory under docs/ (md only)"
fi

# (b) a shallow clone of a repository (INDEX_GIT_URL), then its docs/ subdirectory
printf '# ADR 1\nUse Kafka.\n' >"$TMP/repo/docs/adr/0001.md"
printf 'outside docs/: not indexed\n' >"$TMP/repo/README.md"
git -C "$TMP/repo" init -q
git -C "$TMP/repo" -c user.name=t -c user.email=t@example.invalid add -A
git -C "$TMP/repo" -c user.name=t -c user.email=t@example.invalid commit -q -m docs
: >"$TMP/fake.log"
status=0
RAG_URL="$fake_url" INDEX_GIT_URL="file://$TMP/repo" INDEX_GIT_SUBDIR=docs \
  bash "$refresh" >"$TMP/refresh.out" 2>"$TMP/refresh.err" || status=$?
if [[ $status -ne 0 ]]; then
  fail "index-refresh of a git repository exited $status: $(cat "$TMP/refresh.err")"
elif [[ "$(cat "$TMP/fake.log")" != *'"sources": ["docs/adr/0001.md"]'* ]]; then
  fail "index-refresh of a git repository sent: $(cat "$TMP/fake.log")"
else
  pass "index-refresh indexes a git clone's docs/"
fi

# (c) a gateway that refuses the batch is a failure, not a silent success (an
# unreachable one is retried for about 90 s by index_repo.sh, then fails the same way)
status=0
RAG_URL="$fake_url/no-such-prefix" INDEX_DIR="$TMP/docs" \
  timeout 120 bash "$refresh" >/dev/null 2>"$TMP/refresh.err" || status=$?
if [[ $status -eq 0 ]]; then
  fail "index-refresh reported success although the gateway refused the batch"
else
  pass "index-refresh fails (exit $status) when the gateway refuses the batch"
fi
status=0
RAG_URL="$fake_url" INDEX_GIT_URL="file://$TMP/no-such-repo" \
  bash "$refresh" >/dev/null 2>"$TMP/refresh.err" || status=$?
if [[ $status -eq 0 ]] || ! grep -q 'git clone failed' "$TMP/refresh.err"; then
  fail "index-refresh with a bad INDEX_GIT_URL: exit $status, $(cat "$TMP/refresh.err")"
else
  pass "index-refresh names a failed clone"
fi

# --- 4. structure ------------------------------------------------------------------------------
if "$python" "$LIB/ops_checks.py" "$SRC" "$BIN" >"$TMP/checks.out" 2>&1; then
  sed 's/^/  /' "$TMP/checks.out"
else
  sed 's/^/  /' "$TMP/checks.out" >&2
  fail "ops_checks.py found problems (listed above)"
fi

if [[ $failures -ne 0 ]]; then
  echo "ops_artifacts: $failures check(s) failed" >&2
  exit 1
fi
echo "ops_artifacts: all checks passed"
