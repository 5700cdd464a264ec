#!/usr/bin/env bash
# atlasctl's operator commands in the situations a full stack cannot easily
# show (tests/e2e/quickstart.sh covers the healthy stack): atlas-fake plays
# the services' /readyz, the providers' model lists and RAG; a private
# atlas-devbus is the Kafka; closed ports play what is down.
#
#   status   exit 0 all ready, 3 a service not ready or some replicas down, 4 a
#            service down, 2 a malformed URL variable; names the failing checks
#   doctor   names a rejected key (atlas-fake's 401) without printing it, an
#            unreachable database, Kafka or RAG, and a chain missing its key
#   heartbeat, budget set, flush-cache with no worker: exit 1, saying so
#   every command: --help exits 0; bad arguments exit 2
source "$(dirname "${BASH_SOURCE[0]}")/lib/devbus.sh"
python=/usr/bin/python3
export LOG_LEVEL=warn LOG_FORMAT=text
ctl() { "$BIN/atlasctl" "$@"; }

# rc CMD...: runs CMD with its output in $TMP/out, sets RC.
rc() {
  set +e
  "$@" >"$TMP/out" 2>&1
  RC=$?
  set -e
}
expect_rc() {  # expect_rc WANT WHAT
  [ "$RC" -eq "$1" ] || { cat "$TMP/out"; fail "$2: exit $RC, want $1"; }
}

# A port nothing listens on, one the kernel does not hand out itself
# (lib/free_ports.py says why).
CLOSED="$($python "$(dirname "${BASH_SOURCE[0]}")/lib/free_ports.py")"

"$BIN/atlas-fake" --port 0 --port-file "$TMP/fake.port" >"$TMP/fake.out" 2>"$TMP/fake.err" &
FAKE_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/fake.port" ] && break; sleep 0.1; done
[ -s "$TMP/fake.port" ] || fail "atlas-fake did not start: $(cat "$TMP/fake.err")"
FAKE="http://127.0.0.1:$(cat "$TMP/fake.port")"
trap 'kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; cleanup' EXIT
script() { curl -sf -XPOST "$FAKE/_fake/script" -d "$1" >/dev/null || fail "atlas-fake refused rule $1"; }

# --- --help and usage errors ------------------------------------------------------------
for cmd in status doctor budget trace heartbeat flush-cache tail; do
  rc ctl "$cmd" --help
  expect_rc 0 "atlasctl $cmd --help"
  grep -q "^usage: atlasctl $cmd" "$TMP/out" || fail "atlasctl $cmd --help prints no usage"
done
rc ctl status --format yaml;          expect_rc 2 "status --format yaml"
rc ctl trace not-a-uuid;              expect_rc 2 "trace not-a-uuid"
rc ctl budget set 5;                  expect_rc 2 "budget set 5 (below 1000)"
grep -q "1000" "$TMP/out" || fail "budget set 5 does not say the range"
rc ctl budget frobnicate;             expect_rc 2 "budget frobnicate"
rc ctl heartbeat --wait soon;         expect_rc 2 "heartbeat --wait soon"
rc env ATLAS_WORKER_URL=ftp://x "$BIN/atlasctl" status
expect_rc 2 "status with ATLAS_WORKER_URL=ftp://x"
grep -q "ATLAS_WORKER_URL" "$TMP/out" || fail "status does not name ATLAS_WORKER_URL: $(cat "$TMP/out")"

# --- status: 0, 3, 4 -----------------------------------------------------------------------
script '[{"path":"/w/readyz","status":200,"body":{"status":"ready","checks":{}},"times":-1},
         {"path":"/r/readyz","status":200,"body":{"status":"ready","checks":{}},"times":-1},
         {"path":"/g/readyz","status":200,"body":{"status":"ready","checks":{}},"times":-1},
         {"path":"/r2/readyz","status":503,"times":-1,
          "body":{"status":"not_ready","checks":{"kafka":{"ok":false,"detail":"consumer not running"}},"failing":["kafka"]}}]'
