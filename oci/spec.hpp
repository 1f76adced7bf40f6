#pragma once
// The runtime-spec (1.0 … 1.3) config.json as typed C++ values, with parsing,
// whole-document validation and serialisation.
//
// Round trip. Every object type carries `extra`: the keys of that JSON object
// that kata does not model (vendor extensions, `linux.intelRdt`, `vm`,
// `solaris`, fields of newer spec versions) and keys whose value was `null`
// (Go decoders treat null as absent, so kata does too, but keeps the null so
// the document survives). to_json() writes `extra` first and the modelled
// fields over it, so for every valid input `to_json(parse_spec(doc)) == doc`
// as JSON, and a caller that edits a typed field sees its edit in the output.
// Keeping unknown keys per object (rather than one copy of the original
// document) stays correct when callers add or remove mounts, hooks, etc.
//
// Presence. A field that the spec lets a document omit is a std::optional (or
// an optional container), because "absent" and "empty" differ on the wire and
// in meaning (no `linux.namespaces` vs. an empty list). Fields the spec marks
// REQUIRED inside their object are plain values; a document missing them is
// rejected, so a parsed Spec always has them.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace kata::oci {

/// One validation finding: the JSON path of the offending value
/// ("mounts[3].destination", "linux.sysctl[\"net.ipv4.ip_forward\"]") and why.
struct Problem {
  std::string path;
  std::string message;
  bool operator==(const Problem&) const = default;
};

