#!/usr/bin/env bash
# Fetches Debian's cloud kernel (`apt-get download`, unpacked with `dpkg -x`,
# never installed on the host) and stages the virtio/virtio-fs modules its
# guest needs, in dependency order, for build_image.sh to pack.
#
# Usage: debian_kernel.sh OUT_DIR METAPACKAGE "MODULE..."
#   OUT_DIR      receives vmlinuz-debian, vmlinuz-debian.config (the
#                package's /boot/config, read by `kata check`),
#                modules-debian/ (the .ko files and load-order) and cache/
#   METAPACKAGE  e.g. linux-image-cloud-amd64
#   MODULE...    module names the guest loads (dependencies are added)
#
# Cached: the .deb and its unpacked tree live under cache/<package>_<version>/
# with a stamp, so a rebuild without a new kernel version downloads nothing.
set -euo pipefail

out=$1 metapackage=$2 wanted=$3
export LC_ALL=C

# The metapackage depends on exactly one real image package; resolve it and
# its candidate version (the cache key).
package=$(apt-cache depends "$metapackage" 2>/dev/null |
  awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }' || true)
if [[ -n $package ]]; then
  version=$(apt-cache policy "$package" | awk '$1 == "Candidate:" { print $2 }')
else
  # Offline or no package lists: rebuild from the newest kernel already cached.
  cached=$(ls -d "$out"/cache/linux-image-*_*/unpacked.stamp 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -z $cached ]]; then
    echo "debian_kernel: cannot resolve $metapackage (has 'apt-get update' run?)" >&2
    exit 1
  fi
  entry=$(basename "$(dirname "$cached")")
  package=${entry%%_*} version=${entry#*_}
  echo "debian_kernel: $metapackage not resolvable, using cached $package $version" >&2
fi
kernel_release=${package#linux-image-}
cache="$out/cache/${package}_${version}"

if [[ ! -e $cache/unpacked.stamp ]]; then
  rm -rf "$cache"
  mkdir -p "$cache/deb"
  # apt-get download writes into the current directory; run as the invoking
  # user (as root it warns that _apt cannot write here, which is harmless).
  (cd "$cache/deb" && apt-get download -q "$package=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
  deb=$(ls "$cache"/deb/*.deb 2>/dev/null | head -n1)
  if [[ -z $deb ]]; then
    echo "debian_kernel: apt-get download $package=$version failed" >&2
    exit 1
  fi
  dpkg -x "$deb" "$cache/root"
  # Debian generates modules.dep at install time (postinst), so the .deb has
  # none: generate it in the unpacked tree.
  depmod -b "$cache/root" "$kernel_release"
  touch "$cache/unpacked.stamp"
fi

moddir="$cache/root/lib/modules/$kernel_release"

# Load order: depth-first over modules.dep, each module after everything it
# depends on, each module once. Names match with '-' and '_' equivalent, as
# modprobe does.
order=$(awk -v wanted="$wanted" '
  function norm(path,   base) {
    base = path; sub(/.*\//, "", base); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", base)
    gsub(/-/, "_", base); return base
  }
  function visit(name,   n, i, parts) {
    if (name in done) return
    if (!(name in file)) { missing = missing " " name; return }
    if (name in active) return
    active[name] = 1
    n = split(deps[name], parts, " ")
    for (i = 1; i <= n; i++) visit(norm(parts[i]))
    done[name] = 1
    print file[name]
  }
  {
    path = $1; sub(/:$/, "", path)
    name = norm(path); file[name] = path
    deps[name] = ""
    for (i = 2; i <= NF; i++) deps[name] = deps[name] " " $i
  }
  END {
    n = split(wanted, list, /[ ;]+/)
    for (i = 1; i <= n; i++) if (list[i] != "") visit(norm(list[i]))
    if (missing != "") { print "missing modules:" missing > "/dev/stderr"; exit 1 }
  }' "$moddir/modules.dep")

# Stage the modules flat and uncompressed: finit_module only takes compressed
# modules with MODULE_INIT_COMPRESSED_FILE and a kernel built to decompress.
stage="$out/modules-debian"
rm -rf "$stage"
mkdir -p "$stage"
: >"$stage/load-order"
while read -r path; do
  [[ -z $path ]] && continue
  base=$(basename "$path")
  case $base in
    *.ko.xz) xz -dc "$moddir/$path" >"$stage/${base%.xz}"; base=${base%.xz} ;;
    *.ko.zst) zstd -qdc "$moddir/$path" >"$stage/${base%.zst}"; base=${base%.zst} ;;
    *.ko.gz) gzip -dc "$moddir/$path" >"$stage/${base%.gz}"; base=${base%.gz} ;;
    *) cp "$moddir/$path" "$stage/$base" ;;
  esac
  echo "$base" >>"$stage/load-order"
done <<<"$order"

cp "$cache/root/boot/vmlinuz-$kernel_release" "$out/vmlinuz-debian.tmp"
cp "$cache/root/boot/config-$kernel_release" "$out/vmlinuz-debian.config.tmp"
mv "$out/vmlinuz-debian.tmp" "$out/vmlinuz-debian"
mv "$out/vmlinuz-debian.config.tmp" "$out/vmlinuz-debian.config"
echo "$package $version" >"$out/kernel-version-debian"
echo "guest kernel: $package $version, modules: $(tr '\n' ' ' <"$stage/load-order")"
