// kata-agent: PID 1 of the guest VM. Boots the guest (boot.cpp), then serves
// the host on the agent port. It never exits: any fatal error is written to
// the console and the VM powers off, so the host sees a reason and a dead VM
// rather than a kernel panic and a hang.

#include <unistd.h>

#include <cstdio>

#include "agent/boot.hpp"
#include "agent/console.hpp"
#include "agent/placeholder_service.hpp"
#include "agent/power.hpp"

int main() {
  if (::getpid() != 1) {
    // It mounts over /proc, /dev and /run and powers the machine off: never on a host.
    std::fprintf(stderr, "kata-agent: must run as PID 1 inside the kata guest VM\n");
    return 1;
  }
  auto booted = kata::agent::boot();
  if (!booted) kata::agent::fatal(booted.error());
  kata::agent::console_log("ready");

  // TEMPORARY until the protocol server lands (see placeholder_service.hpp).
  auto served = kata::agent::run_placeholder_service(booted->port.get(), booted->signals.get(),
                                                     booted->config.share_mount);
  if (!served) kata::agent::fatal(served.error().wrap("agent service"));
  kata::agent::power_off(booted->config.share_mount);
}
