#!/usr/bin/env bash
# Host memory per sandbox: the PSS (proportional set size, from
# /proc/<pid>/smaps_rollup) of the sandbox monitor + QEMU + virtiofsd of an
# idle `kata run -d` container (busybox sleep), median over N sandboxes that
# run at the same time (PSS splits shared pages, such as QEMU's libraries,
# among them), for each guest kernel in turn (kata's own, then Debian's
# cloud kernel), printed next to the same for runc's container process, and
# crun's when installed.
#
# Usage (as root, after a build): bench/memory.sh [SANDBOXES] [KATA]
#   (defaults: 5, build/cmd/kata). KATA_GUEST=DIR (default: build/guest
# beside KATA) holds vmlinuz-kata + kata-initramfs-kata.img and
# vmlinuz-debian + kata-initramfs-debian.img; a kernel missing there is left
# out. SETTLE=SECONDS (default 3) is the idle time before measuring.
set -euo pipefail
count=${1:-5}
kata=$(realpath "${2:-build/cmd/kata}")
settle=${SETTLE:-3}
work=$(mktemp -d /tmp/kata-bench-mem.XXXXXX)
root=$work/root

guest=$(realpath "${KATA_GUEST:-$(dirname "$kata")/../guest}")
source "$(dirname "$0")/guest_configs.sh"
write_guest_configs "$work" "$guest"

delete_sandboxes() {
  for ((i = 0; i < count; i++)); do
    "$kata" --root "$root" delete --force "mem-$i" >/dev/null 2>&1 || true
  done
}
cleanup() {
  delete_sandboxes
  for ((i = 0; i < count; i++)); do
    for peer in runc crun; do
      command -v "$peer" >/dev/null && "$peer" --root "$work/$peer-root" delete --force "mem-$peer-$i" >/dev/null 2>&1 || true
    done
  done
  [[ -e $work/warm.toml ]] && "$kata" --config "$work/warm.toml" factory destroy >/dev/null 2>&1
  rm -rf "$work" "${template:-}"
}
trap cleanup EXIT

mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/sleep"
(cd "$work/bundle" && "$kata" spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"\/bin\/sleep", "1000"/' "$work/bundle/config.json"
# crun refuses ociVersion values newer than it knows; 1.0.2 is understood by all three.
sed -i 's/"ociVersion": "[^"]*"/"ociVersion": "1.0.2"/' "$work/bundle/config.json"

# PSS of the processes given, in KiB (0 for one that has gone).
pss_kib() {
  local total=0 pid value
  for pid in "$@"; do
    value=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    total=$((total + ${value:-0}))
  done
  echo "$total"
}

# pids whose argv[0] contains $1 and whose command line names $2
pids_of() {
  local pid
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    local cmdline
    cmdline=$( { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null) || continue
    [[ $cmdline == *"$2"* && ${cmdline%% *} == *"$1"* ]] && echo "$pid"
  done
  return 0
}

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# measure_kata KERNEL: starts $count sandboxes booting KERNEL, lets them
# settle, records their PSS (kata_total[KERNEL] and the part rows), deletes them.
declare -A kata_total part
measure_kata() {
  local kernel=$1 config=$work/$1.toml
  for ((i = 0; i < count; i++)); do
    (cd "$work/bundle" && "$kata" --config "$config" --root "$root" run -d --pid-file "$work/mem-$i.pid" "mem-$i" \
      </dev/null >/dev/null 2>"$work/mem-$i.err") || { echo "kata run mem-$i ($kernel) failed:" >&2; cat "$work/mem-$i.err" >&2; exit 1; }
  done
  sleep "$settle"
  local monitor_samples=() qemu_samples=() virtiofsd_samples=() total_samples=()
  for ((i = 0; i < count; i++)); do
    local dir="$root/mem-$i/" monitor qemu virtiofsd
    monitor=$(pss_kib "$(cat "$work/mem-$i.pid")")
    qemu=$(pss_kib $(pids_of qemu-system "$dir"))
    virtiofsd=$(pss_kib $(pids_of virtiofsd "$dir"))
    monitor_samples+=("$monitor") qemu_samples+=("$qemu") virtiofsd_samples+=("$virtiofsd")
    total_samples+=($((monitor + qemu + virtiofsd)))
  done
  kata_total[$kernel]=$(printf '%s\n' "${total_samples[@]}" | median)
  part[$kernel-monitor]=$(printf '%s\n' "${monitor_samples[@]}" | median)
  part[$kernel-qemu]=$(printf '%s\n' "${qemu_samples[@]}" | median)
  part[$kernel-virtiofsd]=$(printf '%s\n' "${virtiofsd_samples[@]}" | median)
  delete_sandboxes
}
# Clones of a VM template (kata factory), with kata's kernel: they map the
# template's memory copy-on-write, so PSS splits the pages they share.
template=/run/kata-bench-mem-template-$$
if [[ -e $work/kata.toml ]]; then
  { cat "$work/kata.toml"; printf '[factory]\nenable_template = true\ntemplate_path = "%s"\n' "$template"; } >"$work/warm.toml"
  "$kata" --config "$work/warm.toml" factory init >/dev/null
  kernels+=(warm)
fi
for kernel in "${kernels[@]}"; do measure_kata "$kernel"; done
[[ -e $work/warm.toml ]] && "$kata" --config "$work/warm.toml" factory destroy

declare -A peer_pids
for peer in runc crun; do
  command -v "$peer" >/dev/null || continue
  for ((i = 0; i < count; i++)); do
    # A peer that cannot run here (crun refuses hybrid cgroup hosts) is skipped with its reason.
    if ! (cd "$work/bundle" && "$peer" --root "$work/$peer-root" run -d --pid-file "$work/$peer-$i.pid" "mem-$peer-$i" \
      </dev/null >/dev/null 2>"$work/$peer.err"); then
      echo "$peer skipped: $(tail -1 "$work/$peer.err")" >&2
      unset "peer_pids[$peer]"
      break
    fi
    peer_pids[$peer]+="$(cat "$work/$peer-$i.pid") "
  done
done
sleep "$settle"

base=${kata_total[debian]:-${kata_total[kata]}}
printf '%-34s %12s %10s\n' "per container ($count at once)" "median PSS" "ratio"
row() { printf '%-34s %8s MiB %10s\n' "$1" "$(mib "$2")" "$(awk -v a="$2" -v b="$base" 'BEGIN { printf "%.3fx", a / b }')"; }
for kernel in "${kernels[@]}"; do
  row "kata ($kernel): all three" "${kata_total[$kernel]}"
  row "  monitor" "${part[$kernel-monitor]}"
  row "  QEMU" "${part[$kernel-qemu]}"
  row "  virtiofsd" "${part[$kernel-virtiofsd]}"
done
for peer in runc crun; do
  [[ -n ${peer_pids[$peer]:-} ]] || continue
  samples=()
  for pid in ${peer_pids[$peer]}; do samples+=("$(pss_kib "$pid")"); done
  row "$peer: container process" "$(printf '%s\n' "${samples[@]}" | median)"
done
echo "(ratio: median divided by kata with Debian's kernel, else kata's; the VM's memory is counted as far as the guest has touched it)"
