#include "agent/security_libs.hpp"

#include <seccomp.h>
#include <sys/capability.h>

#include <fmt/format.h>

namespace kata::agent {

std::string security_library_versions() {
  const scmp_version* version = seccomp_version();
  return fmt::format("libseccomp {}.{}.{}, libcap {} capabilities", version->major, version->minor, version->micro,
                     static_cast<int>(cap_max_bits()));
}

}  // namespace kata::agent
