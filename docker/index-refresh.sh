#!/usr/bin/env bash
# The atlas-index-refresh job (the manual's nightly CronJob, section 6.3), run
# by the atlas-tools image (docker/Dockerfile) from k8s/cronjob-index-refresh.yaml.
#
# Re-indexes a directory into atlas-rag with scripts/index_repo.sh. atlas-rag
# skips documents whose content did not change (SHA-256 per source) and
# replaces the chunks of those that did, so a nightly run is cheap and never
# duplicates anything (docs/rag.md, "Indexing").
#
# What is indexed:
#   INDEX_GIT_URL set     a shallow clone of that repository (INDEX_GIT_REF,
#                         default: its default branch), directory INDEX_GIT_SUBDIR
#                         inside it (default: docs); sources are prefixed with
#                         INDEX_PREFIX (default: INDEX_GIT_SUBDIR)
#   otherwise             INDEX_DIR (default /opt/atlas/docs, the docs/ baked into
#                         the image), sources prefixed with INDEX_PREFIX (default docs)
# RAG_URL (default http://atlas-rag:8501) is the gateway. INDEX_EXTENSIONS
# (e.g. md,txt,rst) limits the files. The summary is printed as one JSON line.
# Exit status: that of index_repo.sh (0 ok, 1 a document failed, 2 usage).
set -euo pipefail

rag_url="${RAG_URL:-http://atlas-rag:8501}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Beside this script in the image (/opt/atlas/scripts); scripts/ in a checkout.
index_repo="$here/index_repo.sh"
[[ -x "$index_repo" ]] || index_repo="$here/../scripts/index_repo.sh"
work="$(mktemp -d)"   # /tmp is an emptyDir: the root file system is read-only
trap 'rm -rf "$work"' EXIT
# git wants a writable HOME; the image user has none.
[[ -w "${HOME:-/nonexistent}" ]] || export HOME="$work"

if [[ -n "${INDEX_GIT_URL:-}" ]]; then
  subdir="${INDEX_GIT_SUBDIR:-docs}"
  prefix="${INDEX_PREFIX:-$subdir}"
  clone=(git clone --quiet --depth 1)
  [[ -n "${INDEX_GIT_REF:-}" ]] && clone+=(--branch "$INDEX_GIT_REF")
  # The URL may carry a token: never echo it.
  echo "index-refresh: cloning the repository (depth 1)" >&2
  if ! "${clone[@]}" -- "$INDEX_GIT_URL" "$work/repo" 2>"$work/git.err"; then
    echo "index-refresh: git clone failed (check INDEX_GIT_URL, INDEX_GIT_REF and egress to the Git host)" >&2
    exit 1
  fi
  dir="$work/repo/$subdir"
else
  dir="${INDEX_DIR:-/opt/atlas/docs}"
  prefix="${INDEX_PREFIX:-docs}"
fi
[[ -d "$dir" ]] || { echo "index-refresh: $dir is not a directory" >&2; exit 2; }

args=(-u "$rag_url" -p "$prefix" -j -q)
[[ -n "${INDEX_EXTENSIONS:-}" ]] && args+=(-e "$INDEX_EXTENSIONS")
echo "index-refresh: indexing $dir into $rag_url (sources under $prefix/)" >&2
status=0
"$index_repo" "${args[@]}" "$dir" || status=$?
exit "$status"   # not exec: the EXIT trap removes the clone