export ATLAS_WORKER_URL="$FAKE/w" ATLAS_ROUTER_URL="$FAKE/r" RAG_URL="$FAKE/g"
rc ctl status;  expect_rc 0 "status with every service ready"
[ "$(grep -c ' ready ' "$TMP/out")" -eq 3 ] || fail "status: $(cat "$TMP/out")"

rc env ATLAS_ROUTER_URL="$FAKE/r2" "$BIN/atlasctl" status
expect_rc 3 "status with the router not ready"
grep -q "atlas-router .*not_ready .*failing: kafka (consumer not running)" "$TMP/out" \
  || fail "status does not name the failing check: $(cat "$TMP/out")"
grep -q "overall: degraded (exit 3)" "$TMP/out" || fail "status: $(cat "$TMP/out")"

rc env ATLAS_WORKER_URL="$FAKE/w,http://127.0.0.1:$CLOSED" "$BIN/atlasctl" status --format json
expect_rc 3 "status with one of two worker replicas down"
$python -c 'import json,sys; d=json.load(open(sys.argv[1])); w=d["services"][0]; assert d["status"]=="degraded" and w["state"]=="degraded" and [r["state"] for r in w["replicas"]]==["ready","down"], d' \
  "$TMP/out" || fail "status json: $(cat "$TMP/out")"

rc env RAG_URL="http://127.0.0.1:$CLOSED" "$BIN/atlasctl" status
expect_rc 4 "status with atlas-rag down"
grep -q "atlas-rag does not answer: is it running? Is RAG_URL right?" "$TMP/out" || fail "status: $(cat "$TMP/out")"
rc env ATLAS_ROUTER_URL="$FAKE/r2" RAG_URL="http://127.0.0.1:$CLOSED" "$BIN/atlasctl" status
expect_rc 4 "status with one service down and one degraded (down wins)"
unset ATLAS_WORKER_URL ATLAS_ROUTER_URL

# --- doctor --------------------------------------------------------------------------------
start_devbus
KEY="sk-test-WRONG-abcdef1234567890"
script '{"path":"/v1/models","preset":"openai_401"}'
rc env OPENAI_API_KEY="$KEY" OPENAI_BASE_URL="$FAKE/v1" ANTHROPIC_API_KEY="sk-ant-fine-0987654321" \
  ANTHROPIC_BASE_URL="$FAKE" LLM_CHAIN="openai:gpt-4.1,anthropic:claude-sonnet-4-5" RAG_URL="$FAKE" \
  DATABASE_URL="postgresql://postgres@127.0.0.1:$CLOSED/atlas" "$BIN/atlasctl" doctor --timeout 3
cat "$TMP/out"
expect_rc 1 "doctor with a rejected key and no database"
grep -Eq "^openai key +FAIL +OPENAI_API_KEY rejected: HTTP 401 invalid_api_key" "$TMP/out" \
  || fail "doctor does not name the rejected OPENAI_API_KEY"
grep -q "put a valid key in OPENAI_API_KEY" "$TMP/out" || fail "doctor does not say how to fix the key"
grep -Eq "^anthropic key +ok +ANTHROPIC_API_KEY accepted" "$TMP/out" || fail "doctor: the Anthropic key should pass"
grep -Eq "^database +FAIL" "$TMP/out" && grep -q "check DATABASE_URL" "$TMP/out" \
  || fail "doctor does not name DATABASE_URL for an unreachable database"
grep -Eq "^kafka +ok" "$TMP/out" || fail "doctor: Kafka (atlas-devbus) should pass"
grep -Eq "^topics +ok +architect_in \(6\), architect_out \(6\), architect_retry \(6\), architect_dlq \(6\), docs.added \(6\)" \
  "$TMP/out" || fail "doctor: topics"
grep -Eq "^rag +ok" "$TMP/out" || fail "doctor: RAG on atlas-fake should pass"
grep -Eq "^configuration +ok +valid; LLM chain openai:gpt-4.1,anthropic:claude-sonnet-4-5" "$TMP/out" \
  || fail "doctor: configuration"
