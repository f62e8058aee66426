#!/usr/bin/env bash
# The main job: sets up the machine, builds the release preset, starts wbemd (its SQLite repository
# in a temporary data dir, its socket beside it) and shows a live subscription through wbemctl:
# every new process on the machine, from the Linux_Process provider polled WITHIN 1. A process is
# started every 2 s so that something shows on a quiet machine. Runs until Ctrl-C, or for SECONDS
# when given (`bash scripts/run.sh 10`); then stops the daemon cleanly (SIGTERM).
set -euo pipefail

readonly JOBS=2  # the machine has 2 cores

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake --preset release
cmake --build --preset release -j"$JOBS" --target wbemd wbemctl

work=$(mktemp -d -t wbem-run.XXXXXX)
export WBEM_SOCKET="$work/wbemd.sock"
daemon_pid=""
ticker_pid=""
stop() {
  [[ -n "$ticker_pid" ]] && kill "$ticker_pid" 2>/dev/null || true
  if [[ -n "$daemon_pid" ]]; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
    echo "run: wbemd stopped; its log is $work/wbemd.log"
  fi
}
trap stop EXIT
trap 'exit 0' INT TERM

./build/release/daemon/wbemd --foreground --data-dir "$work/data" >"$work/wbemd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do [[ -S "$WBEM_SOCKET" ]] && break; sleep 0.1; done
[[ -S "$WBEM_SOCKET" ]] || { cat "$work/wbemd.log"; exit 1; }
echo "run: wbemd serves $WBEM_SOCKET (repository $work/data/repository.db)"

(while sleep 2; do sleep 0.3 & done) &
ticker_pid=$!

query="SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'Linux_Process'"
echo "run: wbemctl subscribe \"$query\""
timeout_args=()
[[ $# -gt 0 ]] && timeout_args=(--timeout "$1")
status=0
./build/release/daemon/wbemctl subscribe "$query" --format json "${timeout_args[@]}" || status=$?
# Exit 3 is the --timeout passing: the normal end of a timed run.
[[ $status -eq 0 || $status -eq 3 ]]
