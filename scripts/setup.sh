#!/usr/bin/env bash
# Fresh Debian 12 machine → kata installed and a container run in a VM.
# Installs the Debian packages kata needs, builds kata and its guest image,
# installs both under PREFIX (default /usr/local), reports what `kata check`
# sees, then boots the guest and runs busybox containers in it.
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

"$prefix/bin/kata" --version
"$prefix/bin/kata" check || true

# The `kata create/start/run` verbs are not there yet; until they are, this
# boots the guest image just built and runs busybox containers in it through
# the agent, the same path those verbs will take.
echo "Booting the guest and running busybox containers in it..."
build/tests/integration/kata_agent_vm_test --test-case='containers run from a busybox rootfs*' --success=false