/// process.consoleSize: initial size of the terminal, in characters.
struct ConsoleSize {
  std::uint32_t height = 0;
  std::uint32_t width = 0;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// process.user: identity of the process inside the container.
struct User {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::optional<std::uint32_t> umask;
  std::optional<std::vector<std::uint32_t>> additional_gids;  ///< "additionalGids"
  std::optional<std::string> username;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// process.capabilities: CAP_* names per capability set.
struct Capabilities {
  std::optional<std::vector<std::string>> bounding;
  std::optional<std::vector<std::string>> effective;
  std::optional<std::vector<std::string>> inheritable;
  std::optional<std::vector<std::string>> permitted;
  std::optional<std::vector<std::string>> ambient;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// One entry of process.rlimits.
struct Rlimit {
  std::string type;  ///< "RLIMIT_NOFILE", ...
  std::uint64_t hard = 0;
  std::uint64_t soft = 0;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// The container's process (config.json `process`, or the whole document of
/// `exec --process FILE`). ioPriority, scheduler, execCPUAffinity and
/// commandLine are kept in `extra`.
struct Process {
  std::optional<bool> terminal;
  std::optional<ConsoleSize> console_size;  ///< "consoleSize"
  std::optional<User> user;
  std::optional<std::vector<std::string>> args;
  std::optional<std::vector<std::string>> env;  ///< "KEY=VALUE" entries
  std::string cwd;                              ///< absolute path in the container
  std::optional<Capabilities> capabilities;
  std::optional<std::vector<Rlimit>> rlimits;
  std::optional<bool> no_new_privileges;        ///< "noNewPrivileges"
  std::optional<std::string> apparmor_profile;  ///< "apparmorProfile"
  std::optional<int> oom_score_adj;             ///< "oomScoreAdj", in [-1000, 1000]
  std::optional<std::string> selinux_label;     ///< "selinuxLabel"
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// `root`: the container's root filesystem, relative to the bundle or absolute.
struct Root {
  std::string path;
  std::optional<bool> readonly;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// A user-namespace id mapping (linux.uidMappings, mounts[].uidMappings).
struct IdMapping {
  std::uint32_t container_id = 0;  ///< "containerID"
  std::uint32_t host_id = 0;       ///< "hostID"
  std::uint32_t size = 0;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// One entry of `mounts`.
struct Mount {
  std::string destination;  ///< absolute path in the container
  std::optional<std::string> type;
  std::optional<std::string> source;
  std::optional<std::vector<std::string>> options;
  std::optional<std::vector<IdMapping>> uid_mappings;  ///< "uidMappings" (idmapped mount)
  std::optional<std::vector<IdMapping>> gid_mappings;  ///< "gidMappings"
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// One hook: a host program run at a lifecycle point with the state on stdin.
struct Hook {
  std::string path;  ///< absolute path on the host
  std::optional<std::vector<std::string>> args;
  std::optional<std::vector<std::string>> env;
  std::optional<int> timeout;  ///< seconds, > 0
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// `hooks`, by lifecycle point.
struct Hooks {
  std::optional<std::vector<Hook>> prestart;  ///< deprecated by the spec, still used by podman
  std::optional<std::vector<Hook>> create_runtime;    ///< "createRuntime"
  std::optional<std::vector<Hook>> create_container;  ///< "createContainer"
  std::optional<std::vector<Hook>> start_container;   ///< "startContainer"
  std::optional<std::vector<Hook>> poststart;
  std::optional<std::vector<Hook>> poststop;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// One entry of linux.namespaces: create a new one, or join `path`.
struct Namespace {
  std::string type;  ///< pid, network, mount, ipc, uts, user, cgroup, time
  std::optional<std::string> path;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// One entry of linux.devices: a device node to create in the container.
struct Device {
  std::string path;
  std::string type;  ///< c, b, u or p
  std::optional<std::int64_t> major;
  std::optional<std::int64_t> minor;
  std::optional<std::uint32_t> file_mode;  ///< "fileMode"
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// One entry of linux.resources.devices: a device cgroup rule.
struct DeviceRule {
  bool allow = false;
  std::optional<std::string> type;  ///< a, c or b
  std::optional<std::int64_t> major;
  std::optional<std::int64_t> minor;
  std::optional<std::string> access;  ///< subset of "rwm"
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// linux.resources.memory, in bytes; -1 means unlimited.
struct Memory {
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> reservation;
  std::optional<std::int64_t> swap;  ///< memory+swap, as cgroup v1 and runc count it
  std::optional<std::int64_t> kernel;
  std::optional<std::int64_t> kernel_tcp;  ///< "kernelTCP"
  std::optional<std::uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;   ///< "disableOOMKiller"
  std::optional<bool> use_hierarchy;        ///< "useHierarchy"
  std::optional<bool> check_before_update;  ///< "checkBeforeUpdate"
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// linux.resources.cpu.
struct Cpu {
  std::optional<std::uint64_t> shares;
  std::optional<std::int64_t> quota;  ///< microseconds per period; -1 unlimited
  std::optional<std::uint64_t> burst;
  std::optional<std::uint64_t> period;  ///< microseconds
  std::optional<std::int64_t> realtime_runtime;   ///< "realtimeRuntime"
  std::optional<std::uint64_t> realtime_period;   ///< "realtimePeriod"
  std::optional<std::string> cpus;  ///< cpuset list, e.g. "0-3,6"
  std::optional<std::string> mems;  ///< cpuset list of memory nodes
  std::optional<std::int64_t> idle;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// linux.resources.pids.
struct Pids {
  std::optional<std::int64_t> limit;  ///< <= 0 means unlimited (runc)
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// One entry of linux.resources.hugepageLimits.
struct HugepageLimit {
  std::string page_size;  ///< "pageSize", e.g. "2MB"
  std::uint64_t limit = 0;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// linux.resources. blockIO, network and rdma stay raw JSON objects: kata
/// forwards them to the guest and does not interpret them on the host.
struct Resources {
  std::optional<std::vector<DeviceRule>> devices;
  std::optional<Memory> memory;
  std::optional<Cpu> cpu;
  std::optional<Pids> pids;
  std::optional<nlohmann::json> block_io;  ///< "blockIO", raw object
  std::optional<std::vector<HugepageLimit>> hugepage_limits;  ///< "hugepageLimits"
  std::optional<nlohmann::json> network;  ///< raw object
  std::optional<nlohmann::json> rdma;     ///< raw object
  std::optional<std::map<std::string, std::string>> unified;  ///< cgroup v2 files
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// One argument filter of a seccomp rule.
struct SeccompArg {
  std::uint32_t index = 0;  ///< syscall argument number, < 6
  std::uint64_t value = 0;
  std::optional<std::uint64_t> value_two;  ///< "valueTwo"
  std::string op;  ///< SCMP_CMP_*
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// One rule of linux.seccomp.syscalls.
struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;  ///< SCMP_ACT_*
  std::optional<std::uint32_t> errno_ret;  ///< "errnoRet"
  std::optional<std::vector<SeccompArg>> args;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// linux.seccomp.
struct Seccomp {
  std::string default_action;  ///< "defaultAction", SCMP_ACT_*
  std::optional<std::uint32_t> default_errno_ret;  ///< "defaultErrnoRet"
  std::optional<std::vector<std::string>> architectures;  ///< SCMP_ARCH_*
  std::optional<std::vector<std::string>> flags;  ///< SECCOMP_FILTER_FLAG_*
  std::optional<std::string> listener_path;      ///< "listenerPath"
  std::optional<std::string> listener_metadata;  ///< "listenerMetadata"
  std::optional<std::vector<SeccompSyscall>> syscalls;
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// `linux`. intelRdt and personality stay raw JSON; timeOffsets, memoryPolicy,
/// netDevices and anything newer are kept in `extra`.
struct Linux {
  std::optional<std::vector<IdMapping>> uid_mappings;  ///< "uidMappings"
  std::optional<std::vector<IdMapping>> gid_mappings;  ///< "gidMappings"
  std::optional<std::map<std::string, std::string>> sysctl;
  std::optional<Resources> resources;
  std::optional<std::string> cgroups_path;  ///< "cgroupsPath"
  std::optional<std::vector<Namespace>> namespaces;
  std::optional<std::vector<Device>> devices;
  std::optional<Seccomp> seccomp;
  std::optional<std::string> rootfs_propagation;  ///< "rootfsPropagation"
  std::optional<std::vector<std::string>> masked_paths;    ///< "maskedPaths"
  std::optional<std::vector<std::string>> readonly_paths;  ///< "readonlyPaths"
  std::optional<std::string> mount_label;  ///< "mountLabel"
  std::optional<nlohmann::json> intel_rdt;    ///< "intelRdt", raw object
  std::optional<nlohmann::json> personality;  ///< raw object
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// A whole config.json.
struct Spec {
  std::string oci_version;  ///< "ociVersion", any 1.x
  std::optional<Process> process;  ///< always set in a Spec from parse_spec
  std::optional<Root> root;        ///< always set in a Spec from parse_spec
  std::optional<std::string> hostname;
  std::optional<std::string> domainname;
  std::optional<std::vector<Mount>> mounts;
  std::optional<Hooks> hooks;
  std::optional<std::map<std::string, std::string>> annotations;
  std::optional<Linux> linux_config;  ///< "linux" (not named `linux`: GNU mode defines that macro)
  nlohmann::json extra = nlohmann::json::object();  ///< unknown keys, kept for to_json
};

/// True for the ociVersion values kata accepts: "1.<minor>.<patch>" with an
/// optional "-suffix" or "+build" ("1.0.2-dev", "1.1.0-rc.1").
bool is_supported_oci_version(std::string_view version);

/// Checks a whole config.json document and returns every problem found (wrong
/// JSON types, missing required fields, and kata's and runc's semantic rules):
/// type problems first, then rule violations, each mistake named once. An
/// empty list means parse_spec would accept it.
std::vector<Problem> validate_spec(const nlohmann::json& document);

/// Same for a lone process document (`exec --process`): paths are relative
/// to the process object ("args", "cwd").
std::vector<Problem> validate_process(const nlohmann::json& document);

/// Parses and validates config.json text. Errors: invalid_argument with
/// "config.json: invalid JSON at line L, column C: ..." for bad syntax, or
/// with every problem of validate_spec (first line "config.json: N problems:",
/// then one "path: message" per line; a single problem fits on one line).
Result<Spec> parse_spec(std::string_view json_text);

/// Validates a document already parsed as parse_spec validates its text
/// (the agent gets the spec inside a request it parsed with its own depth
/// limit); errors as parse_spec's, starting with `what`.
Result<Spec> spec_from_json(const nlohmann::json& document, std::string_view what);

/// Reads `<bundle_dir>/config.json` (at most 16 MiB) and parses it. A missing
/// file is not_found; everything else as parse_spec, with messages naming the
/// file ("<bundle_dir>/config.json: root.path: must not be empty").
Result<Spec> load_bundle_spec(const std::string& bundle_dir);

/// Parses and validates a process document (`exec --process FILE`): args
/// non-empty, cwd absolute, and the other process rules of validate_spec.
/// Errors are invalid_argument, formatted as parse_spec's with "process.json".
Result<Process> parse_process(std::string_view json_text);

/// Serialises a Spec; equal as JSON to the document it was parsed from.
nlohmann::json to_json(const Spec& spec);

/// Serialises a Process; equal as JSON to the document it was parsed from.
nlohmann::json to_json(const Process& process);

/// Formats problems as parse_spec's error message: "<what>: path: message"
/// for one problem, else "<what>: N problems:" and one problem per line.
std::string format_problems(std::string_view what, const std::vector<Problem>& problems);

}  // namespace kata::oci
