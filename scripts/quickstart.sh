#!/usr/bin/env bash
# Quick start: the whole local stack on this machine, a task in, a spec out.
#
#   ./scripts/quickstart.sh [up]     install what is missing, build, start atlas-devbus,
#                                    PostgreSQL, atlas-rag, atlas-worker and atlas-router on
#                                    loopback, index docs/, publish "Design a minimal CI
#                                    pipeline" and print the spec that comes back
#   ./scripts/quickstart.sh status   what runs: pids, ports, /readyz (exit 0 all ready,
#                                    3 something not ready, 4 something not running)
#   ./scripts/quickstart.sh down     stop everything it started
#
# Everything lives under .atlas/ (git-ignored):
#   quickstart.env   fixed ports; written once, edit it to change them
#   atlas.env        the environment the services run with (KAFKA_BROKERS included), for
#                    `build/bin/atlasctl --env-file .atlas/atlas.env status` and friends
#   logs/NAME.log    one log per service (JSON lines), plus the steps' own logs
#   run/NAME.pid     what runs; re-running `up` reuses what is running and healthy
#   pg/              PostgreSQL's data (kept across down/up; delete it for a fresh database)
#
# ATLAS_BIN_DIR=DIR       use prebuilt binaries from DIR instead of building
# OPENAI_API_KEY          (or ANTHROPIC_API_KEY with LLM_CHAIN, or their _FILE variants)
#                         makes the worker call real models; without one the worker's
#                         offline provider answers with deterministic skeleton specs
# ATLAS_QS_REPLY_TIMEOUT  seconds to wait for the spec (default 120 offline, 360 with a key)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STATE="$ROOT/.atlas"
LOGS="$STATE/logs"
RUN="$STATE/run"
QS_ENV="$STATE/quickstart.env"
STACK_ENV="$STATE/atlas.env"
PGROOT="$STATE/pg"
PGDATA="$PGROOT/data"
BIN="${ATLAS_BIN_DIR:-$ROOT/build/bin}"
TASK_TEXT="Design a minimal CI pipeline"
SERVICES=(atlas-rag atlas-worker atlas-router)   # started in this order, stopped in reverse
BINARIES=(atlas-devbus atlasctl atlas-rag atlas-worker atlas-router)

# --- output ------------------------------------------------------------------

STEP=0
TOTAL=9
CURRENT=""
step() {
  STEP=$((STEP + 1))
  CURRENT="$1"
  printf '[%d/%d] %s\n' "$STEP" "$TOTAL" "$1"
}
say() { printf '      %s\n' "$*"; }
# die LOG MESSAGE: names the failing step and its log, shows the log's end, exits 1.
die() {
  local log="$1"
  shift
  {
    if [ -n "$CURRENT" ]; then
      printf 'quickstart: FAILED at step %d/%d "%s": %s\n' "$STEP" "$TOTAL" "$CURRENT" "$*"
    else
      printf 'quickstart: FAILED: %s\n' "$*"
    fi
    if [ -n "$log" ]; then
      printf 'quickstart: log: %s\n' "${log#"$ROOT"/}"
      if [ -s "$log" ]; then tail -n 15 "$log" | sed 's/^/    | /'; fi
    fi
  } >&2
  exit 1
}

# --- processes -----------------------------------------------------------------

pid_of() { cat "$RUN/$1.pid" 2>/dev/null || true; }

# alive NAME: the pid file names a live process running that binary (a reused
# pid of another program does not count). A process's command line reads
# empty for a moment while it replaces its image, as atlas-router does once
# at start (it re-executes itself with its allocator tuning): look again.
alive() {
  local pid cmdline tries=0
  pid="$(pid_of "$1")"
  [ -n "$pid" ] || return 1
  while kill -0 "$pid" 2>/dev/null; do
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    if [ -n "$cmdline" ]; then
      case "$cmdline" in *"$1"*) return 0 ;; *) return 1 ;; esac
    fi
    tries=$((tries + 1))
    [ "$tries" -lt 20 ] || return 1
    sleep 0.05
  done
  return 1
}

# port_taken PORT: something accepts connections on 127.0.0.1:PORT.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# http_code URL [BODY_FILE]: the HTTP status of GET URL, 000 when nothing answers.
http_code() {
  curl -s -o "${2:-/dev/null}" -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true
}

