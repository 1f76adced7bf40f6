#pragma once
// The typed options of every verb. The command-line parser fills one of these
// (cmd/command_line.cpp); the verb's own file declares its flags and runs it.
// Each struct names its verb, an optional alias and a one-line summary, which
// is all the parser needs to know to offer the verb: adding a verb means a
// struct here, an entry in VerbOptions and a cmd/<verb>.cpp.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kata::cmd {

/// Output format of `ps` and `list`.
enum class TableFormat { table, json };

/// Flags shared by create, run and restore.
struct BundleFlags {
  std::string bundle;          ///< -b/--bundle; empty means the current directory
  std::string console_socket;  ///< --console-socket; empty when not given
  std::string pid_file;        ///< --pid-file; empty when not given
  bool no_pivot = false;
  bool no_new_keyring = false;
};

/// `kata create [flags] ID`.
struct CreateOptions {
  static constexpr std::string_view verb = "create";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "create a container";
  BundleFlags bundle;
  unsigned preserve_fds = 0;
  std::string id;
};

/// `kata run [flags] ID`: create + start, foreground unless --detach.
struct RunOptions {
  static constexpr std::string_view verb = "run";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "create and run a container";
  BundleFlags bundle;
  unsigned preserve_fds = 0;
  bool detach = false;
  bool keep = false;
  bool no_subreaper = false;
  std::string id;
};

/// `kata start ID`.
struct StartOptions {
  static constexpr std::string_view verb = "start";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "executes the user defined process in a created container";
  std::string id;
};

/// `kata state ID`.
struct StateOptions {
  static constexpr std::string_view verb = "state";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "output the state of a container";
  std::string id;
};

/// `kata kill [--all] ID [SIGNAL]`.
struct KillOptions {
  static constexpr std::string_view verb = "kill";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary =
      "kill sends the specified signal (default: SIGTERM) to the container's init process";
  bool all = false;
  std::string id;
  int signal = 15;  ///< parsed signal number; SIGTERM when not given
};

/// `kata delete [--force] ID`.
struct DeleteOptions {
  static constexpr std::string_view verb = "delete";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "delete any resources held by the container";
  bool force = false;
  std::string id;
};

/// `kata exec [flags] ID [COMMAND [ARG...]]`.
struct ExecOptions {
  static constexpr std::string_view verb = "exec";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "execute new process inside the container";
  std::string console_socket;
  std::string cwd;
  std::vector<std::string> env;              ///< -e, repeatable, "NAME=value"
  bool tty = false;
  std::string user;                          ///< -u "uid[:gid]"
  std::vector<std::uint32_t> additional_gids;  ///< -g, repeatable
  std::string process_file;                  ///< -p: a runtime-spec Process JSON; overrides the flags
  bool detach = false;
  std::string pid_file;
  std::string process_label;
  std::string apparmor;
  bool no_new_privs = false;
  std::vector<std::string> caps;             ///< -c/--cap, repeatable
  unsigned preserve_fds = 0;
  std::vector<std::string> cgroups;          ///< --cgroup, repeatable, "[controller:]path"
  bool ignore_paused = false;
  std::string id;
  std::vector<std::string> command;          ///< the process args after the ID
};

/// `kata ps [-f table|json] ID [PS-ARGS...]`.
struct PsOptions {
  static constexpr std::string_view verb = "ps";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "ps displays the processes running inside a container";
  TableFormat format = TableFormat::table;
  std::string id;
  std::vector<std::string> ps_args;  ///< passed to the host ps for the table format (default -ef)
};

/// `kata list [-f table|json] [-q]`.
struct ListOptions {
  static constexpr std::string_view verb = "list";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "lists containers started by kata with the given root";
  TableFormat format = TableFormat::table;
  bool quiet = false;
};

/// `kata pause ID`.
struct PauseOptions {
  static constexpr std::string_view verb = "pause";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "pause suspends all processes inside the container";
  std::string id;
};

/// `kata resume ID`.
struct ResumeOptions {
  static constexpr std::string_view verb = "resume";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "resumes all processes that have been previously paused";
  std::string id;
};

