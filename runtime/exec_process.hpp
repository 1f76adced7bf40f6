#pragma once
// The OCI process object `kata exec` starts, built as runc builds it: from
// -p process.json as is, or from the container's own process (env, user,
// cwd, capabilities, rlimits, ...) with the command line's flags applied.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace kata::runtime {

/// exec's flags that shape the process (without -p).
struct ExecFlags {
  std::vector<std::string> args;              ///< the command; must not be empty
  std::vector<std::string> env;               ///< -e NAME=value, added or replacing
  std::string cwd;                            ///< --cwd; empty: the container's
  bool tty = false;                           ///< -t
  std::string user;                           ///< -u uid[:gid]; empty: the container's
  std::vector<std::uint32_t> additional_gids;  ///< -g
  bool no_new_privs = false;                  ///< --no-new-privs
  std::vector<std::string> caps;              ///< -c, added to every capability set
  std::string apparmor;                       ///< --apparmor
  std::string process_label;                  ///< --process-label
};

/// The process for exec from flags, starting from the container's process
/// object `base` (its "args", "terminal" and "consoleSize" are not taken).
/// invalid_argument naming the flag for a malformed -u, -e or -c.
Result<nlohmann::json> exec_process_from_flags(const nlohmann::json& base, const ExecFlags& flags);

/// Reads and validates a -p process.json file: an OCI process object with
/// non-empty args. Errors name the file.
Result<nlohmann::json> load_exec_process_file(const std::string& path);

/// Name of the copy of the container's process object kept in its state
/// dir for exec.
inline constexpr const char* container_process_name = "process.json";

}  // namespace kata::runtime