if grep -q -e "WRONG" -e "abcdef" -e "0987654321" "$TMP/out"; then fail "doctor printed a secret"; fi
# The key went to the fake as a Bearer token (it is what was checked).
curl -s "$FAKE/_fake/calls?path=/v1/models" | $python -c '
import json, sys
calls = json.load(sys.stdin)
assert any("authorization" in c["headers"] for c in calls), calls
assert any("x-api-key" in c["headers"] and "anthropic-version" in c["headers"] for c in calls), calls' \
  || fail "doctor did not call GET /v1/models with each key"

# A chain naming a provider whose key is missing; Kafka and RAG unreachable.
rc env -u OPENAI_API_KEY -u ANTHROPIC_API_KEY LLM_CHAIN="anthropic:claude-sonnet-4-5" \
  KAFKA_BROKERS="127.0.0.1:$CLOSED" RAG_URL="http://127.0.0.1:$CLOSED" \
  DATABASE_URL="postgresql://postgres@127.0.0.1:$CLOSED/atlas" "$BIN/atlasctl" doctor --timeout 2
cat "$TMP/out"
expect_rc 1 "doctor with a chain missing its key"
grep -Eq "^configuration +FAIL +LLM_CHAIN uses anthropic:claude-sonnet-4-5 but ANTHROPIC_API_KEY is not set" "$TMP/out" \
  || fail "doctor does not name the missing ANTHROPIC_API_KEY"
grep -Eq "^kafka +FAIL" "$TMP/out" && grep -q "check KAFKA_BROKERS (127.0.0.1:$CLOSED)" "$TMP/out" \
  || fail "doctor does not name KAFKA_BROKERS when Kafka is unreachable"
grep -Eq "^rag +FAIL" "$TMP/out" && grep -q "start atlas-rag or set RAG_URL" "$TMP/out" \
  || fail "doctor does not name RAG_URL when RAG is unreachable"

# The keys accepted now; a chain model the key is not offered is a warning.
curl -sf -XPOST "$FAKE/_fake/reset" >/dev/null
rc env OPENAI_API_KEY="$KEY" OPENAI_BASE_URL="$FAKE/v1" LLM_CHAIN="openai:gpt-4.1,openai:gpt-9" \
  RAG_URL="$FAKE" DATABASE_URL="postgresql://postgres@127.0.0.1:$CLOSED/atlas" "$BIN/atlasctl" doctor --format json --timeout 2
$python - "$TMP/out" <<'PY' || fail "doctor --format json: $(cat "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
by = {}
for c in d["checks"]:
    by.setdefault(c["check"], []).append(c)
assert d["ok"] is False                      # the database is unreachable
key = by["openai key"][0]
assert key["status"] == "warn" and "gpt-9" in key["detail"] and "gpt-4.1" not in key["detail"].split("listed")[-1], key
assert by["kafka"][0]["status"] == "ok", by["kafka"]
PY

# --- control commands with no worker: exit 1, saying so --------------------------------------
rc ctl heartbeat --wait 1
expect_rc 1 "heartbeat with no worker"
grep -q "no worker answered" "$TMP/out" || fail "heartbeat: $(cat "$TMP/out")"
rc ctl budget set 9000 --wait 1
expect_rc 1 "budget set with no worker"
grep -q "no reply to" "$TMP/out" || fail "budget set: $(cat "$TMP/out")"
rc ctl flush-cache --wait 1
expect_rc 1 "flush-cache with no worker"
# The controls were published all the same (they wait on the topic for a worker).
kcat -b "$KAFKA_BROKERS" -C -t architect_in -o beginning -e -q -f '%s\n' >"$TMP/in" 2>/dev/null || true
for c in heartbeat set_budget flush_cache; do
  grep -q "\"command\":\"$c\"" "$TMP/in" || fail "no $c control on architect_in"
done
rc env DATABASE_URL="postgresql://postgres@127.0.0.1:$CLOSED/atlas" "$BIN/atlasctl" trace 2f1c8a34-4b1e-4c7e-9a51-2f4f7d1c9e10
expect_rc 1 "trace with the database down"
grep -qi "DATABASE_URL\|connect" "$TMP/out" || fail "trace: $(cat "$TMP/out")"
echo "PASS"
