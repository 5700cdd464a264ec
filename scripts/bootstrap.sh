#!/usr/bin/env bash
# Installs the Debian packages Atlas needs to build, test and run locally.
# Idempotent: when everything is present it does nothing (no apt-get update).
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config ccache
  # libraries (DESIGN: Debian packages only)
  librdkafka-dev libpqxx-dev nlohmann-json3-dev libcurl4-openssl-dev prometheus-cpp-dev
  libboost-dev libboost-system-dev libssl-dev doctest-dev
  # test and run tools: a PostgreSQL server, a Kafka client this project did
  # not write, an independent JSON Schema validator, promtool, curl
  postgresql kcat python3 python3-jsonschema python3-yaml prometheus curl procps
  # validates docker/docker-compose.min.yml (`docker-compose config` needs no
  # Docker engine) and clones for the index-refresh test
  docker-compose git
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "bootstrap: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done" >&2
