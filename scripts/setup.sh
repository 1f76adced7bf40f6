#!/usr/bin/env bash
# Fresh Debian 12 machine → kata installed and a container run in a VM.
# Installs the Debian packages kata needs, builds kata and its guest image,
# installs both and the documented configuration.toml under PREFIX (default
# /usr/local), reports what `kata check` sees, then runs a busybox container
# in its own VM with `kata run`.
# Usage (as root): scripts/setup.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
xargs -a .ci/packages apt-get install -y -qq --no-install-recommends >/dev/null

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build build
cmake --install build >/dev/null

# The documented defaults. /etc/kata-containers/ is left to the operator, as
# Kata leaves it: copying this file there is how settings are changed.
config="$prefix/share/defaults/kata-containers/configuration.toml"
if [ ! -f "$config" ]; then
  echo "setup: cmake --install did not install $config" >&2
  exit 1
fi
echo "default configuration: $config (to change settings, copy it to /etc/kata-containers/ and edit)"

"$prefix/bin/kata" --version
"$prefix/bin/kata" check || true

# A container in a VM: a busybox rootfs, kata's default spec running echo.
demo=$(mktemp -d /tmp/kata-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
mkdir -p "$demo/rootfs/bin"
cp /bin/busybox "$demo/rootfs/bin/busybox"
ln -s busybox "$demo/rootfs/bin/sh"
ln -s busybox "$demo/rootfs/bin/uname"
(cd "$demo" && "$prefix/bin/kata" spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"sh", "-c", "echo hello from a kata VM: $(uname -r)"/' "$demo/config.json"
(cd "$demo" && "$prefix/bin/kata" run "kata-demo-$$")