# stop_pid NAME PID SECONDS: SIGTERM, then SIGKILL after SECONDS.
stop_pid() {
  local name="$1" pid="$2" limit="$3" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((limit * 10)) ]; then
      say "$name (pid $pid) did not stop within ${limit}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

stop_service() {
  local name="$1"
  if alive "$name"; then
    local pid
    pid="$(pid_of "$name")"
    stop_pid "$name" "$pid" 40
    say "$name stopped (pid $pid)"
  fi
  rm -f "$RUN/$name.pid" "$RUN/$name.fingerprint"
}

# --- PostgreSQL ------------------------------------------------------------------

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$dir" ] && [ -x "$dir/initdb" ] || return 1
  printf '%s' "$dir"
}

# PostgreSQL refuses to run as root: as root the server runs as `postgres`.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_running() {
  local bin
  bin="$(pg_bin)" || return 1
  [ -f "$PGDATA/PG_VERSION" ] && as_pg "$bin/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}

pg_port_running() { sed -n 4p "$PGDATA/postmaster.pid" 2>/dev/null || true; }

# --- configuration -------------------------------------------------------------

write_default_quickstart_env() {
  cat >"$QS_ENV" <<'EOF'
# Settings of the local stack of scripts/quickstart.sh, written on its first run.
# Edit, then `./scripts/quickstart.sh down && ./scripts/quickstart.sh` to apply.
# The ports are fixed: quickstart stops with a clear message when one is taken.

# atlas-worker: /metrics /healthz /readyz
METRICS_PORT=8000
# atlas-router: webhooks, /metrics /healthz /readyz
ROUTER_PORT=8080
# atlas-rag: the RAG gateway
RAG_PORT=8501
# the private PostgreSQL under .atlas/pg
ATLAS_QS_PG_PORT=55432
# the services' log level (logs in .atlas/logs/)
LOG_LEVEL=info
EOF
}

