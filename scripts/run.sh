#!/usr/bin/env bash
# The main job: sets up the machine, builds the release preset and runs the hello-events example,
# which defines an event class and builds one event with the CIM object model.
set -euo pipefail

readonly JOBS=2  # the machine has 2 cores

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake --preset release
cmake --build --preset release -j"$JOBS" --target hello-events
./build/release/examples/hello-events/hello-events
