#!/usr/bin/env bash
# `podman run --rm IMG true` with kata, crun and runc, in one run: N rounds,
# each round runs every runtime once (interleaved, so a busy moment of a
# shared machine hits all of them alike). Prints each runtime's median and
# its ratio to kata's. podman uses a private storage under a temp dir and a
# busybox-static image imported from a local rootfs (no registry needed).
#
# Usage (as root, after a build): bench/podman.sh [ROUNDS] [KATA]
#   (defaults: 10, build/cmd/kata). With an uninstalled build, kata gets a
#   configuration naming build/guest's kernel and initramfs (KATA_GUEST
#   overrides that directory; an empty KATA_GUEST means kata's own lookup).
# KATA_BENCH_VERBS=1 also prints the median of each kata verb podman called.
# PODMAN_BENCH_FLAGS adds `podman run` flags for every runtime, e.g.
# "--network none". Hosts without CAP_SYS_RESOURCE (some containers) cannot
# raise RLIMIT_NOFILE/NPROC to podman's defaults, which runc and crun fail
# on; the default flags therefore ask for modest ulimits (for every runtime,
# so the work compared stays the same).
set -euo pipefail
rounds=${1:-10}
kata=$(realpath "${2:-build/cmd/kata}")
guest=${KATA_GUEST-$(dirname "$kata")/../guest}
flags=${PODMAN_BENCH_FLAGS---ulimit nofile=1024:1024 --ulimit nproc=4096:4096}
work=$(mktemp -d /tmp/kata-bench-podman.XXXXXX)
image=localhost/kata-bench-busybox:latest

podman_() {
  podman --root "$work/storage" --runroot "$work/run" --tmpdir "$work/tmp" --storage-driver overlay \
    --cgroup-manager cgroupfs --events-backend file "$@"
}
cleanup() {
  [[ -n ${KATA_BENCH_TEMPLATE:-} && -e $work/configuration.toml ]] &&
    "$kata" --config "$work/configuration.toml" factory destroy >/dev/null 2>&1
  podman_ rm --all --force --time 0 >/dev/null 2>&1 || true
  podman_ rmi --all --force >/dev/null 2>&1 || true
  grep -o " $work/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# podman reads the system's containers.conf, as its users' does; the
# events backend is a flag (podman_ above).

# kata behind a wrapper named kata (podman keys JSON error logs on the
# basename) that carries the configuration and a private state root.
mkdir -p "$work/bin"
config_arg=""
if [[ -n $guest ]]; then
  printf '[hypervisor.qemu]\nkernel = "%s/vmlinuz"\ninitrd = "%s/kata-initramfs.img"\n' "$guest" "$guest" > "$work/configuration.toml"
  config_arg="--config '$work/configuration.toml'"
  # KATA_BENCH_TEMPLATE=1: kata's sandboxes clone a VM template (kata factory).
  if [[ -n ${KATA_BENCH_TEMPLATE:-} ]]; then
    printf '[factory]\nenable_template = true\ntemplate_path = "%s"\n' "/run/kata-bench-podman-$$" >> "$work/configuration.toml"
    "$kata" --config "$work/configuration.toml" factory init >/dev/null
  fi
fi
if [[ -n ${KATA_BENCH_VERBS:-} ]]; then
  # KATA_BENCH_VERBS=1: the wrapper times each kata call (it waits instead of
  # exec'ing, which podman and conmon do not notice: they wait for the call
  # to return either way) and the summary gives each verb's median.
  printf '#!/bin/sh\nstart=$(date +%%s%%N)\n%s --root %s %s "$@"\nrc=$?\necho "$(( ($(date +%%s%%N) - start) / 1000000 )) $*" >> %s\nexit $rc\n' \
    "'$kata'" "'$work/kata-root'" "$config_arg" "'$work/verbs.log'" > "$work/bin/kata"
else
  printf '#!/bin/sh\nexec %s --root %s %s "$@"\n' "'$kata'" "'$work/kata-root'" "$config_arg" > "$work/bin/kata"
fi
chmod +x "$work/bin/kata"

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in sh true echo; do ln -s busybox "$work/rootfs/bin/$applet"; done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
podman_ import --quiet "$work/rootfs.tar" "$image" >/dev/null

runtimes=(kata)
declare -A path=([kata]=$work/bin/kata)
for peer in crun runc; do
  if command -v "$peer" >/dev/null; then runtimes+=("$peer"); path[$peer]=$(command -v "$peer"); fi
done

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A samples failures
for name in "${runtimes[@]}"; do samples[$name]=""; failures[$name]=0; done
for ((round = 0; round < rounds; round++)); do
  for name in "${runtimes[@]}"; do
    start=$(now_ms)
    # shellcheck disable=SC2086 # flags are words on purpose
    if podman_ --runtime "${path[$name]}" run --rm $flags "$image" true >"$work/last.out" 2>&1; then
      samples[$name]+="$(( $(now_ms) - start )) "
    else
      failures[$name]=$(( failures[$name] + 1 ))
      if (( failures[$name] == 1 )); then echo "$name failed: $(tail -1 "$work/last.out")" >&2; fi
    fi
  done
done

# shellcheck disable=SC2086 # one sample per word
median_of() { printf '%s\n' $1 | sed '/^$/d' | median; }
base=$(median_of "${samples[kata]}")
printf '%-6s %10s %8s %6s\n' runtime "median ms" ratio ok
for name in "${runtimes[@]}"; do
  m=$(median_of "${samples[$name]}")
  ratio=$(awk -v a="$m" -v b="$base" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx", a / b }')
  printf '%-6s %10s %8s %6s\n' "$name" "$m" "$ratio" "$(( rounds - failures[$name] ))/$rounds"
done
echo "(podman run --rm $image true, $rounds interleaved rounds; ratio: median divided by kata's)"
if [[ -e $work/verbs.log ]]; then
  # The verb is the first word of the call that names one (global flags,
  # such as --root and --log, come before it).
  echo "kata calls per run, median ms (KATA_BENCH_VERBS):"
  for verb in create start state kill delete exec features; do
    times=$(awk -v verb="$verb" '{ for (i = 2; i <= NF; i++) if ($i == verb) { print $1; break } }' "$work/verbs.log")
    [[ -z $times ]] && continue
    printf '  %-8s %6s ms  (%s calls)\n' "$verb" "$(median_of "$times")" "$(wc -w <<<"$times")"
  done
fi
