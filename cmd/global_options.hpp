#pragma once
// Options that come before the verb (`kata --root R --log F create ...`),
// shared by every verb, and how the default state root is chosen.

#include <sys/types.h>

#include <string>

namespace kata::cmd {

/// Format of the lines written to --log (or stderr when there is no --log).
enum class LogFormat { text, json };

/// runc's --rootless: ignore cgroup permission errors, or decide by euid.
enum class Rootless { automatic, enabled, disabled };

/// Global flags, as runc 1.1 defines them plus kata's --config.
struct GlobalOptions {
  std::string root;               ///< state directory root (default_root() unless --root)
  std::string log_path;           ///< --log FILE; empty means log lines go to stderr
  LogFormat log_format = LogFormat::text;
  bool debug = false;             ///< --debug: debug lines are logged too
  bool systemd_cgroup = false;    ///< cgroupsPath is "slice:prefix:name"
  Rootless rootless = Rootless::automatic;
  std::string criu_path;          ///< accepted for runc compatibility; kata never runs criu
  std::string config_path;        ///< --config / --kata-config; empty: Kata's lookup order
};

/// The facts about the calling process that decide the default --root,
/// separated out so tests can supply them.
struct HostIdentity {
  uid_t euid = 0;
  std::string xdg_runtime_dir;    ///< $XDG_RUNTIME_DIR, empty when unset
  bool in_user_namespace = false; ///< uid_map is not the identity map of the initial namespace
  std::string user;               ///< $USER
};

/// HostIdentity of this process (geteuid, environment, /proc/self/uid_map).
HostIdentity current_host_identity();

/// Default state root, computed as runc does: `/run/kata`, but
/// `$XDG_RUNTIME_DIR/kata` when XDG_RUNTIME_DIR is set and either euid != 0
/// or we are root inside a user namespace with $USER other than "root".
std::string default_root(const HostIdentity& identity);

}  // namespace kata::cmd
