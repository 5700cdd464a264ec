#!/usr/bin/env bash
# Builds everything and runs every test tier (unit, integration, e2e) through
# ctest. Installs what it needs first (scripts/bootstrap.sh).
#   ./scripts/test.sh                 all tiers
#   ./scripts/test.sh -L unit         one tier (any ctest arguments pass through)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/bootstrap.sh"

# Warnings are errors here, as in CI.
ATLAS_WERROR="${ATLAS_WERROR:-ON}" "$ROOT/scripts/build.sh"

BUILD_DIR="${ATLAS_BUILD_DIR:-$ROOT/build}"
# Two tests at a time: the machine has two cores and the integration tests
# start their own PostgreSQL and atlas-devbus.
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${ATLAS_TEST_JOBS:-2}" "$@"
