# scripts/publish_task.sh carries text with quotes, backslashes, newlines and
# non-ASCII characters byte for byte into the content of the chat on
# architect_in, as read back by kcat (a Kafka client this project did not
# write); atlasctl tail prints what another client put on architect_out.
source "$(dirname "${BASH_SOURCE[0]}")/lib/devbus.sh"
start_devbus
export ATLASCTL="$BIN/atlasctl" LOG_LEVEL=warn

TEXT=$'He said "design it" \\ then left\\n (a literal backslash-n)\nline two\ttabbed\n'"ünïcødé — 日本語 🚀 'single' \$HOME \`cmd\`"
printf '%s' "$TEXT" >"$TMP/expected"

TASK_ID="$("$SRC/scripts/publish_task.sh" "$TEXT")" || fail "publish_task.sh failed"
[[ "$TASK_ID" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] \
  || fail "publish_task.sh printed '$TASK_ID', not a UUID v4"

# One message on the topic; kcat prints its raw value and key.
kcat -b "$KAFKA_BROKERS" -C -t architect_in -o beginning -e -q -c 1 -f '%k\n%s' >"$TMP/record" \
  2>"$TMP/kcat.err" || fail "kcat could not read architect_in: $(cat "$TMP/kcat.err")"

/usr/bin/python3 - "$TMP/record" "$TMP/expected" "$TASK_ID" <<'PY'
import json, sys
record = open(sys.argv[1], 'rb').read()
expected = open(sys.argv[2], 'rb').read()
task_id = sys.argv[3]
key, _, value = record.partition(b'\n')
env = json.loads(value.decode('utf-8'))
assert key.decode() == task_id, f"record key {key!r} is not the task_id {task_id}"
assert env['task_id'] == task_id, env['task_id']
assert env['role'] == 'architect' and env['msg_type'] == 'chat', env
assert env['metadata']['schema_ver'] == 1, env['metadata']
assert env['metadata']['origin'] == {'kind': 'cli'}, env['metadata']
got = env['content'].encode('utf-8')
assert got == expected, f"content differs:\n got {got!r}\nwant {expected!r}"
print("content carried byte for byte:", len(got), "bytes")
PY

# The same through standard input.
printf '%s' "$TEXT" | "$BIN/atlasctl" publish - >/dev/null || fail "publish - (stdin) failed"

# Bad input gets a clear error and exit 2, never a crash.
set +e
"$SRC/scripts/publish_task.sh" >/dev/null 2>"$TMP/err"; rc=$?
[ $rc -eq 2 ] || fail "publish_task.sh without text exited $rc, want 2"
printf 'bad \xff byte' >"$TMP/bad"
"$BIN/atlasctl" publish - <"$TMP/bad" >/dev/null 2>"$TMP/err"; rc=$?
[ $rc -eq 2 ] || fail "publish of invalid UTF-8 exited $rc, want 2"
grep -q "invalid UTF-8" "$TMP/err" || fail "no clear error for invalid UTF-8: $(cat "$TMP/err")"
KAFKA_BROKERS="nonsense" "$BIN/atlasctl" publish "x" >/dev/null 2>"$TMP/err"; rc=$?
[ $rc -eq 2 ] || fail "publish with KAFKA_BROKERS=nonsense exited $rc, want 2"
grep -q "KAFKA_BROKERS" "$TMP/err" || fail "the error does not name KAFKA_BROKERS: $(cat "$TMP/err")"
set -e

# atlasctl tail prints, as one JSON line, a reply another client produced.
REPLY='{"task_id":"6f1c1a8e-4b1e-5c7e-9a51-2f4f7d1c9e10","role":"architect","msg_type":"spec","content":"# Spec\nok","metadata":{"schema_ver":1,"parent_id":"'"$TASK_ID"'","status":"done","tokens":0,"model":null}}'
printf '%s' "$REPLY" | kcat -b "$KAFKA_BROKERS" -P -t architect_out -k "$TASK_ID" 2>"$TMP/kcat.err" \
  || fail "kcat could not produce: $(cat "$TMP/kcat.err")"
"$BIN/atlasctl" tail --max 1 --timeout 30 >"$TMP/tail.out" 2>"$TMP/tail.err" \
  || fail "atlasctl tail failed: $(cat "$TMP/tail.err")"
/usr/bin/python3 - "$TMP/tail.out" "$TASK_ID" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding='utf-8').read().splitlines()
assert len(lines) == 1, lines
env = json.loads(lines[0])
assert env['metadata']['parent_id'] == sys.argv[2], env
assert env['content'] == "# Spec\nok", env
PY
# On an empty topic tail exits 0 once it has caught up (a time-out would exit 1).
"$BIN/atlasctl" tail --topic architect_dlq --timeout 30 >"$TMP/empty.out" 2>"$TMP/empty.err" \
  || fail "atlasctl tail on an empty topic did not finish cleanly: $(cat "$TMP/empty.err")"
[ ! -s "$TMP/empty.out" ] || fail "atlasctl tail printed something for an empty topic"
# tail --follow stops cleanly (exit 0) on SIGTERM, whichever thread the signal hits.
"$BIN/atlasctl" tail --follow >"$TMP/follow.out" 2>"$TMP/follow.err" &
FOLLOW_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/follow.out" ] && break; sleep 0.1; done
[ -s "$TMP/follow.out" ] || fail "tail --follow printed nothing: $(cat "$TMP/follow.err")"
kill -TERM "$FOLLOW_PID"
set +e; wait "$FOLLOW_PID"; rc=$?; set -e
[ $rc -eq 0 ] || fail "tail --follow exited $rc on SIGTERM, want 0: $(cat "$TMP/follow.err")"
echo "PASS"
