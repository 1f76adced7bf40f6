#pragma once
// The config.json that `kata spec` writes: runc's `spec` template, so bundles
// made for runc and for kata look the same.

#include <nlohmann/json.hpp>

#include <cstdint>

namespace kata::oci {

/// The runtime-spec version kata writes into new documents and claims as
/// ociVersionMax in `features`.
inline constexpr const char* kSpecVersion = "1.3.0";

/// What `kata spec` writes, modelled on `runc spec` (and `runc spec
/// --rootless`): sh with a terminal, runc's default capabilities,
/// RLIMIT_NOFILE 1024, mounts proc/dev/devpts/shm/mqueue/sys/cgroup, masked
/// and readonly paths, pid/network/ipc/uts/mount namespaces and a deny-all
/// device cgroup rule. Rootless: no network namespace or device rules, a user
/// namespace mapping container root to the caller's effective uid/gid, /sys
/// bind-mounted, devpts without gid=5. Reads geteuid()/getegid() only.
nlohmann::json default_spec(bool rootless);

/// Same with the host ids of the rootless mapping given (used by tests).
nlohmann::json default_spec(bool rootless, std::uint32_t host_uid, std::uint32_t host_gid);

}  // namespace kata::oci