# Loads quickstart.env and derives the stack's environment (KAFKA_BROKERS is
# added once atlas-devbus runs). Values here win over the caller's environment,
# so a KAFKA_BROKERS or DATABASE_URL exported for another cluster cannot leak in.
load_config() {
  mkdir -p "$LOGS" "$RUN"
  [ -f "$QS_ENV" ] || write_default_quickstart_env
  METRICS_PORT=8000 ROUTER_PORT=8080 RAG_PORT=8501 ATLAS_QS_PG_PORT=55432 LOG_LEVEL=info
  # shellcheck disable=SC1090
  . "$QS_ENV"
  for v in METRICS_PORT ROUTER_PORT RAG_PORT ATLAS_QS_PG_PORT; do
    [[ "${!v}" =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] && [ "${!v}" -le 65535 ] \
      || die "$QS_ENV" "$v='${!v}' in .atlas/quickstart.env is not a port number"
  done
  PG_PORT="$ATLAS_QS_PG_PORT"
  export METRICS_PORT ROUTER_PORT RAG_PORT LOG_LEVEL
  export RAG_HOST=127.0.0.1 METRICS_HOST=127.0.0.1
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/atlas"
  export RAG_URL="http://127.0.0.1:$RAG_PORT"
  export ATLAS_WORKER_URL="http://127.0.0.1:$METRICS_PORT"
  export ATLAS_ROUTER_URL="http://127.0.0.1:$ROUTER_PORT"
  export LOG_FORMAT=json
  # A restarted worker rejoins the development cluster's group in seconds, not 45 s.
  export KAFKA_PROPERTY_SESSION_TIMEOUT_MS=6000
  export WORKER_SHUTDOWN_GRACE_S=10
  unset DATABASE_URL_FILE SUPABASE_DB_URL
}

write_stack_env() {
  cat >"$STACK_ENV.tmp" <<EOF
# Where the quickstart stack runs, rewritten by every \`scripts/quickstart.sh up\`.
# For atlasctl: build/bin/atlasctl --env-file .atlas/atlas.env status
# (variables exported in your shell win over this file). The services also get
# LOG_LEVEL, LOG_FORMAT=json, KAFKA_PROPERTY_SESSION_TIMEOUT_MS=6000 and
# WORKER_SHUTDOWN_GRACE_S=10 from the script.
KAFKA_BROKERS=$KAFKA_BROKERS
DATABASE_URL=$DATABASE_URL
RAG_URL=$RAG_URL
RAG_HOST=$RAG_HOST
RAG_PORT=$RAG_PORT
METRICS_PORT=$METRICS_PORT
ROUTER_PORT=$ROUTER_PORT
ATLAS_WORKER_URL=$ATLAS_WORKER_URL
ATLAS_ROUTER_URL=$ATLAS_ROUTER_URL
EOF
  mv "$STACK_ENV.tmp" "$STACK_ENV"
}

have_llm_key() {
  [ -n "${OPENAI_API_KEY:-}${OPENAI_API_KEY_FILE:-}${ANTHROPIC_API_KEY:-}${ANTHROPIC_API_KEY_FILE:-}" ]
}

# What a service was started with: when it changes (a new atlas-devbus has new
# broker ports, a key was set) the running service is restarted. Key values
# are not recorded, only whether each is set.
fingerprint() {
  {
    cat "$STACK_ENV"
    printf 'bin=%s log=%s\n' "$BIN" "$LOG_LEVEL"
    if [ "$1" = atlas-worker ]; then
      printf 'openai=%s anthropic=%s chain=%s model=%s openai_url=%s anthropic_url=%s\n' \
        "${OPENAI_API_KEY:+set}${OPENAI_API_KEY_FILE:+file}" \
        "${ANTHROPIC_API_KEY:+set}${ANTHROPIC_API_KEY_FILE:+file}" "${LLM_CHAIN:-}" \
        "${OPENAI_MODEL:-}" "${OPENAI_BASE_URL:-}" "${ANTHROPIC_BASE_URL:-}"
    fi
  } | cksum | cut -d' ' -f1
}

# --- starting the services ---------------------------------------------------------

# wait_ready NAME URL SECONDS: until GET URL/readyz answers 200; dies when the
# process exits or the time is up.
wait_ready() {
  local name="$1" url="$2" limit="$3" log="$LOGS/$1.log" waited=0 code
  while :; do
    code="$(http_code "$url/readyz" "$RUN/$name.readyz")"
    [ "$code" = 200 ] && return 0
    if ! alive "$name"; then
      die "$log" "$name exited during start-up (see its log for the reason)"
    fi
    if [ "$waited" -ge $((limit * 5)) ]; then
      die "$log" "$name is not ready after ${limit}s (GET $url/readyz: $code $(head -c 300 "$RUN/$name.readyz" 2>/dev/null))"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
}

# start_service NAME PORT_VARIABLE: starts BIN/NAME (once; a healthy running
# one with the same fingerprint is kept) and waits for /readyz.
start_service() {
  local name="$1" port_var="$2"
  local port="${!port_var}" log="$LOGS/$1.log" url="http://127.0.0.1:${!2}"
  local print
  print="$(fingerprint "$name")"
  if alive "$name"; then
    if [ "$(cat "$RUN/$name.fingerprint" 2>/dev/null)" = "$print" ]; then
      wait_ready "$name" "$url" 60
      say "$name already running (pid $(pid_of "$name")), ready on $url"
      return 0
    fi
    say "$name runs with an older environment (new atlas-devbus or keys): restarting it"
    stop_service "$name"
  fi
  if port_taken "$port"; then
    die "" "port $port ($port_var) is taken by another process: stop it, or set another $port_var in .atlas/quickstart.env"
  fi
  printf '\n---- %s quickstart starts %s\n' "$(date -u +%FT%TZ)" "$name" >>"$log"
  # setsid: the service outlives this script and ignores the terminal's Ctrl-C.
  # --env-file puts this stack's path on the command line (ps, `down`'s check).
  setsid "$BIN/$name" --env-file "$STACK_ENV" </dev/null >>"$log" 2>&1 &
  echo $! >"$RUN/$name.pid"
  echo "$print" >"$RUN/$name.fingerprint"
  wait_ready "$name" "$url" 90
  say "$name started (pid $(pid_of "$name")), ready on $url; log ${log#"$ROOT"/}"
}

start_devbus() {
  local log="$LOGS/atlas-devbus.log" bootstrap="$RUN/atlas-devbus.bootstrap"
  if alive atlas-devbus && [ -s "$bootstrap" ]; then
    KAFKA_BROKERS="$(cat "$bootstrap")"
    local first="${KAFKA_BROKERS%%,*}"
    if port_taken "${first##*:}"; then
      say "atlas-devbus already running (pid $(pid_of atlas-devbus)), brokers $KAFKA_BROKERS"
      export KAFKA_BROKERS
      return 0
    fi
    stop_service atlas-devbus
  fi
  rm -f "$bootstrap"
  printf '\n---- %s quickstart starts atlas-devbus\n' "$(date -u +%FT%TZ)" >>"$log"
  setsid "$BIN/atlas-devbus" --bootstrap-file "$bootstrap" </dev/null >>"$log" 2>&1 &
  echo $! >"$RUN/atlas-devbus.pid"
  for _ in $(seq 1 100); do
    [ -s "$bootstrap" ] && break
    alive atlas-devbus || die "$log" "atlas-devbus exited"
    sleep 0.1
  done
  [ -s "$bootstrap" ] || die "$log" "atlas-devbus wrote no bootstrap file within 10s"
  KAFKA_BROKERS="$(cat "$bootstrap")"
  export KAFKA_BROKERS
  say "atlas-devbus started (pid $(pid_of atlas-devbus)): a local Kafka (librdkafka mock cluster, in memory), brokers $KAFKA_BROKERS"
}

start_postgres() {
  local bin log="$LOGS/postgres.log" out
  bin="$(pg_bin)" || die "" "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: run scripts/bootstrap.sh (it installs postgresql)"
  mkdir -p "$PGROOT"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PGROOT"
    runuser -u postgres -- test -w "$PGROOT" \
      || die "" "PostgreSQL refuses to run as root, and the postgres user cannot reach $PGROOT (a parent directory is not searchable by others, e.g. /root): run quickstart from a directory the postgres user can reach, or chmod o+x the parent directories"
  fi
  # The server's log lives beside its data (written by the server's user).
  ln -sfn ../pg/postgres.log "$log"
  if pg_running; then
    if [ "$(pg_port_running)" = "$PG_PORT" ]; then
      say "PostgreSQL already running on 127.0.0.1:$PG_PORT (data ${PGDATA#"$ROOT"/})"
    else
      say "PostgreSQL runs on port $(pg_port_running), configured $PG_PORT: restarting it"
      as_pg "$bin/pg_ctl" stop -D "$PGDATA" -m fast -w >/dev/null 2>&1 || true
    fi
  fi
  if ! pg_running; then
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale C --no-instructions \
        >"$LOGS/postgres-initdb.log" 2>&1 \
        || die "$LOGS/postgres-initdb.log" "initdb failed"
      # Loopback TCP only; logical WAL for the architect_bus publication.
      cat >>"$PGDATA/postgresql.conf" <<'EOF'

# scripts/quickstart.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = logical
max_connections = 100
EOF
      say "PostgreSQL data directory created: ${PGDATA#"$ROOT"/}"
    fi
    if port_taken "$PG_PORT"; then
      die "" "port $PG_PORT (ATLAS_QS_PG_PORT) is taken by another process: stop it, or set another ATLAS_QS_PG_PORT in .atlas/quickstart.env"
    fi
    out="$(as_pg "$bin/pg_ctl" start -w -t 60 -D "$PGDATA" -l "$PGROOT/postgres.log" -o "-p $PG_PORT" 2>&1)" \
      || die "$log" "pg_ctl start failed: $out"
    say "PostgreSQL started on 127.0.0.1:$PG_PORT (data ${PGDATA#"$ROOT"/}, runs as $( [ "$(id -u)" -eq 0 ] && echo postgres || id -un))"
  fi
  local have
  have="$("$bin/psql" -X -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
    -c "SELECT 1 FROM pg_database WHERE datname = 'atlas'" 2>>"$LOGS/postgres-client.log")" \
    || die "$LOGS/postgres-client.log" "cannot query PostgreSQL on 127.0.0.1:$PG_PORT"
  if [ "$have" != 1 ]; then
    "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres atlas >>"$LOGS/postgres-client.log" 2>&1 \
      || die "$LOGS/postgres-client.log" "createdb atlas failed"
    say "database atlas created ($DATABASE_URL)"
  fi
}

