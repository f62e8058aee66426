#!/usr/bin/env bash
# The main job: sets up the machine, builds the release preset and runs the live-subscription
# example: the in-process event service with an event provider and two live temporary
# subscriptions (one on provider events, one on repository changes), for SECONDS (default 3).
set -euo pipefail

readonly JOBS=2  # the machine has 2 cores

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake --preset release
cmake --build --preset release -j"$JOBS" --target live-subscription
./build/release/examples/live-subscription/live-subscription "${1:-3}"
