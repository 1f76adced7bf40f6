#!/usr/bin/env bash
# Checks that every option of a config fragment holds in a final kernel
# .config: "CONFIG_X=v" must appear as such, "# CONFIG_X is not set" must not
# be set to anything. Kconfig silently drops an option whose dependencies are
# missing, so this is what turns a dropped option into a build error.
#
# Usage: check_config.sh FRAGMENT CONFIG
# Prints each option that does not hold and exits 1 if there is any.
set -euo pipefail

fragment=$1 config=$2
export LC_ALL=C

awk '
  # First file: the final .config, as name -> value ("n" when "is not set").
  FNR == NR {
    if (match($0, /^CONFIG_[A-Za-z0-9_]+=/)) {
      value[substr($0, 1, RLENGTH - 1)] = substr($0, RLENGTH + 1)
    } else if ($0 ~ /^# CONFIG_[A-Za-z0-9_]+ is not set$/) {
      value[$2] = "n"
    }
    next
  }
  # Second file: the fragment; plain "#" lines are comments.
  /^CONFIG_[A-Za-z0-9_]+=/ {
    n = index($0, "="); name = substr($0, 1, n - 1); want = substr($0, n + 1)
    got = (name in value) ? value[name] : "n"
    if (got != want) { printf "kernel config: %s=%s wanted, got %s\n", name, want, got > "/dev/stderr"; bad++ }
    checked++
    next
  }
  /^# CONFIG_[A-Za-z0-9_]+ is not set$/ {
    name = $2
    got = (name in value) ? value[name] : "n"
    if (got != "n") { printf "kernel config: %s unset wanted, got %s\n", name, got > "/dev/stderr"; bad++ }
    checked++
    next
  }
  /^[[:space:]]*(#.*)?$/ { next }
  { printf "kernel config fragment line %d: not an option or comment: %s\n", FNR, $0 > "/dev/stderr"; bad++ }
  END {
    if (bad) { printf "kernel config: %d of %d fragment lines do not hold\n", bad, checked > "/dev/stderr"; exit 1 }
  }' "$config" "$fragment"
