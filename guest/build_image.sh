#!/usr/bin/env bash
# Packs a guest initramfs: the static agent as /init and, for a kernel that
# loads its drivers as modules, those modules with their load order
# (debian_kernel.sh stages them). kata-mkcpio writes a reproducible newc cpio.
#
# Usage: build_image.sh OUTPUT AGENT MKCPIO STRIP [MODULE_DIR]
#   OUTPUT      the initramfs to write (e.g. kata-initramfs-kata.img)
#   AGENT       the static kata-agent binary (becomes /init)
#   MKCPIO      the kata-mkcpio host tool
#   STRIP       the strip program (the agent is built with debug info)
#   MODULE_DIR  a directory of .ko files and their load-order; none for a
#               kernel with everything built in: the image then has no
#               /lib/modules and the agent loads nothing
set -euo pipefail

output=$1 agent=$2 mkcpio=$3 strip=$4 modules=${5:-}
export LC_ALL=C

stage="$output.stage"
rm -rf "$stage"
mkdir -p "$stage"
manifest="$stage/manifest"
{
  echo "dir /dev 0755"
  echo "nod /dev/console 0600 c 5 1"
  echo "dir /proc 0755"
  echo "dir /run 0755"
  echo "dir /sys 0755"
  echo "dir /tmp 01777"
  echo "file /init $stage/init 0755"
} >"$manifest"
# The initramfs is left uncompressed: it is a few MiB, and under TCG the
# kernel's decompression costs more boot time than reading the bytes.
"$strip" --strip-all -o "$stage/init" "$agent"
count=0
if [[ -n $modules ]]; then
  echo "dir /lib 0755" >>"$manifest"
  echo "dir /lib/modules 0755" >>"$manifest"
  while read -r base; do
    [[ -z $base ]] && continue
    echo "file /lib/modules/$base $modules/$base 0644" >>"$manifest"
    count=$((count + 1))
  done <"$modules/load-order"
  echo "file /lib/modules/load-order $modules/load-order 0644" >>"$manifest"
fi

"$mkcpio" "$manifest" "$output.tmp"
mv "$output.tmp" "$output"
echo "guest initramfs: $(basename "$output"), $(stat -c %s "$output") bytes, $count modules"
