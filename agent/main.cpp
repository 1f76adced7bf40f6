// kata-agent: PID 1 of the guest VM. Boots the guest (boot.cpp), then serves
// the host on the agent port (server.hpp). It never exits: any fatal error is
// written to the console and the VM powers off, so the host sees a reason and
// a dead VM rather than a kernel panic and a hang.

#include <unistd.h>

#include <cstdio>

#include "agent-client/handshake.hpp"
#include "agent/boot.hpp"
#include "agent/console.hpp"
#include "agent/launcher.hpp"
#include "agent/mounts.hpp"
#include "agent/power.hpp"
#include "agent/server.hpp"

int main() {
  if (::getpid() != 1) {
    // It mounts over /proc, /dev and /run and powers the machine off: never on a host.
    std::fprintf(stderr, "kata-agent: must run as PID 1 inside the kata guest VM\n");
    return 1;
  }
  auto booted = kata::agent::boot();
  if (!booted) kata::agent::fatal(booted.error());
  kata::agent::console_log("ready ({})", kata::agent_client::kProtocolMarker);

  kata::agent::ContainerLauncher launcher;
  kata::agent::ServerOptions options;
  options.build_version = KATA_AGENT_BUILD_VERSION;
  if (booted->cgroups) options.cgroup_root = kata::agent::kCgroupRoot;
  options.share_mount = booted->config.share_mount;
  kata::agent::Server server(booted->port.get(), booted->signals.get(), launcher, options);
  auto served = server.run();
  if (!served) kata::agent::fatal(served.error().wrap("agent service"));
  kata::agent::power_off(booted->config.share_mount);
}
