#!/usr/bin/env bash
# Installs the Debian packages statelab needs, only those that are missing. Idempotent.
# Usage: scripts/deps.sh [--peers] [--check] [--help]
#   --peers   also RocksDB, LMDB, FAISS, hnswlib, SQLite (FTS5), Redis and gnuplot (the peers and the reports)
#   --check   install nothing: list what is missing and exit 1 if anything is
set -euo pipefail

core=(
  build-essential cmake ninja-build ccache pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev   # tests and the bench binary
  libhwloc-dev                                 # thread pinning, topology capture
  libboost1.81-dev libboost-json1.81-dev       # JSON values (1.81: Debian's default 1.74 conflicts)
  libabsl-dev                                  # flat_hash_map, btree_map
  libssl-dev                                   # SHA-256 for the event hash chain
  clang clang-tidy libclang-rt-14-dev          # libFuzzer, sanitizer runtimes, lint (scripts/tidy.sh)
  python3                                      # the fourth-engine test reads gates.json
  valgrind                                     # --metric instructions where perf is refused
  stress-ng                                    # the CPU hog of the compare noise tests
  tcl python3-redis                            # Redis's own test suite, a real Redis client (tests/resp)
  slurmctld slurmd slurm-client munge          # the fleet stage's one-node cluster (scripts/fleet.sh)
)
peers=(
  librocksdb-dev liblmdb-dev libfaiss-dev libhnswlib-dev libsqlite3-dev
  redis-server redis-tools gnuplot
)

with_peers=0 check=0
for arg in "$@"; do
  case "$arg" in
    --peers) with_peers=1 ;;
    --check) check=1 ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deps: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

want=("${core[@]}")
((with_peers)) && want+=("${peers[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "deps: all ${#want[@]} packages present"
  exit 0
fi
if ((check)); then
  echo "deps: missing ${missing[*]} (scripts/deps.sh$( ((with_peers)) && echo ' --peers') installs them)" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
