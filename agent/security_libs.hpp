#pragma once
// libseccomp and libcap, which container creation will use, linked
// statically into the agent.

#include <string>

namespace kata::agent {

/// "libseccomp X.Y.Z, libcap N capabilities": logged at boot so the console
/// shows what the guest can enforce (and the static link is exercised).
std::string security_library_versions();

}  // namespace kata::agent
