#!/usr/bin/env bash
# `atlasctl validate` against docs/event_examples and a set of generated
# invalid envelopes, and the same files against schema/events/envelope.schema.json
# with an independent validator (Debian's python3-jsonschema): for every case
# both must agree, so the C++ validator and the schema cannot drift apart.
set -euo pipefail

: "${ATLAS_SOURCE_DIR:?set ATLAS_SOURCE_DIR to the repository root}"
: "${ATLAS_BIN_DIR:?set ATLAS_BIN_DIR to the directory holding atlasctl}"

atlasctl="$ATLAS_BIN_DIR/atlasctl"
python=/usr/bin/python3  # Debian's python, which has python3-jsonschema
schema="$ATLAS_SOURCE_DIR/schema/events/envelope.schema.json"
examples_dir="$ATLAS_SOURCE_DIR/docs/event_examples"
here="$ATLAS_SOURCE_DIR/tests/e2e"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

[[ -x "$atlasctl" ]] || { echo "FAIL: $atlasctl is not built" >&2; exit 1; }
"$python" -c 'import jsonschema' || { echo "FAIL: $python lacks jsonschema (apt-get install python3-jsonschema)" >&2; exit 1; }

# --- 1. the examples are valid for both validators ----------------------------
examples=("$examples_dir"/*.json)
(( ${#examples[@]} >= 10 )) || fail "expected at least 10 examples in $examples_dir, found ${#examples[@]}"

if ! "$atlasctl" validate "${examples[@]}" >"$work/out" 2>"$work/err"; then
  fail "atlasctl validate rejected an example: $(cat "$work/err")"
fi
for f in "${examples[@]}"; do
  grep -qxF "$f: ok" "$work/out" || fail "atlasctl did not print '$f: ok'"
done
if ! "$python" "$here/jsonschema_check.py" "$schema" "${examples[@]}" >/dev/null 2>"$work/err"; then
  fail "jsonschema rejected an example: $(cat "$work/err")"
fi

# --- 2. generated cases: both validators agree, atlasctl names file and path ----
cases="$work/cases"
mkdir "$cases"
"$python" "$here/make_envelope_cases.py" "$examples_dir" "$cases"
# One python run for all cases (its start-up dominates); one line per file.
"$python" "$here/jsonschema_check.py" "$schema" "$cases"/*.json >"$work/py_all" 2>&1 || true
count=0
while IFS=$'\t' read -r name expected; do
  count=$((count + 1))
  file="$cases/$name"
  status=0
  "$atlasctl" validate "$file" >"$work/out" 2>"$work/err" || status=$?
  grep -F "$file: " "$work/py_all" >"$work/py_err" || true
  if grep -qxF "$file: ok" "$work/py_err"; then
    py_status=0
  elif grep -qF "$file: invalid at " "$work/py_err"; then
    py_status=2
  else
    py_status=1
    fail "$name: no result from jsonschema_check.py"
  fi

  if [[ "$expected" == ok ]]; then
    [[ $status -eq 0 ]] || fail "$name: atlasctl exit $status, want 0: $(cat "$work/err")"
    [[ $py_status -eq 0 ]] || fail "$name: jsonschema rejects a case atlasctl must accept: $(cat "$work/py_err")"
    grep -qxF "$file: ok" "$work/out" || fail "$name: no '$file: ok' on stdout"
    continue
  fi

  [[ $status -eq 2 ]] || fail "$name: atlasctl exit $status, want 2"
  grep -qF "$file: invalid at $expected: " "$work/err" ||
    fail "$name: stderr lacks '$file: invalid at $expected: ', got: $(head -c 300 "$work/err")"
  [[ ! -s "$work/out" ]] || fail "$name: atlasctl printed on stdout for an invalid file"
  [[ $py_status -eq 2 ]] || fail "$name: jsonschema accepts a case atlasctl rejects (exit $py_status)"
  # The schema validator reports the field or the object missing it: its path
  # must be the expected one or a prefix of it.
  py_path="$(sed -n 's/^.*: invalid at \([^:]*\): .*$/\1/p' "$work/py_err" | head -n 1)"
  if [[ "$py_path" != "/" && "$expected" != "$py_path" && "$expected" != "$py_path"/* ]]; then
    fail "$name: jsonschema points at '$py_path', atlasctl at '$expected'"
  fi
done <"$cases/cases.tsv"
(( count >= 50 )) || fail "expected at least 50 generated cases, got $count"

# --- 3. several files, stdin, unreadable files, options ------------------------
valid="${examples[0]}"
status=0
"$atlasctl" validate "$valid" "$cases/wrong_role.json" >"$work/out" 2>"$work/err" || status=$?
[[ $status -eq 2 ]] || fail "mixed files: exit $status, want 2"
grep -qxF "$valid: ok" "$work/out" || fail "mixed files: valid file not reported ok"
grep -qF "$cases/wrong_role.json: invalid at /role: " "$work/err" || fail "mixed files: invalid file not reported"

"$atlasctl" validate - <"$valid" >"$work/out" || fail "stdin: valid envelope rejected"
grep -qxF -- "-: ok" "$work/out" || fail "stdin: no '-: ok'"
status=0
"$atlasctl" validate - <"$cases/not_json.json" 2>"$work/err" >/dev/null || status=$?
[[ $status -eq 2 ]] || fail "stdin: invalid envelope exit $status, want 2"
grep -qF -- "-: invalid at /: " "$work/err" || fail "stdin: no error for -"

status=0
"$atlasctl" validate "$work/does-not-exist.json" 2>"$work/err" >/dev/null || status=$?
[[ $status -eq 2 ]] || fail "missing file: exit $status, want 2"
grep -qF "$work/does-not-exist.json: cannot read" "$work/err" || fail "missing file not named: $(cat "$work/err")"
status=0
"$atlasctl" validate "$work" 2>"$work/err" >/dev/null || status=$?
[[ $status -eq 2 ]] || fail "directory: exit $status, want 2"
grep -qF "$work: cannot read" "$work/err" || fail "directory not named: $(cat "$work/err")"

"$atlasctl" validate --quiet "${examples[@]}" >"$work/out" 2>&1 || fail "--quiet: exit non-zero"
[[ ! -s "$work/out" ]] || fail "--quiet printed something for valid files: $(cat "$work/out")"
"$atlasctl" validate --help >"$work/out" || fail "--help: exit non-zero"
grep -q "usage: atlasctl validate" "$work/out" || fail "--help: no usage"
status=0
"$atlasctl" validate >/dev/null 2>&1 || status=$?
[[ $status -eq 2 ]] || fail "no files: exit $status, want 2"
status=0
"$atlasctl" validate --bogus "$valid" >/dev/null 2>&1 || status=$?
[[ $status -eq 2 ]] || fail "unknown option: exit $status, want 2"

# Never a crash: random bytes end as exit 0 or 2, never a signal.
for i in $(seq 1 20); do
  head -c $((i * 97)) /dev/urandom >"$work/random.json"
  status=0
  "$atlasctl" validate --quiet "$work/random.json" >/dev/null 2>&1 || status=$?
  [[ $status -eq 2 ]] || fail "random bytes ($((i * 97)) bytes): exit $status, want 2"
done
# A stream far above 1 MiB is cut off, not read whole.
status=0
head -c 50000000 /dev/zero | "$atlasctl" validate - >/dev/null 2>"$work/err" || status=$?
[[ $status -eq 2 ]] || fail "50 MB on stdin: exit $status, want 2"
grep -qF -- "-: invalid at /: " "$work/err" || fail "50 MB on stdin: no size error: $(cat "$work/err")"

if (( failures > 0 )); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "validate_examples: ${#examples[@]} examples and $count generated cases agree"