/// `kata update [flags] ID`. Memory sizes stay text because runc accepts
/// units ("512m") and "-1"; the runtime converts them.
struct UpdateOptions {
  static constexpr std::string_view verb = "update";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "update container resource constraints";
  std::string resources;  ///< -r FILE, or "-" for stdin; when set the other flags are ignored
  std::optional<std::string> memory;
  std::optional<std::string> memory_reservation;
  std::optional<std::string> memory_swap;
  std::optional<std::string> kernel_memory;
  std::optional<std::uint64_t> cpu_period;
  std::optional<std::int64_t> cpu_quota;
  std::optional<std::uint64_t> cpu_rt_period;
  std::optional<std::int64_t> cpu_rt_runtime;
  std::optional<std::uint64_t> cpu_share;
  std::optional<std::string> cpuset_cpus;
  std::optional<std::string> cpuset_mems;
  std::optional<std::int64_t> pids_limit;
  std::optional<std::uint16_t> blkio_weight;
  std::optional<std::string> l3_cache_schema;
  std::optional<std::string> mem_bw_schema;
  std::string id;
};

/// `kata events [--interval D] [--stats] ID`.
struct EventsOptions {
  static constexpr std::string_view verb = "events";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary =
      "display container events such as OOM notifications, cpu, memory, and IO usage statistics";
  std::chrono::nanoseconds interval = std::chrono::seconds(5);
  bool stats = false;
  std::string id;
};

/// `kata spec [-b DIR] [--rootless]`.
struct SpecOptions {
  static constexpr std::string_view verb = "spec";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "create a new specification file";
  std::string bundle;  ///< where config.json is written; empty means the current directory
  bool rootless = false;
};

/// `kata features`.
struct FeaturesOptions {
  static constexpr std::string_view verb = "features";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "show the enabled features";
};

/// Flags shared by checkpoint and restore (CRIU's), accepted so engines'
/// argv parses; kata cannot honour them (see cmd/checkpoint.cpp).
struct CriuFlags {
  std::string image_path;
  std::string work_path;
  bool tcp_established = false;
  bool ext_unix_sk = false;
  bool shell_job = false;
  bool lazy_pages = false;
  bool file_locks = false;
  std::string manage_cgroups_mode;
  std::vector<std::string> empty_ns;
  bool auto_dedup = false;
};

/// `kata checkpoint [flags] ID`.
struct CheckpointOptions {
  static constexpr std::string_view verb = "checkpoint";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "checkpoint a running container (not supported by kata)";
  /// podman probes `checkpoint --help` and reads exit 0 as "checkpointing
  /// supported", so help for this verb exits non-zero.
  static constexpr int help_exit_code = 1;
  CriuFlags criu;
  std::string parent_path;
  bool leave_running = false;
  int status_fd = -1;
  std::string page_server;
  bool pre_dump = false;
  std::string id;
};

/// `kata restore [flags] ID`.
struct RestoreOptions {
  static constexpr std::string_view verb = "restore";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "restore a container from a previous checkpoint";
  CriuFlags criu;
  BundleFlags bundle;
  bool detach = false;
  bool no_subreaper = false;
  std::string lsm_profile;
  std::string lsm_mount_context;
  std::string id;
};

/// `kata env [--json]` (Kata's kata-env): the runtime's configuration and host facts.
struct EnvOptions {
  static constexpr std::string_view verb = "env";
  static constexpr std::string_view alias = "kata-env";
  static constexpr std::string_view summary = "display settings (TOML by default, --json for JSON)";
  bool json = false;
};

/// `kata check [flags]` (Kata's kata-check): can this host run kata containers?
struct CheckOptions {
  static constexpr std::string_view verb = "check";
  static constexpr std::string_view alias = "kata-check";
  static constexpr std::string_view summary = "tests if the system can run kata containers";
  bool verbose = false;
  bool json = false;
  bool strict = false;
  bool no_network_checks = false;
  bool boot = false;  ///< also boot a VM to its agent and back
};

/// `kata timings [-f table|json] ID`: where the container's start-up time went.
struct TimingsOptions {
  static constexpr std::string_view verb = "timings";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "show the boot timings create recorded for a container";
  TableFormat format = TableFormat::table;
  std::string id;
};

/// `kata factory init|status|destroy [--json]` (Kata's kata-runtime factory):
/// the VM template clones start from.
struct FactoryOptions {
  static constexpr std::string_view verb = "factory";
  static constexpr std::string_view alias = "";
  static constexpr std::string_view summary = "make, show or remove the VM template clones start from";
  std::string action;  ///< init, status or destroy
  bool json = false;   ///< status as JSON
};

/// One verb's parsed options.
using VerbOptions =
    std::variant<CreateOptions, RunOptions, StartOptions, StateOptions, KillOptions, DeleteOptions,
                 ExecOptions, PsOptions, ListOptions, PauseOptions, ResumeOptions, UpdateOptions,
                 EventsOptions, SpecOptions, FeaturesOptions, CheckpointOptions, RestoreOptions,
                 EnvOptions, CheckOptions, TimingsOptions, FactoryOptions>;

}  // namespace kata::cmd
