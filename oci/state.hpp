#pragma once
// The OCI state of a container (runtime-spec runtime.md "State"), as
// `kata state` prints it and as hooks receive it on stdin.

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kata::oci {

/// Lifecycle status. `paused` is runc's addition that podman and CRI-O expect.
enum class Status { creating, created, running, paused, stopped };

/// "created", "running", ...: the spelling runtime-spec and runc use.
std::string_view to_string(Status status);
/// Parses a status name; nullopt for anything else.
std::optional<Status> parse_status(std::string_view name);

/// Wall-clock time as stored in state files.
using Timestamp = std::chrono::system_clock::time_point;

/// RFC 3339 with nanoseconds in UTC ("2026-11-29T18:00:00.123456789Z"), the
/// form runc prints and Go's time.Time decodes.
std::string format_rfc3339(Timestamp time);
/// Parses what format_rfc3339 writes (also without fraction, or with an
/// offset); nullopt if the text is not RFC 3339.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

/// The state document of one container.
struct State {
  std::string oci_version;  ///< ociVersion of the container's config.json
  std::string id;
  Status status = Status::creating;
  pid_t pid = 0;            ///< host pid of the container's process; 0 when stopped
  std::string bundle;       ///< absolute path of the bundle
  std::string rootfs;       ///< absolute path of the root filesystem (runc field)
  Timestamp created{};      ///< when `create` began
  std::string owner;        ///< runc prints "" for root-owned containers
  std::map<std::string, std::string> annotations;
};

/// The state as runc prints it: ociVersion, id, pid, status, bundle, rootfs,
/// created, owner, and annotations when there are any. pid is 0 when stopped.
nlohmann::json to_json(const State& state);

}  // namespace kata::oci
