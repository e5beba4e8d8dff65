#!/usr/bin/env bash
# Installs the Debian packages statelab needs, only those that are missing. Idempotent.
# Usage: scripts/deps.sh [--peers]   (--peers adds RocksDB, LMDB, FAISS, hnswlib, Redis, gnuplot)
set -euo pipefail

core=(
  build-essential cmake ninja-build ccache pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev   # tests and the bench binary
  libhwloc-dev                                 # thread pinning, topology capture
  libboost1.81-dev libboost-json1.81-dev       # JSON values (1.81: Debian's default 1.74 conflicts)
  libabsl-dev                                  # flat_hash_map, btree_map
  libssl-dev                                   # SHA-256 for the event hash chain
  clang libclang-rt-14-dev                     # libFuzzer and sanitizer runtimes
)
peers=(
  librocksdb-dev liblmdb-dev libfaiss-dev libhnswlib-dev
  redis-server redis-tools gnuplot
)

want=("${core[@]}")
if [[ "${1:-}" == "--peers" ]]; then want+=("${peers[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "deps: all ${#want[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