# --- the reply -----------------------------------------------------------------------

print_reply() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
env = json.load(open(sys.argv[1], encoding="utf-8"))
meta = env.get("metadata") or {}
usage = meta.get("usage") or {}
rag = meta.get("rag") or {}
sources = rag.get("sources") or []
model = meta.get("model") or "-"
print(f"      reply {env.get('task_id')} to task {meta.get('parent_id')}: status {meta.get('status')}")
note = "  (the offline provider: no API key is set)" if model == "offline" else ""
print(f"      model:   {model}{note}")
parts = [f"{k.replace('_tokens', '')} {usage[k]}" for k in
         ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens") if usage.get(k)]
print(f"      tokens:  {meta.get('tokens', 0)}" + (f" ({', '.join(parts)})" if parts else ""))
if meta.get("cost_usd") is not None and model != "offline":
    print(f"      cost:    ${meta['cost_usd']:.4f} (estimated)")
seen = []
for s in sources:
    name = s if isinstance(s, str) else json.dumps(s)
    if name not in seen:
        seen.append(name)
status = rag.get("status", "-")
print(f"      sources: {', '.join(seen) if seen else '(none)'}  [RAG {status}]")
timings = meta.get("timings") or {}
if timings:
    print("      timings: " + ", ".join(f"{k} {v}" for k, v in timings.items()))
content = env.get("content")
text = content if isinstance(content, str) else json.dumps(content, indent=2)
print("----- spec " + "-" * 60)
print(text.rstrip("\n"))
print("-" * 71)
PY
}

