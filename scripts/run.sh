#!/usr/bin/env bash
# The main job: sets up the machine, builds the release preset and runs the live-subscription
# example for SECONDS (default 3): the event service on its SQLite repository (kept in
# build/release/data, so a second run starts from what the first stored), an event provider, two
# live temporary subscriptions (provider events, repository changes) and a permanent subscription
# that logs low-disk events through the standard LogFileEventConsumer.
set -euo pipefail

readonly JOBS=2  # the machine has 2 cores

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake --preset release
cmake --build --preset release -j"$JOBS" --target live-subscription
./build/release/examples/live-subscription/live-subscription "${1:-3}" build/release/data
