#!/usr/bin/env bash
# ./scripts/quickstart.sh end to end, in a clean copy of the repository's
# tracked files (what a fresh clone has), with the already-built binaries
# (ATLAS_BIN_DIR, so nothing is rebuilt) and no LLM key (the offline provider):
#
#   0. `up` with a port taken fails at that step, naming the port and the fix;
#   1. `up` prints a spec with its model, tokens and RAG sources, step by step;
#   2. `up` again reuses everything that runs and answers a second task;
#   3. while the stack runs, the operator commands against it: atlasctl status
#      (exit 0), doctor, heartbeat (one replica with its worker_id), budget show,
#      trace of the task (ledger row, both mirrors), tail --format table|json,
#      budget set (reaches the worker's atlas_token_budget_per_run), flush-cache;
#      then `up` with OPENAI_API_KEY (atlas-fake plays OpenAI) restarts only the
#      worker and prints a gpt-4.1 spec, the key in no output, log or env file;
#   4. every metric name used by prometheus/atlas-rules.yaml and
#      grafana/atlas-dashboard.json is exported by a live service (see metric_check);
#   5. `status` shows every process ready, `down` stops them all: no process
#      with the copy's path in its command line is left, no pid file remains.
#
# The copy gets its own free ports in .atlas/quickstart.env (quickstart never
# overwrites that file), so the test does not depend on 8000/8080/8501 being
# free on a shared machine.
source "$(dirname "${BASH_SOURCE[0]}")/lib/devbus.sh"
python=/usr/bin/python3

COPY="$TMP/atlas"
# PostgreSQL runs as `postgres` when the test runs as root: it must be able to
# reach the copy (mktemp makes the directory 0700).
chmod 755 "$TMP"
mkdir "$COPY"
git -C "$SRC" ls-files -z >"$TMP/files" || fail "git ls-files failed in $SRC (the test copies the tracked files)"
tar -C "$SRC" --null -T "$TMP/files" --ignore-failed-read -cf - 2>/dev/null | tar -C "$COPY" -xf - \
  || fail "copying the tracked files failed"
[ -x "$COPY/scripts/quickstart.sh" ] || fail "the copy has no executable scripts/quickstart.sh"