# --- commands --------------------------------------------------------------------------

cmd_up() {
  step "packages (scripts/bootstrap.sh)"
  "$ROOT/scripts/bootstrap.sh" >"$LOGS/bootstrap.log" 2>&1 \
    || die "$LOGS/bootstrap.log" "installing the Debian packages failed"
  say "build tools, libraries, PostgreSQL, python3 and curl are installed"

  step "build"
  if [ -n "${ATLAS_BIN_DIR:-}" ]; then
    say "using the prebuilt binaries in $BIN (ATLAS_BIN_DIR)"
  else
    say "building the five binaries into build/bin (first time: several minutes; log .atlas/logs/build.log)"
    ATLAS_WERROR="${ATLAS_WERROR:-OFF}" "$ROOT/scripts/build.sh" "${BINARIES[@]}" >"$LOGS/build.log" 2>&1 \
      || die "$LOGS/build.log" "the build failed"
  fi
  for b in "${BINARIES[@]}"; do
    [ -x "$BIN/$b" ] || die "" "$BIN/$b is missing: build it (./scripts/build.sh) or point ATLAS_BIN_DIR at a directory holding ${BINARIES[*]}"
  done

  step "atlas-devbus (local Kafka)"
  start_devbus
  write_stack_env

  step "PostgreSQL"
  start_postgres

  step "atlas-rag"
  start_service atlas-rag RAG_PORT

  step "index docs/ into atlas-rag (scripts/index_repo.sh)"
  "$ROOT/scripts/index_repo.sh" -u "$RAG_URL" docs/ >"$LOGS/index.log" 2>&1 \
    || die "$LOGS/index.log" "indexing docs/ failed"
  grep '^index_repo: documents:' "$LOGS/index.log" | sed 's/^index_repo: /      /' || true

  step "atlas-worker"
  if have_llm_key; then
    say "LLM: an API key is set: chain ${LLM_CHAIN:-openai:${OPENAI_MODEL:-gpt-4.1},openai:o3,openai:o1-pro}"
  else
    say "LLM: no OPENAI_API_KEY or ANTHROPIC_API_KEY: the worker uses the OFFLINE provider"
    say "     (deterministic skeleton specs built from the request and the RAG context)"
  fi
  start_service atlas-worker METRICS_PORT

  step "atlas-router"
  start_service atlas-router ROUTER_PORT

  step "publish \"$TASK_TEXT\" and wait for the spec"
  local task_id reply="$RUN/reply.json" limit
  task_id="$(ATLASCTL="$BIN/atlasctl" "$ROOT/scripts/publish_task.sh" "$TASK_TEXT" 2>>"$LOGS/atlasctl.log")" \
    || die "$LOGS/atlasctl.log" "publishing the task failed"
  say "task $task_id on architect_in; waiting for its reply on architect_out"
  if have_llm_key; then limit="${ATLAS_QS_REPLY_TIMEOUT:-360}"; else limit="${ATLAS_QS_REPLY_TIMEOUT:-120}"; fi
  timeout "$limit" "$BIN/atlasctl" tail --follow --task "$task_id" --max 1 >"$reply.tmp" 2>>"$LOGS/atlasctl.log" || true
  # The request itself is on architect_in, so the first match on architect_out is the reply.
  [ -s "$reply.tmp" ] || die "$LOGS/atlas-worker.log" "no reply to $task_id within ${limit}s"
  mv "$reply.tmp" "$reply"
  print_reply "$reply"
  cat <<EOF

quickstart: the stack keeps running ($(printf '%s ' "${SERVICES[@]}")atlas-devbus, PostgreSQL).
  ./scripts/quickstart.sh status                                  what runs
  ./scripts/quickstart.sh down                                    stop it all
  $BIN/atlasctl --env-file .atlas/atlas.env status        every service's /readyz
  $BIN/atlasctl --env-file .atlas/atlas.env trace $task_id
  $BIN/atlasctl --env-file .atlas/atlas.env tail --follow --format table
  logs: .atlas/logs/
EOF
}

