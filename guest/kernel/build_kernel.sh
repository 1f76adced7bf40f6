#!/usr/bin/env bash
# Builds kata's guest kernel from Debian's linux-source package: tinyconfig,
# the fragment applied with scripts/config, olddefconfig, a check that every
# fragment line held (check_config.sh), then vmlinux, stripped: an ELF that
# QEMU boots through its PVH entry point (guest/kernel/kata.config says why
# no compressed bzImage).
#
# Usage: build_kernel.sh OUT_DIR FRAGMENT TARBALL
#   OUT_DIR   receives vmlinuz-kata, vmlinuz-kata.config (the final .config,
#             read by `kata check`) and cache/
#   FRAGMENT  guest/kernel/kata.config
#   TARBALL   /usr/src/linux-source-6.1.tar.xz
#
# Cached: the source is unpacked once per package version under
# cache/linux-source-<version>/, and each (version, fragment hash) pair builds
# into cache/kernel-<version>-<hash>/ with a stamp, so a rerun that changes
# neither only copies two files.
set -euo pipefail

out=$1 fragment=$2 tarball=$3
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C

# The cache key: the package that owns the tarball (its version changes with
# every Debian kernel update), else the tarball's size and mtime.
package=$(dpkg-query -S "$tarball" 2>/dev/null | cut -d: -f1 || true)
if [[ -n $package ]]; then
  version=$(dpkg-query -W -f='${Version}' "$package")
else
  version=$(stat -c '%s-%Y' "$tarball")
fi
# Only the option lines: editing a comment of the fragment rebuilds nothing.
hash=$(grep -E '^(CONFIG_|# CONFIG_)' "$fragment" | sha256sum | cut -c1-16)
src="$out/cache/linux-source-$version"
obj="$out/cache/kernel-$version-$hash"

if [[ ! -e $src/unpacked.stamp ]]; then
  rm -rf "$src"
  mkdir -p "$src"
  tar -xJf "$tarball" -C "$src" --strip-components=1
  touch "$src/unpacked.stamp"
fi

if [[ ! -e $obj/built.stamp ]]; then
  rm -rf "$obj"
  mkdir -p "$obj"
  # Reproducible: no host name, user or time in the image.
  export KBUILD_BUILD_USER=kata KBUILD_BUILD_HOST=kata KBUILD_BUILD_TIMESTAMP="@$(stat -c %Y "$tarball")"
  kmake=(make -s -C "$src" O="$obj" ARCH=x86_64)
  "${kmake[@]}" tinyconfig >/dev/null
  args=()
  while IFS= read -r line; do
    if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
      name=${BASH_REMATCH[1]#CONFIG_} value=${BASH_REMATCH[2]}
      case $value in
        y) args+=(--enable "$name") ;;
        m) args+=(--module "$name") ;;
        n) args+=(--disable "$name") ;;
        \"*\") value=${value#\"}; args+=(--set-str "$name" "${value%\"}") ;;
        *) args+=(--set-val "$name" "$value") ;;
      esac
    elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
      args+=(--disable "${BASH_REMATCH[1]#CONFIG_}")
    fi
  done <"$fragment"
  "$src/scripts/config" --file "$obj/.config" "${args[@]}"
  "${kmake[@]}" olddefconfig >/dev/null
  "$here/check_config.sh" "$fragment" "$obj/.config"
  "${kmake[@]}" -j"$(nproc)" vmlinux
  touch "$obj/built.stamp"
fi

# The symbols are for debugging the build tree's copy; the image needs none.
strip --strip-all -o "$out/vmlinuz-kata.tmp" "$obj/vmlinux"
cp "$obj/.config" "$out/vmlinuz-kata.config.tmp"
mv "$out/vmlinuz-kata.tmp" "$out/vmlinuz-kata"
mv "$out/vmlinuz-kata.config.tmp" "$out/vmlinuz-kata.config"
echo "guest kernel: linux-source $version, fragment $hash, $(stat -c %s "$out/vmlinuz-kata") bytes"
