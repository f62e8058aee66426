#!/usr/bin/env bash
# Checks decoupled-provider end to end against a real daemon: starts wbemd on a scratch socket and
# data directory, compiles file_change.mof, starts the provider and two subscribers to one watched
# directory (one by Directory =, one by Path LIKE), creates and deletes a file there, and checks
# that each subscriber got exactly those two events, that the two filters shared one watch and
# that it went with them, and that the provider exits 0 on SIGTERM. Every process it started is
# stopped on exit, whatever the outcome.
#
# usage: run-check.sh PROVIDER [--wbemd PATH] [--wbemctl PATH]   (default: wbemd, wbemctl on PATH)
set -euo pipefail

usage() {
  echo "usage: $0 PROVIDER [--wbemd PATH] [--wbemctl PATH]" >&2
  exit 2
}

(($# >= 1)) || usage
provider="$1"
shift
wbemd=wbemd
wbemctl=wbemctl
while (($# > 0)); do
  case "$1" in
    --wbemd)
      (($# >= 2)) || usage
      wbemd="$2"
      shift 2
      ;;
    --wbemctl)
      (($# >= 2)) || usage
      wbemctl="$2"
      shift 2
      ;;
    *) usage ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly here
scratch="$(mktemp -d)"
readonly scratch
readonly socket="$scratch/wbemd.sock"
readonly watched="$scratch/watched"
readonly timeout=20 # seconds any one step may take
mkdir -p "$watched"

# Started processes not yet waited for: stopped (SIGTERM, then waited for) in reverse order on exit.
pids=()
# reap PID: waits for PID and takes it off the list (a reaped pid may be reused: never signal it).
# Returns its exit status.
reap() {
  local status=0 pid kept=()
  wait "$1" || status=$?
  for pid in "${pids[@]}"; do
    [[ "$pid" == "$1" ]] || kept+=("$pid")
  done
  pids=("${kept[@]}")
  return "$status"
}
cleanup() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$scratch"
}
trap cleanup EXIT

# Prints the message and every log, then fails.
fail() {
  echo "run-check: $*" >&2
  local log
  for log in "$scratch"/*.log; do
    [[ -f "$log" ]] || continue
    echo "--- $(basename "$log")" >&2
    sed 's/^/  | /' "$log" >&2
  done
  exit 1
}

# wait_for WHAT COMMAND...: runs COMMAND until it succeeds, for up to $timeout seconds.
wait_for() {
  local what="$1"
  shift
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out waiting for $what"
    sleep 0.1
  done
}

# count_lines PATTERN FILE: how many lines of FILE match the extended regex PATTERN.
count_lines() { grep -cE -- "$1" "$2" || true; }

echo "== wbemd on $socket"
# XDG_CONFIG_HOME: no config file of the user's changes this daemon.
XDG_CONFIG_HOME="$scratch/config" "$wbemd" --foreground --socket "$socket" --data-dir "$scratch/data" \
  --linux-providers false >"$scratch/wbemd.log" 2>&1 &
pids+=($!)
wait_for "wbemd to serve" grep -q "serving" "$scratch/wbemd.log"

echo "== wbemctl mof file_change.mof"
"$wbemctl" mof --socket "$socket" "$here/file_change.mof" || fail "file_change.mof did not compile"

echo "== decoupled-provider"
"$provider" --socket "$socket" >"$scratch/provider.log" 2>&1 &
provider_pid=$!
pids+=("$provider_pid")
wait_for "the provider to register" grep -q "^registered as FileChangeProvider" "$scratch/provider.log"

echo "== two subscriptions on $watched"
"$wbemctl" subscribe --socket "$socket" --format json --count 2 --timeout "$timeout" \
  "SELECT * FROM Linux_FileChangeEvent WHERE Directory = '$watched'" >"$scratch/by-directory.out" \
  2>"$scratch/by-directory.log" &
by_directory=$!
pids+=("$by_directory")
# In LIKE, `_`, `%` and `[` of the directory (from $TMPDIR) are written as one-character sets.
like_watched="${watched//\[/[[]}"
like_watched="${like_watched//_/[_]}"
like_watched="${like_watched//\%/[%]}"
"$wbemctl" subscribe --socket "$socket" --format json --count 2 --timeout "$timeout" \
  "SELECT * FROM Linux_FileChangeEvent WHERE Path LIKE '$like_watched/%'" >"$scratch/by-path.out" \
  2>"$scratch/by-path.log" &
by_path=$!
pids+=("$by_path")
both_watching() { (($(count_lines ": watching $watched\$" "$scratch/provider.log") == 2)); }
wait_for "the provider to watch $watched for both filters" both_watching

echo "== create and delete $watched/hello.txt"
touch "$watched/hello.txt"
rm "$watched/hello.txt"
reap "$by_directory" || fail "the Directory subscriber did not get its 2 events"
reap "$by_path" || fail "the Path LIKE subscriber did not get its 2 events"

# Each subscriber prints one JSON object per line (compact: no spaces).
check_events() {
  local out="$1"
  echo "$(basename "$out"):"
  sed 's/^/  /' "$out"
  (($(wc -l <"$out") == 2)) || fail "$(basename "$out"): expected 2 events"
  local line action
  for line in 1 2; do
    action=$([[ $line == 1 ]] && echo created || echo deleted)
    sed -n "${line}p" "$out" | grep -qF "\"Path\":\"$watched/hello.txt\"" ||
      fail "$(basename "$out"): event $line is not about $watched/hello.txt"
    sed -n "${line}p" "$out" | grep -qF "\"Action\":\"$action\"" ||
      fail "$(basename "$out"): event $line is not '$action'"
    sed -n "${line}p" "$out" | grep -qF "\"IsDirectory\":false" ||
      fail "$(basename "$out"): event $line has not IsDirectory false"
  done
}
check_events "$scratch/by-directory.out"
check_events "$scratch/by-path.out"

# The subscribers are gone, so are their filters: the shared watch ends with the second.
wait_for "the provider to stop watching $watched" grep -q "^stopped watching $watched\$" "$scratch/provider.log"
(($(count_lines "^stopped watching " "$scratch/provider.log") == 1)) ||
  fail "the two filters on $watched did not share one watch"

echo "== SIGTERM to the provider"
kill -TERM "$provider_pid"
provider_status=0
reap "$provider_pid" || provider_status=$?
((provider_status == 0)) || fail "decoupled-provider exited with $provider_status on SIGTERM"
grep -q "unregistering" "$scratch/provider.log" || fail "decoupled-provider did not unregister"

echo "--- provider.log"
sed 's/^/  | /' "$scratch/provider.log"
echo "== decoupled-provider works"