cmd_down() {
  local bin
  for (( i=${#SERVICES[@]}-1; i>=0; i-- )); do stop_service "${SERVICES[$i]}"; done
  if pg_running; then
    bin="$(pg_bin)"
    as_pg "$bin/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60 >/dev/null 2>&1 \
      || as_pg "$bin/pg_ctl" stop -D "$PGDATA" -m immediate -w >/dev/null 2>&1 || true
    say "PostgreSQL stopped (data kept in ${PGDATA#"$ROOT"/})"
  fi
  stop_service atlas-devbus
  rm -f "$RUN/atlas-devbus.bootstrap"
  # Anything still running from this stack's directory is reported, not killed
  # (it may be yours: a `tail -f` of a log, say).
  local left
  left="$(pgrep -f -a -- "$STATE/" 2>/dev/null | grep -v -- "pgrep" || true)"
  if [ -n "$left" ]; then
    printf 'quickstart: still running with %s in its command line:\n%s\n' "$STATE/" "$left" >&2
    return 1
  fi
  echo "quickstart: stopped; nothing of the stack runs"
}

cmd_status() {
  local worst=0 pid state code
  printf '%-14s %-8s %-7s %s\n' SERVICE PID PORT STATE
  if alive atlas-devbus; then
    printf '%-14s %-8s %-7s %s\n' atlas-devbus "$(pid_of atlas-devbus)" - \
      "running, brokers $(cat "$RUN/atlas-devbus.bootstrap" 2>/dev/null)"
  else
    printf '%-14s %-8s %-7s %s\n' atlas-devbus - - "not running"
    worst=4
  fi
  if pg_running; then
    pid="$(sed -n 1p "$PGDATA/postmaster.pid" 2>/dev/null)"
    printf '%-14s %-8s %-7s %s\n' postgresql "$pid" "$(pg_port_running)" "running (data ${PGDATA#"$ROOT"/})"
  else
    printf '%-14s %-8s %-7s %s\n' postgresql - "$PG_PORT" "not running"
    worst=4
  fi
  local name port_var
  for name in "${SERVICES[@]}"; do
    case "$name" in
      atlas-rag) port_var=RAG_PORT ;;
      atlas-worker) port_var=METRICS_PORT ;;
      atlas-router) port_var=ROUTER_PORT ;;
    esac
    if alive "$name"; then
      code="$(http_code "http://127.0.0.1:${!port_var}/readyz" "$RUN/$name.readyz")"
      if [ "$code" = 200 ]; then
        state="ready"
      else
        state="running, NOT ready (/readyz $code: $(head -c 200 "$RUN/$name.readyz" 2>/dev/null))"
        [ "$worst" -lt 3 ] && worst=3
      fi
      printf '%-14s %-8s %-7s %s\n' "$name" "$(pid_of "$name")" "${!port_var}" "$state"
    else
      printf '%-14s %-8s %-7s %s\n' "$name" - "${!port_var}" "not running"
      worst=4
    fi
  done
  case "$worst" in
    0) echo "quickstart: everything runs and is ready" ;;
    3) echo "quickstart: something is not ready (logs in .atlas/logs/)" ;;
    *) echo "quickstart: something is not running: ./scripts/quickstart.sh starts it" ;;
  esac
  return "$worst"
}

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

case "${1:-up}" in
  up) load_config; cmd_up ;;
  down) load_config; cmd_down ;;
  status) load_config; cmd_status ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
