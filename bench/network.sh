#!/usr/bin/env bash
# TCP throughput between the host and a container, kata against runc, in the
# same kind of network namespace (an engine-style namespace with one end of a
# veth pair; kata carries it into the VM with its tcfilter model). The
# container sends SIZE_MB of zeros with busybox `dd | nc` to a listener on
# the host end; the host times the transfer from the first to the last byte
# (so the VM's boot is not counted). Prints medians in MB/s and the ratio.
# Not run in CI.
#
# Usage (as root, after a build): bench/network.sh [RUNS] [SIZE_MB] [KATA]
#   (defaults: 5, 64, build/cmd/kata). KATA_GUEST as in bench/startup.sh.
# Needs: busybox (busybox-static), iproute2, python3; runc if installed.
set -euo pipefail
runs=${1:-5}
size_mb=${2:-64}
kata=$(realpath "${3:-build/cmd/kata}")
work=$(mktemp -d /tmp/kata-bench-net.XXXXXX)
ns=kata-bench-net$$
host_if=kbh$(( $$ % 100000 ))
peer_if=kbc$(( $$ % 100000 ))
subnet=10.201.$(( $$ % 200 + 20 ))
port=19090
cleanup() {
  ip link del "$host_if" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns"
ip link add "$host_if" type veth peer name "$peer_if"
ip link set "$peer_if" netns "$ns"
ip -n "$ns" link set "$peer_if" name eth0
ip -n "$ns" link set eth0 up
ip -n "$ns" link set lo up
ip -n "$ns" addr add "$subnet.2/24" dev eth0
ip -n "$ns" route add default via "$subnet.1"
ip link set "$host_if" up
ip addr add "$subnet.1/24" dev "$host_if"

config_args=()
if [[ -n ${KATA_GUEST:-} ]]; then
  printf '[hypervisor.qemu]\nkernel = "%s/vmlinuz"\ninitrd = "%s/kata-initramfs.img"\n' "$KATA_GUEST" "$KATA_GUEST" > "$work/configuration.toml"
  config_args=(--config "$work/configuration.toml")
fi

mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs/proc" "$work/bundle/rootfs/dev" "$work/bundle/rootfs/sys"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for applet in sh dd nc; do ln -s busybox "$work/bundle/rootfs/bin/$applet"; done
(cd "$work/bundle" && "$kata" spec)
python3 - "$work/bundle/config.json" "/run/netns/$ns" "$subnet.1" "$port" "$size_mb" <<'PY'
import json, sys
path, netns, host, port, size = sys.argv[1:]
spec = json.load(open(path))
spec["process"]["terminal"] = False
spec["process"]["args"] = ["/bin/sh", "-c", f"dd if=/dev/zero bs=1M count={size} 2>/dev/null | nc {host} {port}"]
spaces = [n for n in spec["linux"]["namespaces"] if n["type"] != "network"]
spaces.append({"type": "network", "path": netns})
spec["linux"]["namespaces"] = spaces
json.dump(spec, open(path, "w"), indent=2)
PY

# receive: listens on the host end, prints MB/s from first byte to EOF.
receive() {
  python3 - "$subnet.1" "$port" <<'PY'
import socket, sys, time
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((sys.argv[1], int(sys.argv[2])))
server.listen(1)
server.settimeout(300)
conn, _ = server.accept()
first = None
total = 0
while True:
    data = conn.recv(1 << 20)
    if not data:
        break
    if first is None:
        first = time.monotonic()
    total += len(data)
elapsed = time.monotonic() - first
print(f"{total / elapsed / 1e6:.1f}")
PY
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A result
measure() {  # measure NAME COMMAND...: $runs transfers, median MB/s
  local name=$1; shift
  local samples=()
  for ((i = 0; i < runs; i++)); do
    receive > "$work/rate" &
    local receiver=$!
    sleep 0.3
    "$@" >/dev/null 2>&1 || { echo "$name: run $i failed" >&2; kill "$receiver" 2>/dev/null; return 1; }
    wait "$receiver"
    samples+=("$(cat "$work/rate")")
  done
  result[$name]=$(printf '%s\n' "${samples[@]}" | median)
}

measure kata bash -c "cd '$work/bundle' && '$kata' ${config_args[*]} --root '$work/root' run bench-net-kata"
if command -v runc >/dev/null; then
  measure runc bash -c "cd '$work/bundle' && runc --root '$work/runc-root' run bench-net-runc"
fi

printf '%-8s %12s %10s\n' "runtime" "median MB/s" "ratio"
for name in kata runc; do
  [[ -n ${result[$name]:-} ]] || continue
  ratio=$(awk -v a="${result[$name]}" -v b="${result[kata]}" 'BEGIN { printf "%.2f", a / b }')
  printf '%-8s %12s %10s\n' "$name" "${result[$name]}" "$ratio"
done
