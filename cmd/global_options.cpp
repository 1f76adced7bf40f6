#include "cmd/global_options.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "common/fs.hpp"

namespace kata::cmd {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string{} : std::string{value};
}

// The initial user namespace maps all 2^32-1 ids onto themselves; any other
// uid_map means we run in a child namespace (same test as runc's userns).
bool running_in_user_namespace() {
  auto map = read_file("/proc/self/uid_map", 64 * 1024);
  if (!map) return false;
  std::istringstream lines(*map);
  unsigned long long inside = 0, outside = 0, length = 0;
  if (!(lines >> inside >> outside >> length)) return false;
  return !(inside == 0 && outside == 0 && length == 4294967295ULL);
}

}  // namespace

HostIdentity current_host_identity() {
  HostIdentity identity;
  identity.euid = ::geteuid();
  identity.xdg_runtime_dir = env_or_empty("XDG_RUNTIME_DIR");
  identity.user = env_or_empty("USER");
  // Only root's choice depends on the namespace; skip the /proc read otherwise.
  identity.in_user_namespace = identity.euid == 0 && running_in_user_namespace();
  return identity;
}

std::string default_root(const HostIdentity& identity) {
  // runc's shouldHonorXDGRuntimeDir(): an unprivileged user cannot write
  // /run, and root in a user namespace is usually an unprivileged user too
  // unless $USER says otherwise (e.g. `sudo` inside the namespace).
  bool use_xdg = !identity.xdg_runtime_dir.empty() &&
                 (identity.euid != 0 || (identity.in_user_namespace && identity.user != "root"));
  if (use_xdg) return identity.xdg_runtime_dir + "/kata";
  return "/run/kata";
}

}  // namespace kata::cmd
