#!/bin/sh
# Builds the agent protocol fuzzer with Clang + libFuzzer (ASan, UBSan) in its
# own build directory and runs it for a bounded time.
# Usage: scripts/fuzz.sh [seconds]   (default 60). Exits non-zero on a crash.
# Needs clang and libclang-rt-14-dev (libFuzzer runtime) from Debian 12.
set -eu

seconds=${1:-60}
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${KATA_FUZZ_BUILD_DIR:-$repo/build-fuzz}

cmake -S "$repo" -B "$build" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKATA_FUZZ=ON -DKATA_BUILD_TESTS=OFF -DKATA_WERROR=OFF >/dev/null
cmake --build "$build" --target protocol_decoder_fuzz

# New inputs go to a scratch corpus in the build dir; the seeds in the source
# tree are only read.
work=$build/fuzz-corpus
mkdir -p "$work" "$build/fuzz-artifacts"
"$build/tests/fuzz/protocol_decoder_fuzz" \
  -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=1024 -malloc_limit_mb=128 \
  -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$build/fuzz-artifacts/" \
  "$work" "$repo/tests/fuzz/corpus"
