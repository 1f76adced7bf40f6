#include "agent/power.hpp"

#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "agent/console.hpp"

namespace kata::agent {

void power_off(const std::string& shared_mount) {
  ::sync();
  if (!shared_mount.empty() && ::umount2(shared_mount.c_str(), 0) < 0) {
    // Busy: detach it so the power-off still goes ahead; sync already flushed.
    (void)::umount2(shared_mount.c_str(), MNT_DETACH);
  }
  ::sync();
  console_line("power off");
  ::reboot(RB_POWER_OFF);
  // Only reached if the reboot syscall failed (not PID 1, no permission):
  // there is nothing sane left to do but stay alive without spinning.
  while (true) ::pause();
}

void fatal(const Error& error) {
  console_log("fatal: {}", error.message);
  power_off({});
}

}  // namespace kata::agent
