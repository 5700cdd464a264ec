#!/usr/bin/env bash
# Configures and builds Atlas into build/ (binaries in build/bin/).
#   scripts/build.sh                 everything (binaries, tests, benchmarks)
#   scripts/build.sh TARGET...       only these targets (quickstart builds its five binaries)
# ATLAS_BUILD_TYPE (default RelWithDebInfo), ATLAS_SANITIZE and ATLAS_WERROR
# are passed through to CMake.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${ATLAS_BUILD_DIR:-$ROOT/build}"

args=(-S "$ROOT" -B "$BUILD_DIR" -G Ninja
      -DCMAKE_BUILD_TYPE="${ATLAS_BUILD_TYPE:-RelWithDebInfo}"
      -DATLAS_WERROR="${ATLAS_WERROR:-OFF}"
      -DATLAS_SANITIZE="${ATLAS_SANITIZE:-}")
if command -v ccache >/dev/null; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths relative to the checkout, so a fresh clone (CI) reuses the cache.
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
fi

cmake "${args[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "${ATLAS_JOBS:-$(nproc)}" "${targets[@]}"