# Whatever happens, stop what the copy started, then remove it (devbus.sh's cleanup).
BLOCKER=""
FAKE_PID=""
qs_cleanup() {
  if [ -n "$BLOCKER" ]; then kill "$BLOCKER" 2>/dev/null || true; fi
  if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; fi
  if [ -d "$COPY/.atlas/run" ]; then
    (cd "$COPY" && ./scripts/quickstart.sh down >/dev/null 2>&1) || true
    for f in "$COPY"/.atlas/run/*.pid; do
      [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
    done
    if [ -f "$COPY/.atlas/pg/data/postmaster.pid" ]; then
      kill -QUIT "$(head -n 1 "$COPY/.atlas/pg/data/postmaster.pid")" 2>/dev/null || true
    fi
  fi
  cleanup
}
trap qs_cleanup EXIT

# Free ports the kernel does not hand out itself (lib/free_ports.py says why).
read -r P_WORKER P_ROUTER P_RAG P_PG < <($python "$(dirname "${BASH_SOURCE[0]}")/lib/free_ports.py" 4)
mkdir -p "$COPY/.atlas"
cat >"$COPY/.atlas/quickstart.env" <<EOF
METRICS_PORT=$P_WORKER
ROUTER_PORT=$P_ROUTER
RAG_PORT=$P_RAG
ATLAS_QS_PG_PORT=$P_PG
LOG_LEVEL=info
EOF

# The quickstart must not see a key or a cluster from the caller's environment.
run_qs() {
  (cd "$COPY" && env -u OPENAI_API_KEY -u OPENAI_API_KEY_FILE -u ANTHROPIC_API_KEY \
     -u ANTHROPIC_API_KEY_FILE -u LLM_CHAIN ATLAS_BIN_DIR="$BIN" ./scripts/quickstart.sh "$@")
}

# --- 0. a port taken: the failing step names itself, the port and the fix ----------
$python -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(600)' \
  "$P_ROUTER" &
BLOCKER=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$P_ROUTER") 2>/dev/null && break; sleep 0.1; done
set +e
run_qs >"$TMP/up0.out" 2>&1
rc=$?
set -e
kill "$BLOCKER" 2>/dev/null || true
wait "$BLOCKER" 2>/dev/null || true
[ $rc -eq 1 ] || { cat "$TMP/up0.out"; fail "quickstart up with ROUTER_PORT taken exited $rc, want 1"; }
grep -q "FAILED at step 8/9 \"atlas-router\": port $P_ROUTER (ROUTER_PORT) is taken by another process" "$TMP/up0.out" \
  && grep -q "set another ROUTER_PORT in .atlas/quickstart.env" "$TMP/up0.out" \
  || { cat "$TMP/up0.out"; fail "the failure does not name the step, the port and the fix"; }

# --- 1. up (again: what the failed run started is reused) -----------------------------
set +e
run_qs >"$TMP/up1.out" 2>&1
rc=$?
set -e
cat "$TMP/up1.out"
[ $rc -eq 0 ] || fail "quickstart up exited $rc"
for n in 1 2 3 4 5 6 7 8 9; do
  grep -q "^\[$n/9\] " "$TMP/up1.out" || fail "no progress line for step $n/9"
done
grep -q "using the prebuilt binaries" "$TMP/up1.out" || fail "quickstart did not use ATLAS_BIN_DIR"
for svc in atlas-devbus atlas-rag atlas-worker; do
  grep -q "$svc already running" "$TMP/up1.out" || fail "the run after the failed one did not reuse $svc"
done
grep -q "OFFLINE provider" "$TMP/up1.out" || fail "quickstart did not say it uses the offline provider"
grep -Eq "^      model: +offline" "$TMP/up1.out" || fail "no model line with the offline model"
grep -Eq "^      tokens: +[1-9][0-9]*" "$TMP/up1.out" || fail "no tokens line with a positive count"
grep -Eq "^      sources: +docs/[^ ]+\.md" "$TMP/up1.out" || fail "no RAG sources from docs/ printed"
grep -q "^----- spec" "$TMP/up1.out" || fail "no spec printed"
sed -n '/^----- spec/,/^-------/p' "$TMP/up1.out" | grep -q "minimal CI pipeline" \
  || fail "the printed spec does not mention the request"
TASK_ID="$(sed -n 's/^      task \([0-9a-f-]\{36\}\) on architect_in.*/\1/p' "$TMP/up1.out" | head -n 1)"
[ -n "$TASK_ID" ] || fail "quickstart printed no task id"
for svc in atlas-devbus atlas-rag atlas-worker atlas-router postgres; do
  [ -e "$COPY/.atlas/logs/$svc.log" ] || fail "no log .atlas/logs/$svc.log"
done

# --- 2. up again: nothing restarted, a second spec -----------------------------------
pids_before="$(cat "$COPY"/.atlas/run/*.pid | sort | tr '\n' ' ')"
set +e
run_qs >"$TMP/up2.out" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || { cat "$TMP/up2.out"; fail "the second quickstart up exited $rc"; }
for svc in atlas-devbus atlas-rag atlas-worker atlas-router; do
  grep -q "$svc already running" "$TMP/up2.out" || { cat "$TMP/up2.out"; fail "the second run did not reuse $svc"; }
done
grep -q "PostgreSQL already running" "$TMP/up2.out" || fail "the second run did not reuse PostgreSQL"
grep -q "^----- spec" "$TMP/up2.out" || fail "the second run printed no spec"
pids_after="$(cat "$COPY"/.atlas/run/*.pid | sort | tr '\n' ' ')"
[ "$pids_before" = "$pids_after" ] || fail "pids changed on re-run: '$pids_before' -> '$pids_after'"

# --- 3. the operator commands against the running stack ----------------------------
set -a
# shellcheck disable=SC1091
. "$COPY/.atlas/atlas.env"
set +a
export LOG_FORMAT=text LOG_LEVEL=warn
ctl() { "$BIN/atlasctl" "$@"; }

ctl status >"$TMP/status.out" 2>&1 || { cat "$TMP/status.out"; fail "atlasctl status exited $? with every service up"; }
[ "$(grep -c ' ready ' "$TMP/status.out")" -eq 3 ] || { cat "$TMP/status.out"; fail "atlasctl status: not 3 ready services"; }
ctl status --format json >"$TMP/status.json" || fail "atlasctl status --format json failed"
$python -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="ok" and len(d["services"])==3, d' \
  "$TMP/status.json" || fail "atlasctl status --format json: $(cat "$TMP/status.json")"

set +e
ctl doctor >"$TMP/doctor.out" 2>&1
rc=$?
set -e
cat "$TMP/doctor.out"
[ $rc -eq 0 ] || fail "atlasctl doctor exited $rc against a healthy stack"
for check in configuration kafka topics database migrations rag "llm chain"; do
  grep -q "^$check " "$TMP/doctor.out" || fail "doctor did not report '$check'"
done
grep -q "OFFLINE provider" "$TMP/doctor.out" || fail "doctor did not warn about the offline provider"

ctl heartbeat --format json --wait 4 >"$TMP/heartbeat.json" 2>"$TMP/heartbeat.err" \
  || fail "atlasctl heartbeat failed: $(cat "$TMP/heartbeat.err")"
$python - "$TMP/heartbeat.json" <<'PY' || fail "heartbeat: $(cat "$TMP/heartbeat.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["answered"] == 1, d            # one worker replica runs
r = d["replicas"][0]
assert r["status"] == "ok" and r["worker_id"], r
assert r["chain"] == ["offline"], r
PY
ctl heartbeat --wait 4 >"$TMP/heartbeat.out" 2>&1 || fail "atlasctl heartbeat (table) failed"
grep -q "^WORKER_ID" "$TMP/heartbeat.out" && grep -q "1 replica(s) answered" "$TMP/heartbeat.out" \
  || fail "heartbeat table: $(cat "$TMP/heartbeat.out")"

ctl budget show --format json >"$TMP/budget.json" || fail "atlasctl budget show failed"
$python - "$TMP/budget.json" <<'PY' || fail "budget show: $(cat "$TMP/budget.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["daily_token_budget"] == 250000 and "atlas_daily_token_budget" in d["daily_token_budget_source"], d
assert d["tokens_per_run"] == 12000, d
assert d["used"] >= 0 and d["reserved"] == 0 and d["remaining"] == 250000 - d["used"], d
PY

ctl trace "$TASK_ID" --format json >"$TMP/trace.json" || fail "atlasctl trace $TASK_ID failed"
$python - "$TMP/trace.json" "$TMP/up1.out" <<'PY' || fail "trace: $(cat "$TMP/trace.json")"
import json, re, sys
d = json.load(open(sys.argv[1]))
printed_tokens = int(re.search(r"^      tokens: +(\d+)", open(sys.argv[2]).read(), re.M).group(1))
row = d["ledger"]
assert row["state"] == "done" and row["status"] == "done", row
assert row["model"] == "offline" and row["tokens"] == printed_tokens, (row, printed_tokens)
assert row["claims"] == 1 and row["finished_at"] and row["timings"]["total_ms"] >= 0, row
assert d["architect_in"]["stored"] and d["architect_out"]["reply"]["stored"], d
assert not d["architect_out"]["escalation"]["stored"], d
PY
ctl trace "$TASK_ID" >"$TMP/trace.out" || fail "atlasctl trace (table) failed"
grep -Eq "^state +done" "$TMP/trace.out" && grep -Eq "^architect_out reply +row " "$TMP/trace.out" \
  || fail "trace table: $(cat "$TMP/trace.out")"

ctl tail --task "$TASK_ID" --format table --timeout 60 >"$TMP/tail.out" || fail "atlasctl tail --format table failed"
[ "$(grep -c -- "-> $TASK_ID" "$TMP/tail.out")" -eq 1 ] && grep -q "offline" "$TMP/tail.out" \
  || fail "tail --format table: $(cat "$TMP/tail.out")"
ctl tail --task "$TASK_ID" --format json --timeout 60 >"$TMP/tail.json" || fail "atlasctl tail --format json failed"
$python - "$TMP/tail.json" "$TASK_ID" <<'PY' || fail "tail --format json: $(cat "$TMP/tail.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 1, lines
l = lines[0]
assert l["parent_id"] == sys.argv[2] and l["msg_type"] == "spec" and l["status"] == "done", l
assert l["model"] == "offline" and l["tokens"] > 0 and l["content"] and l["time"].endswith("Z"), l
PY

ctl budget set 8000 >"$TMP/budget_set.out" 2>&1 || fail "atlasctl budget set 8000 failed: $(cat "$TMP/budget_set.out")"
grep -q "tokens_per_run 8000, ok" "$TMP/budget_set.out" || fail "budget set: $(cat "$TMP/budget_set.out")"
applied=""
for _ in $(seq 1 50); do   # G7: every replica within 5 s
  if curl -s "$ATLAS_WORKER_URL/metrics" | grep -q '^atlas_token_budget_per_run 8000$'; then applied=1; break; fi
  sleep 0.1
done
[ -n "$applied" ] || fail "atlas_token_budget_per_run did not become 8000 within 5 s"
ctl budget show --format json | $python -c 'import json,sys; d=json.load(sys.stdin); assert d["tokens_per_run"]==8000 and "set_budget" in d["tokens_per_run_source"], d' \
  || fail "budget show does not report the new per-run budget"

ctl flush-cache >"$TMP/flush.out" 2>&1 || fail "atlasctl flush-cache failed: $(cat "$TMP/flush.out")"
grep -q ": ok from " "$TMP/flush.out" || fail "flush-cache: $(cat "$TMP/flush.out")"

# --- 3b. with an API key: the worker is restarted with the OpenAI chain ------------------
# atlas-fake plays OpenAI; everything else keeps running.
"$BIN/atlas-fake" --port 0 --port-file "$TMP/fake.port" >"$TMP/fake.out" 2>"$TMP/fake.err" &
FAKE_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/fake.port" ] && break; sleep 0.1; done
[ -s "$TMP/fake.port" ] || fail "atlas-fake did not start: $(cat "$TMP/fake.err")"
set +e
(cd "$COPY" && env -u ANTHROPIC_API_KEY -u ANTHROPIC_API_KEY_FILE -u LLM_CHAIN -u OPENAI_MODEL \
   OPENAI_API_KEY="sk-quickstart-test" OPENAI_BASE_URL="http://127.0.0.1:$(cat "$TMP/fake.port")/v1" \
   ATLAS_BIN_DIR="$BIN" ./scripts/quickstart.sh) >"$TMP/up3.out" 2>&1
rc=$?
set -e
kill "$FAKE_PID" 2>/dev/null || true
wait "$FAKE_PID" 2>/dev/null || true
[ $rc -eq 0 ] || { cat "$TMP/up3.out"; fail "quickstart up with OPENAI_API_KEY exited $rc"; }
grep -q "atlas-worker runs with an older environment (new atlas-devbus or keys): restarting it" "$TMP/up3.out" \
  || { cat "$TMP/up3.out"; fail "setting a key did not restart the worker"; }
grep -q "LLM: an API key is set: chain openai:gpt-4.1,openai:o3,openai:o1-pro" "$TMP/up3.out" \
  || fail "quickstart did not say which chain it uses"
grep -q "atlas-router already running" "$TMP/up3.out" || fail "setting a key restarted the router"
grep -Eq "^      model: +gpt-4.1$" "$TMP/up3.out" && grep -Eq "^      tokens: +[1-9][0-9]* \(prompt [0-9]+, completion 120\)" "$TMP/up3.out" \
  || { cat "$TMP/up3.out"; fail "the spec with a key does not show gpt-4.1 and the fake's token counts"; }
if grep -q "sk-quickstart-test" "$TMP/up3.out" "$COPY"/.atlas/logs/*.log "$COPY/.atlas/atlas.env"; then
  fail "the API key was written to the output, a log or atlas.env"
fi

# --- 4. the metric names of the rules and the dashboard, against live scrapes ---------
# An invalid message makes the worker dead-letter it, so the dead-letter
# series have a sample too.
printf 'this is not an envelope' | kcat -b "$KAFKA_BROKERS" -P -t architect_in -k bad 2>"$TMP/kcat.err" \
  || fail "kcat could not publish: $(cat "$TMP/kcat.err")"
for _ in $(seq 1 100); do
  curl -s "$ATLAS_WORKER_URL/metrics" | grep -q '^atlas_dead_letters_total{' && break
  sleep 0.1
done
curl -s "$ATLAS_WORKER_URL/metrics" >"$TMP/worker.metrics"
curl -s "$ATLAS_ROUTER_URL/metrics" >"$TMP/router.metrics"
curl -s "$RAG_URL/metrics" >"$TMP/rag.metrics"
$python "$SRC/tests/e2e/lib/live_metrics.py" "$SRC" "$TMP/worker.metrics" "$TMP/router.metrics" \
  "$TMP/rag.metrics" || fail "metric names used by the rules or the dashboard are not exported"

# --- 5. status, down, nothing left ----------------------------------------------------
run_qs status >"$TMP/status_qs.out" 2>&1 || { cat "$TMP/status_qs.out"; fail "quickstart status exited $? with everything up"; }
cat "$TMP/status_qs.out"
for svc in atlas-devbus postgresql atlas-rag atlas-worker atlas-router; do
  grep -Eq "^$svc +[0-9]+ " "$TMP/status_qs.out" || fail "quickstart status shows no pid for $svc"
done
[ "$(grep -Ec '^atlas-(rag|worker|router) .* ready$' "$TMP/status_qs.out")" -eq 3 ] || fail "quickstart status: not 3 ready services"

run_qs down >"$TMP/down.out" 2>&1 || { cat "$TMP/down.out"; fail "quickstart down exited $?"; }
cat "$TMP/down.out"
left="$(pgrep -f -a -- "$COPY/" || true)"
[ -z "$left" ] || fail "processes left after down: $left"
ls "$COPY"/.atlas/run/*.pid >/dev/null 2>&1 && fail "pid files left after down: $(ls "$COPY"/.atlas/run/)"
set +e
run_qs status >"$TMP/status_down.out" 2>&1
rc=$?
set -e
[ $rc -eq 4 ] || { cat "$TMP/status_down.out"; fail "quickstart status after down exited $rc, want 4"; }
set +e
ctl status >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 4 ] || fail "atlasctl status with the stack down exited $rc, want 4"
echo "PASS"
