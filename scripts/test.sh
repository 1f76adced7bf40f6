#!/usr/bin/env bash
# Builds kata (binary, guest image, tests) and runs the test suite.
# Usage: scripts/test.sh [ctest args...], e.g. `-L unit` for the fast tests
# only, `-L vm` for the tests that boot VMs. Run as root: the vm and root
# tests need it (virtiofsd, namespaces, mounts).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure "$@"
