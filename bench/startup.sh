#!/usr/bin/env bash
# Start-up time of one container running `true`, kata against its baselines,
# measured in the same run: `kata run` with kata's own guest kernel and with
# Debian's cloud kernel, the bare VM floor of each (QEMU booting that kernel
# and its initramfs to the agent's hello: build/bench/kata-bench-boot-floor),
# and `runc run` / `crun run` on the same bundle when those are installed
# (apt-get install runc crun). The runs are interleaved round by round, so a
# change in machine load hits every column alike. Prints medians and ratios.
#
# Usage (as root, after a build): bench/startup.sh [RUNS] [KATA]
#   (defaults: 10, build/cmd/kata; the floor program is looked up beside it)
# KATA_GUEST=DIR (default: build/guest beside KATA) holds the guest images:
# vmlinuz-kata + kata-initramfs-kata.img and vmlinuz-debian +
# kata-initramfs-debian.img; a kernel missing there is left out.
# EXTRA_CONFIG="KEY = VALUE" adds lines to [hypervisor.qemu] of every run.
# With kata's kernel there is also a warm column: `kata run` cloning a VM
# template (`kata factory init`, [factory] enable_template) made before the
# rounds in a template_path of its own on /run (tmpfs).
set -euo pipefail
runs=${1:-10}
kata=$(realpath "${2:-build/cmd/kata}")
floor=$(dirname "$kata")/../bench/kata-bench-boot-floor
guest=$(realpath "${KATA_GUEST:-$(dirname "$kata")/../guest}")
work=$(mktemp -d /tmp/kata-bench.XXXXXX)
template=/run/kata-bench-template-$$
cleanup() {
  [[ -e $work/warm.toml ]] && "$kata" --config "$work/warm.toml" factory destroy >/dev/null 2>&1
  rm -rf "$work" "$template"
}
trap cleanup EXIT

source "$(dirname "$0")/guest_configs.sh"
write_guest_configs "$work" "$guest"
[[ ${#kernels[@]} -gt 0 ]] || { echo "no guest kernel in $guest" >&2; exit 1; }

mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/true"
(cd "$work/bundle" && "$kata" spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"\/bin\/true"/' "$work/bundle/config.json"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The columns, in print order, and each one's command; samples collect per name.
names=()
declare -A command samples skipped
add() { names+=("$1"); command[$1]=$2; }
for kernel in "${kernels[@]}"; do
  add "floor-$kernel" "'$floor' --config '$work/$kernel.toml' 1"
  add "kata-$kernel" "cd '$work/bundle' && '$kata' --config '$work/$kernel.toml' --root '$work/root' run bench-kata"
done
if [[ -e $work/kata.toml ]]; then
  { cat "$work/kata.toml"; printf '[factory]\nenable_template = true\ntemplate_path = "%s"\n' "$template"; } >"$work/warm.toml"
  # A configuration templates do not support (microvm) has no warm column.
  if "$kata" --config "$work/warm.toml" factory init >/dev/null 2>"$work/warm.err"; then
    add "kata-warm" "cd '$work/bundle' && '$kata' --config '$work/warm.toml' --root '$work/root' run bench-kata"
  else
    echo "kata-warm: skipped ($(tail -1 "$work/warm.err"))" >&2
  fi
fi
for peer in runc crun; do
  command -v "$peer" >/dev/null && add "$peer" "cd '$work/bundle' && $peer --root '$work/$peer-root' run bench-$peer"
done

for ((i = 0; i < runs; i++)); do
  for name in "${names[@]}"; do
    [[ -z ${skipped[$name]:-} ]] || continue
    if [[ $name == floor-* ]]; then
      # The floor program times its own boot (spawn to hello, no teardown).
      sample=$(bash -c "${command[$name]}" 2>"$work/err") || sample=
    else
      start=$(now_ms)
      bash -c "${command[$name]}" >/dev/null 2>"$work/err" && sample=$(( $(now_ms) - start )) || sample=
    fi
    if [[ -z $sample ]]; then
      # A baseline that cannot run here (crun refuses hybrid cgroups) is
      # reported and left out; a kata run that fails is fatal.
      [[ $name == kata-* ]] && { echo "$name: run $i failed: $(tail -3 "$work/err")" >&2; exit 1; }
      echo "$name: skipped (it fails on this host: $(tail -1 "$work/err"))" >&2
      skipped[$name]=1
      continue
    fi
    samples[$name]+="$sample "
  done
done

declare -A result
for name in "${names[@]}"; do
  [[ -n ${samples[$name]:-} ]] && result[$name]=$(printf '%s\n' ${samples[$name]} | median)
done
base=${result[kata-debian]:-${result[kata-kata]}}
printf '%-13s %10s %10s\n' "run" "median ms" "ratio"
for name in "${names[@]}"; do
  [[ -n ${result[$name]:-} ]] || continue
  printf '%-13s %10s %10s\n' "$name" "${result[$name]}" "$(awk -v a="${result[$name]}" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')"
done
echo "(ratio: median divided by kata-debian's, else kata-kata's; $runs rounds; floor: QEMU spawn to the agent's hello, no container, no teardown)"
if [[ -n ${result[kata-kata]:-} && -n ${result[kata-debian]:-} ]]; then
  echo "kata's kernel against Debian's: $(awk -v a="${result[kata-kata]}" -v b="${result[kata-debian]}" 'BEGIN { printf "%.2fx", a / b }') (target: at most 0.45x)"
fi
if [[ -n ${result[kata-warm]:-} && -n ${result[kata-debian]:-} ]]; then
  echo "warm (template clone) against Debian's cold: $(awk -v a="${result[kata-warm]}" -v b="${result[kata-debian]}" 'BEGIN { printf "%.2fx", a / b }') (target: at most 0.15x)"
fi
