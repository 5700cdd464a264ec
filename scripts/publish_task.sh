#!/usr/bin/env bash
# Publishes a chat request to architect_in and prints its task_id.
#   scripts/publish_task.sh "Design a minimal CI pipeline"
# Configuration comes from the environment (KAFKA_BROKERS, KAFKA_TOPIC_IN, ...)
# or --env-file, exactly as for atlasctl, which does the work.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ATLASCTL="${ATLASCTL:-$ROOT/build/bin/atlasctl}"
if [ ! -x "$ATLASCTL" ]; then
  if command -v atlasctl >/dev/null; then ATLASCTL="$(command -v atlasctl)"; else
    echo "publish_task.sh: atlasctl not found at $ATLASCTL: build it with ./scripts/build.sh" >&2
    exit 1
  fi
fi
if [ $# -lt 1 ]; then
  echo "usage: publish_task.sh [--env-file FILE] TEXT" >&2
  exit 2
fi
exec "$ATLASCTL" publish "$@"
