#!/usr/bin/env bash
# Indexes a directory into atlas-rag (or any gateway with the same contract):
# walks DIR, skips binary files, .git/, build*/ and node_modules/, sends the
# text files in batches of {"source": path, "text": ...} to /v1/embed_batch,
# waits for the jobs and prints a summary. Chunking happens on the server
# (-c/-o are passed as chunk_size/chunk_overlap). See docs/rag.md.
#
# Needs bash and /usr/bin/python3 (standard library only; scripts/bootstrap.sh
# installs it).
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/index_repo.sh [-u URL] [-c SIZE] [-o OVERLAP] [-e EXTENSIONS] [-p PREFIX]
                             [-b BYTES] [-n FILES] [-t SECONDS] [-j] [-q] DIR

  -u URL         gateway base URL (default: $RAG_URL or http://127.0.0.1:8501)
  -c SIZE        chunk size in bytes (default: the server's, 1000)
  -o OVERLAP     chunk overlap in bytes (default: the server's, 200)
  -e EXTENSIONS  only files with these extensions, comma-separated (md,txt,rst)
  -p PREFIX      prefix of every source; default: DIR itself when DIR is a
                 relative path (docs/ gives sources docs/a.md), nothing when
                 it is absolute (sources relative to DIR)
  -b BYTES       text bytes per batch at most (default 4000000)
  -n FILES       files per batch at most (default 200)
  -t SECONDS     how long to wait for the jobs (default 600)
  -j             print the summary as one JSON object on stdout
  -q             no progress lines
Exit status: 0 when every file was indexed (or unchanged), 1 when any failed,
2 for usage errors.
EOF
}

url="${RAG_URL:-http://127.0.0.1:8501}"
chunk_size=""
chunk_overlap=""
extensions=""
prefix=""
prefix_set=0
batch_bytes=4000000
batch_files=200
wait_s=600
json=0
quiet=0
while getopts ":u:c:o:e:p:b:n:t:jqh" opt; do
  case "$opt" in
    u) url="$OPTARG" ;;
    c) chunk_size="$OPTARG" ;;
    o) chunk_overlap="$OPTARG" ;;
    e) extensions="$OPTARG" ;;
    p) prefix="$OPTARG"; prefix_set=1 ;;
    b) batch_bytes="$OPTARG" ;;
    n) batch_files="$OPTARG" ;;
    t) wait_s="$OPTARG" ;;
    j) json=1 ;;
    q) quiet=1 ;;
    h) usage; exit 0 ;;
    :) echo "index_repo: -$OPTARG needs a value" >&2; usage >&2; exit 2 ;;
    *) echo "index_repo: unknown option -$OPTARG" >&2; usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [[ $# -ne 1 ]]; then
  echo "index_repo: give exactly one DIR to index" >&2
  usage >&2
  exit 2
fi
dir="$1"
if [[ ! -d "$dir" ]]; then
  echo "index_repo: '$dir' is not a directory" >&2
  exit 2
fi
for pair in "-c:$chunk_size" "-o:$chunk_overlap" "-b:$batch_bytes" "-n:$batch_files" "-t:$wait_s"; do
  value="${pair#*:}"
  if [[ -n "$value" && ! "$value" =~ ^[0-9]+$ ]]; then
    echo "index_repo: ${pair%%:*} '$value' is not a non-negative integer" >&2
    exit 2
  fi
done
python=/usr/bin/python3
if [[ ! -x "$python" ]]; then
  echo "index_repo: $python is missing: run scripts/bootstrap.sh (it installs python3)" >&2
  exit 2
fi

export IR_URL="$url" IR_CHUNK_SIZE="$chunk_size" IR_CHUNK_OVERLAP="$chunk_overlap" \
  IR_EXTENSIONS="$extensions" IR_PREFIX="$prefix" IR_PREFIX_SET="$prefix_set" \
  IR_BATCH_BYTES="$batch_bytes" IR_BATCH_FILES="$batch_files" IR_WAIT_S="$wait_s" \
  IR_JSON="$json" IR_QUIET="$quiet" IR_DIR="$dir"
exec "$python" - <<'PY'
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

env = os.environ
BASE = env["IR_URL"].rstrip("/")
DIR = env["IR_DIR"]
QUIET = env["IR_QUIET"] == "1"
AS_JSON = env["IR_JSON"] == "1"
BATCH_BYTES = max(1, int(env["IR_BATCH_BYTES"]))
BATCH_FILES = max(1, int(env["IR_BATCH_FILES"]))
WAIT_S = int(env["IR_WAIT_S"])
MAX_OUTSTANDING = 4          # jobs submitted and not finished
SKIP_DIRS = {".git", "node_modules", "__pycache__"}
EXTS = {("." + e.strip().lstrip(".")).lower() for e in env["IR_EXTENSIONS"].split(",") if e.strip()}

if env["IR_PREFIX_SET"] == "1":
    PREFIX = env["IR_PREFIX"]
elif os.path.isabs(DIR):
    PREFIX = ""
else:
    PREFIX = os.path.normpath(DIR)
    PREFIX = "" if PREFIX == "." else PREFIX
if PREFIX and not PREFIX.endswith("/"):
    PREFIX += "/"

query = {}
if env["IR_CHUNK_SIZE"]:
    query["chunk_size"] = env["IR_CHUNK_SIZE"]
if env["IR_CHUNK_OVERLAP"]:
    query["chunk_overlap"] = env["IR_CHUNK_OVERLAP"]
EMBED_URL = BASE + "/v1/embed_batch" + ("?" + urllib.parse.urlencode(query) if query else "")


def progress(msg):
    if not QUIET:
        print("index_repo: " + msg, file=sys.stderr, flush=True)


def request(method, url, body=None, attempts=8):
    """Returns (status, parsed JSON or text). Retries 503/429 (Retry-After) and
    connection errors; other statuses are returned to the caller."""
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    delay = 1.0
    for attempt in range(1, attempts + 1):
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw.decode("utf-8", "replace")
            if e.code in (429, 503) and attempt < attempts:
                wait = e.headers.get("Retry-After")
                wait = float(wait) if wait and wait.isdigit() else delay
                progress(f"{method} {url}: {e.code}, retrying in {wait:g}s")
                time.sleep(min(wait, 60))
                delay = min(delay * 2, 30)
                continue
            return e.code, payload
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            reason = getattr(e, "reason", e)
            if attempt < attempts:
                progress(f"{method} {url}: {reason}, retrying in {delay:g}s")
                time.sleep(delay)
                delay = min(delay * 2, 30)
                continue
            return 0, f"cannot reach {BASE}: {reason}"
    return 0, "unreachable"


def error_text(payload):
    if isinstance(payload, dict) and "error" in payload:
        return str(payload["error"])
    return str(payload)[:500]


# --- walk -------------------------------------------------------------------
skipped = {"binary": 0, "not_utf8": 0, "empty": 0, "extension": 0, "unreadable": 0}
files = []  # (source, text)
for root, dirs, names in os.walk(DIR):
    dirs[:] = sorted(d for d in dirs
                     if d not in SKIP_DIRS and not d.startswith("build")
                     and not os.path.islink(os.path.join(root, d)))
    for name in sorted(names):
        path = os.path.join(root, name)
        if not os.path.isfile(path):
            continue
        if EXTS and os.path.splitext(name)[1].lower() not in EXTS:
            skipped["extension"] += 1
            continue
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            progress(f"skipping {path}: {e.strerror}")
            skipped["unreadable"] += 1
            continue
        if b"\0" in raw:
            skipped["binary"] += 1
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            skipped["not_utf8"] += 1
            continue
        if not text.strip():
            skipped["empty"] += 1
            continue
        rel = os.path.relpath(path, DIR).replace(os.sep, "/")
        files.append((PREFIX + rel, text))

# --- batches ----------------------------------------------------------------
batches, current, size = [], [], 0
for source, text in files:
    n = len(text.encode("utf-8"))
    if current and (size + n > BATCH_BYTES or len(current) >= BATCH_FILES):
        batches.append(current)
        current, size = [], 0
    current.append({"source": source, "text": text})
    size += n
if current:
    batches.append(current)

summary = {"files": len(files), "batches": len(batches), "skipped": sum(skipped.values()),
           "skipped_by_reason": {k: v for k, v in skipped.items() if v},
           "documents_indexed": 0, "documents_unchanged": 0, "documents_failed": 0,
           "chunks_written": 0, "batches_rejected": 0, "jobs": [], "failures": []}
progress(f"{len(files)} text files in {len(batches)} batch(es) to {BASE}"
         + (f"; {summary['skipped']} skipped" if summary["skipped"] else ""))


def finish(job_id):
    deadline = time.monotonic() + WAIT_S
    delay = 0.1
    while True:
        status, job = request("GET", f"{BASE}/v1/jobs/{job_id}")
        if status == 200 and isinstance(job, dict) and job.get("state") in ("done", "failed"):
            for key in ("documents_indexed", "documents_unchanged", "documents_failed",
                        "chunks_written"):
                summary[key] += int(job.get(key, 0))
            for e in job.get("errors", []):
                summary["failures"].append(f"{e.get('source') or job_id}: {e.get('error')}")
            return job["state"]
        if status != 200:
            summary["failures"].append(f"job {job_id}: status {status}: {error_text(job)}")
            return "failed"
        if time.monotonic() > deadline:
            summary["failures"].append(f"job {job_id}: still {job.get('state')} after {WAIT_S}s")
            return "failed"
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


outstanding = []
failed_jobs = 0
for i, batch in enumerate(batches, 1):
    status, payload = request("POST", EMBED_URL, batch)
    if status == 202 and isinstance(payload, dict) and "job_id" in payload:
        outstanding.append(payload["job_id"])
        summary["jobs"].append(payload["job_id"])
        progress(f"batch {i}/{len(batches)}: {len(batch)} files queued as job {payload['job_id']}")
    else:
        summary["batches_rejected"] += 1
        summary["documents_failed"] += len(batch)
        summary["failures"].append(f"batch {i} ({batch[0]['source']} ...): status {status}: "
                                   f"{error_text(payload)}")
        progress(f"batch {i}/{len(batches)} rejected: status {status}: {error_text(payload)}")
    while len(outstanding) >= MAX_OUTSTANDING:
        if finish(outstanding.pop(0)) != "done":
            failed_jobs += 1
while outstanding:
    if finish(outstanding.pop(0)) != "done":
        failed_jobs += 1

ok = failed_jobs == 0 and summary["batches_rejected"] == 0 and not summary["failures"]
summary["ok"] = ok
if AS_JSON:
    print(json.dumps(summary))
else:
    print(f"index_repo: files: {summary['files']} sent in {summary['batches']} batch(es), "
          f"{summary['skipped']} skipped")
    print(f"index_repo: documents: {summary['documents_indexed']} indexed, "
          f"{summary['documents_unchanged']} unchanged, {summary['documents_failed']} failed; "
          f"chunks written: {summary['chunks_written']}")
for failure in summary["failures"][:50]:
    print("index_repo: failed: " + failure, file=sys.stderr)
sys.exit(0 if ok else 1)
PY
