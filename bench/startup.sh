#!/usr/bin/env bash
# Start-up time of one container running `true`, kata against its baselines,
# measured in the same run: the bare VM floor (QEMU booting kata's kernel and
# initramfs to the agent's hello: build/bench/kata-bench-boot-floor), `kata run`, and `runc run` / `crun run` on the same
# bundle when those are installed (apt-get install runc crun). Prints
# medians and ratios.
#
# Usage (as root, after a build): bench/startup.sh [RUNS] [KATA]
#   (defaults: 10, build/cmd/kata; the floor program is looked up beside it)
# The configuration kata reads (--config, KATA_CONF_FILE, /etc/...) decides
# the guest image and accelerator; with an uninstalled build, point it at
# build/guest via a configuration file, as this script does when KATA_GUEST
# names a directory holding vmlinuz and kata-initramfs.img.
set -euo pipefail
runs=${1:-10}
kata=$(realpath "${2:-build/cmd/kata}")
floor=$(dirname "$kata")/../bench/kata-bench-boot-floor
work=$(mktemp -d /tmp/kata-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

config_args=()
if [[ -n ${KATA_GUEST:-} ]]; then
  printf '[hypervisor.qemu]\nkernel = "%s/vmlinuz"\ninitrd = "%s/kata-initramfs.img"\n' "$KATA_GUEST" "$KATA_GUEST" > "$work/configuration.toml"
  config_args=(--config "$work/configuration.toml")
fi

mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/true"
(cd "$work/bundle" && "$kata" spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"\/bin\/true"/' "$work/bundle/config.json"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# time_runs NAME COMMAND...: runs COMMAND $runs times, prints the median in ms
declare -A result
time_runs() {
  local name=$1; shift
  local samples=()
  for ((i = 0; i < runs; i++)); do
    local start; start=$(now_ms)
    "$@" >/dev/null 2>&1 || { echo "$name: run $i failed: $*" >&2; return 1; }
    samples+=($(( $(now_ms) - start )))
  done
  result[$name]=$(printf '%s\n' "${samples[@]}" | median)
}

result[vm-floor]=$("$floor" "${config_args[@]}" "$runs" | median)
time_runs "kata" bash -c "cd '$work/bundle' && '$kata' ${config_args[*]} --root '$work/root' run bench-kata"
for peer in runc crun; do
  if command -v "$peer" >/dev/null; then
    # A baseline that cannot run here (crun refuses hybrid cgroups) is
    # reported and left out, not fatal.
    time_runs "$peer" bash -c "cd '$work/bundle' && $peer --root '$work/$peer-root' run bench-$peer" ||
      echo "$peer: skipped (it fails on this host; its error: $(cd "$work/bundle" && $peer --root "$work/$peer-root" run bench-$peer-probe 2>&1 | tail -1))" >&2
  fi
done

printf '%-10s %10s %10s\n' "runtime" "median ms" "ratio"
base=${result[kata]}
for name in vm-floor kata runc crun; do
  [[ -n ${result[$name]:-} ]] || continue
  printf '%-10s %10s %10s\n' "$name" "${result[$name]}" "$(awk -v a="${result[$name]}" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')"
done
echo "(ratio: median divided by kata's run; vm-floor: QEMU spawn to the agent's hello, no container, no teardown)"
