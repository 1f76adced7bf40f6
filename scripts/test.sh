#!/usr/bin/env bash
# Builds kata and runs the test suite. Usage: scripts/test.sh [ctest args...]
# (e.g. `-L unit` for the fast tests only).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure "$@"
