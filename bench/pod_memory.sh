#!/usr/bin/env bash
# Host memory of a pod: the PSS (from /proc/<pid>/smaps_rollup) of every
# host process of a pod of N idle containers in one VM (a sandbox plus N-1
# members, with CRI-O's annotations, as kubelet's pods or podman pods make
# them) against N single-container sandboxes (one VM each), both with kata's
# default guest; the processes are the monitor, the stand-ins, QEMU and
# virtiofsd (everything whose command line names the benchmark's state
# root). Each container runs busybox sleep. Repeated ROUNDS times, medians.
#
# Usage (as root, after a build): bench/pod_memory.sh [CONTAINERS] [ROUNDS] [KATA]
#   (defaults: 3, 3, build/cmd/kata; the guest is kata's kernel from
#   build/guest, or KATA_GUEST=DIR). SETTLE=SECONDS (default 3) is the
#   idle time before measuring. Each layout gets network namespaces of its
#   own (`ip netns add`: a pod's members must name the sandbox's), so the
#   host's network is never touched.
set -euo pipefail
count=${1:-3}
rounds=${2:-3}
kata=$(realpath "${3:-build/cmd/kata}")
settle=${SETTLE:-3}
work=$(mktemp -d /tmp/kata-bench-pod.XXXXXX)
root=$work/root
tag=kpm$$
guest=$(realpath "${KATA_GUEST:-$(dirname "$kata")/../guest}")
source "$(dirname "$0")/guest_configs.sh"
write_guest_configs "$work" "$guest"
[[ ${#kernels[@]} -gt 0 ]] || { echo "no guest kernel in $guest" >&2; exit 1; }
config=$work/${kernels[0]}.toml

ids=()
netns=()
delete_all() {
  local id ns
  for id in "${ids[@]}"; do "$kata" --config "$config" --root "$root" delete --force "$id" >/dev/null 2>&1 || true; done
  for ns in "${netns[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  ids=() netns=()
}
cleanup() {
  delete_all
  rm -rf "$work"
}
trap cleanup EXIT

rootfs=$work/rootfs
mkdir -p "$rootfs/bin"
cp /bin/busybox "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/sleep"
(cd "$work" && "$kata" spec && mv config.json template.json)

# bundle ID NETNS TYPE SANDBOX: a bundle for ID in network namespace NETNS,
# with CRI-O's container type and sandbox annotations.
bundle() {
  local dir=$work/bundle-$1
  mkdir -p "$dir"
  cp -a "$rootfs" "$dir/rootfs"
  python3 - "$work/template.json" "$dir/config.json" "$2" "$3" "$4" <<'EOF'
import json, sys
template, out, netns, kind, sandbox = sys.argv[1:]
spec = json.load(open(template))
spec["process"]["terminal"] = False
spec["process"]["args"] = ["/bin/sleep", "1000"]
spec["annotations"] = {"io.kubernetes.cri-o.ContainerType": kind, "io.kubernetes.cri-o.SandboxID": sandbox}
for entry in spec["linux"]["namespaces"]:
    if entry["type"] == "network":
        entry["path"] = "/run/netns/" + netns
json.dump(spec, open(out, "w"))
EOF
  echo "$dir"
}

run_container() {
  local id=$1 dir=$2
  ids+=("$id")
  "$kata" --config "$config" --root "$root" run -d -b "$dir" "$id" </dev/null >/dev/null 2>"$work/$id.err" ||
    { echo "kata run $id failed:" >&2; cat "$work/$id.err" >&2; exit 1; }
}

new_netns() {
  ip netns add "$1"
  netns+=("$1")
}

# PSS in KiB of every process whose command line names the state root.
pss_of_root() {
  local total=0 pid cmdline value
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    cmdline=$( { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null) || continue
    [[ $cmdline == *"$root"* ]] || continue
    value=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    total=$((total + ${value:-0}))
  done
  echo "$total"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

pod_samples=() single_samples=()
for ((round = 0; round < rounds; round++)); do
  new_netns "$tag-pod"
  for ((i = 0; i < count; i++)); do
    if ((i == 0)); then
      run_container "pod-0" "$(bundle pod-0 "$tag-pod" sandbox pod-0)"
    else
      run_container "pod-$i" "$(bundle "pod-$i" "$tag-pod" container pod-0)"
    fi
  done
  sleep "$settle"
  pod_samples+=("$(pss_of_root)")
  delete_all

  for ((i = 0; i < count; i++)); do
    new_netns "$tag-single-$i"
    run_container "single-$i" "$(bundle "single-$i" "$tag-single-$i" sandbox "single-$i")"
  done
  sleep "$settle"
  single_samples+=("$(pss_of_root)")
  delete_all
done

pod=$(printf '%s\n' "${pod_samples[@]}" | median)
single=$(printf '%s\n' "${single_samples[@]}" | median)
printf '%-40s %12s %8s\n' "$count containers, all host processes" "median PSS" "ratio"
printf '%-40s %8s MiB %8s\n' "one pod (one VM)" "$(mib "$pod")" "$(awk -v a="$pod" -v b="$single" 'BEGIN { printf "%.3fx", a / b }')"
printf '%-40s %8s MiB %8s\n' "$count sandboxes (a VM each)" "$(mib "$single")" "1.000x"
echo "(medians of $rounds rounds; ratio: divided by the $count sandboxes)"
