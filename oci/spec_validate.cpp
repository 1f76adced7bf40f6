#include "oci/spec_validate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <set>

#include "oci/json_reader.hpp"
#include "oci/known_names.hpp"

namespace kata::oci {

namespace {

// (uid_t)-1 means "unchanged" to chown(2) and setresuid(2); it is never a
// real id, so a document that names it is wrong.
constexpr std::uint32_t kInvalidId = 0xffffffffu;

// Marks a namespace set read from an unreadable linux.namespaces: every
// "needs a ... namespace" rule is then skipped.
constexpr std::string_view kUnknown = "(unknown)";

// True when `type` is certainly missing from the namespace set.
bool lacks(const std::set<std::string>& namespaces, const char* type) {
  return !namespaces.contains(type) && !namespaces.contains(std::string(kUnknown));
}

bool is_absolute(const std::string& path) { return !path.empty() && path.front() == '/'; }


bool has_dotdot_component(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

// "0-3,6,8-9": the cpuset list syntax of cpus and mems.
bool is_cpuset_list(std::string_view list) {
  if (list.empty()) return true;  // runc treats "" as unset
  std::size_t start = 0;
  while (start <= list.size()) {
    auto end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    auto item = list.substr(start, end - start);
    auto dash = item.find('-');
    auto is_number = [](std::string_view text) {
      return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (dash == std::string_view::npos) {
      if (!is_number(item)) return false;
    } else {
      auto low = item.substr(0, dash);
      auto high = item.substr(dash + 1);
      if (!is_number(low) || !is_number(high) || std::stoull(std::string(low)) > std::stoull(std::string(high))) {
        return false;
      }
    }
    start = end + 1;
  }
  return true;
}

// Sysctl names as /proc/sys paths would spell them, with dots or slashes.
bool is_sane_sysctl_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.front() == '/' || name.back() == '.' || name.back() == '/') {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.' || c == '/';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos && name.find("//") == std::string_view::npos;
}

// "2MB", "1GB", "64KB": the hugetlb page size spelling of the cgroup files.
bool is_page_size(std::string_view size) {
  auto digits = size.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string_view::npos) return false;
  auto unit = size.substr(digits);
  return unit == "KB" || unit == "MB" || unit == "GB" || unit == "TB" || unit == "PB";
}

class RuleChecker {
 public:
  explicit RuleChecker(std::vector<Problem>& problems) : problems_(problems), decode_problems_(problems.size()) {}

  // Reports a rule violation unless decoding already reported this path or
  // one enclosing it (a wrong type there makes the rule meaningless).
  void add(const std::string& path, std::string message) {
    for (std::size_t i = 0; i < decode_problems_; ++i) {
      const auto& earlier = problems_[i].path;
      if (path.starts_with(earlier) &&
          (path.size() == earlier.size() || path[earlier.size()] == '.' || path[earlier.size()] == '[')) {
        return;
      }
    }
    problems_.push_back({path, std::move(message)});
  }

  // True when decoding reported `path` or something below it: rules that
  // depend on that part of the document cannot be judged.
  bool decode_failed_at(std::string_view path) const {
    for (std::size_t i = 0; i < decode_problems_; ++i) {
      const auto& earlier = problems_[i].path;
      if (earlier.starts_with(path) &&
          (earlier.size() == path.size() || earlier[path.size()] == '.' || earlier[path.size()] == '[')) {
        return true;
      }
    }
    return false;
  }

  void check_id(const std::string& path, std::uint32_t id) {
    if (id == kInvalidId) add(path, "4294967295 ((uid_t)-1) is not a valid id");
  }

  void check_absolute(const std::string& path, const std::string& value) {
    if (!is_absolute(value)) add(path, "must be an absolute path, not " + json_quote(value));
  }

  void check_process(const Process& process, const std::string& path) {
    if (!process.args || process.args->empty()) add(member_path(path, "args"), "must not be empty");
    else if (process.args->front().empty()) add(element_path(member_path(path, "args"), 0), "must not be empty");
    check_absolute(member_path(path, "cwd"), process.cwd);
    if (process.env) {
      for (std::size_t i = 0; i < process.env->size(); ++i) {
        const auto& entry = (*process.env)[i];
        auto equals = entry.find('=');
        if (equals == std::string::npos || equals == 0) {
          add(element_path(member_path(path, "env"), i), "must have the form KEY=VALUE, not " + json_quote(entry));
        }
      }
    }
    if (process.user) check_user(*process.user, member_path(path, "user"));
    if (process.capabilities) check_capabilities(*process.capabilities, member_path(path, "capabilities"));
    if (process.rlimits) check_rlimits(*process.rlimits, member_path(path, "rlimits"));
    if (process.oom_score_adj && (*process.oom_score_adj < -1000 || *process.oom_score_adj > 1000)) {
      add(member_path(path, "oomScoreAdj"), fmt::format("must be between -1000 and 1000, not {}", *process.oom_score_adj));
    }
    // consoleSize without terminal is not an error: runtime-spec says runtimes
    // MUST ignore it then, and runc does.
  }

  void check_user(const User& user, const std::string& path) {
    check_id(member_path(path, "uid"), user.uid);
    check_id(member_path(path, "gid"), user.gid);
    if (user.umask && *user.umask > 0777) add(member_path(path, "umask"), fmt::format("must be at most 0777, not {:#o}", *user.umask));
    if (user.additional_gids) {
      for (std::size_t i = 0; i < user.additional_gids->size(); ++i) {
        check_id(element_path(member_path(path, "additionalGids"), i), (*user.additional_gids)[i]);
      }
    }
  }

  void check_capabilities(const Capabilities& caps, const std::string& path) {
    auto check_set = [&](const std::optional<std::vector<std::string>>& set, std::string_view name) {
      if (!set) return;
      for (std::size_t i = 0; i < set->size(); ++i) {
        if (!contains(capability_names(), (*set)[i])) {
          add(element_path(member_path(path, name), i), "unknown capability " + json_quote((*set)[i]));
        }
      }
    };
    check_set(caps.bounding, "bounding");
    check_set(caps.effective, "effective");
    check_set(caps.inheritable, "inheritable");
    check_set(caps.permitted, "permitted");
    check_set(caps.ambient, "ambient");
  }

  void check_rlimits(const std::vector<Rlimit>& rlimits, const std::string& path) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < rlimits.size(); ++i) {
      const auto& limit = rlimits[i];
      auto at = element_path(path, i);
      if (!contains(rlimit_types(), limit.type)) {
        add(member_path(at, "type"), "unknown rlimit type " + json_quote(limit.type));
      } else if (!seen.insert(limit.type).second) {
        add(member_path(at, "type"), "rlimit " + json_quote(limit.type) + " given twice");
      }
      if (limit.soft > limit.hard) {
        add(member_path(at, "soft"), fmt::format("soft limit {} exceeds hard limit {}", limit.soft, limit.hard));
      }
    }
  }

  void check_mappings(const std::vector<IdMapping>& mappings, const std::string& path) {
    for (std::size_t i = 0; i < mappings.size(); ++i) {
      if (mappings[i].size == 0) add(member_path(element_path(path, i), "size"), "must be greater than 0");
    }
  }

  void check_mounts(const std::vector<Mount>& mounts) {
    for (std::size_t i = 0; i < mounts.size(); ++i) {
      const auto& mount = mounts[i];
      auto at = element_path("mounts", i);
      check_absolute(member_path(at, "destination"), mount.destination);
      if (has_dotdot_component(mount.destination)) {
        add(member_path(at, "destination"), "must not contain \"..\" components: " + json_quote(mount.destination));
      }
      if (mount.uid_mappings) check_mappings(*mount.uid_mappings, member_path(at, "uidMappings"));
      if (mount.gid_mappings) check_mappings(*mount.gid_mappings, member_path(at, "gidMappings"));
      if (mount.uid_mappings.has_value() != mount.gid_mappings.has_value()) {
        add(member_path(at, mount.uid_mappings ? "gidMappings" : "uidMappings"),
            "an idmapped mount needs both uidMappings and gidMappings");
      }
    }
  }

  void check_hooks(const Hooks& hooks) {
    auto check_list = [&](const std::optional<std::vector<Hook>>& list, std::string_view name) {
      if (!list) return;
      auto list_path = member_path("hooks", name);
      for (std::size_t i = 0; i < list->size(); ++i) {
        const auto& hook = (*list)[i];
        auto at = element_path(list_path, i);
        check_absolute(member_path(at, "path"), hook.path);
        if (hook.timeout && *hook.timeout <= 0) {
          add(member_path(at, "timeout"), fmt::format("must be greater than 0, not {}", *hook.timeout));
        }
      }
    };
    check_list(hooks.prestart, "prestart");
    check_list(hooks.create_runtime, "createRuntime");
    check_list(hooks.create_container, "createContainer");
    check_list(hooks.start_container, "startContainer");
    check_list(hooks.poststart, "poststart");
    check_list(hooks.poststop, "poststop");
  }

  // Namespace types present in linux.namespaces (with or without a path).
  static std::set<std::string> namespace_set(const Spec& spec) {
    std::set<std::string> types;
    if (spec.linux_config && spec.linux_config->namespaces) {
      for (const auto& ns : *spec.linux_config->namespaces) types.insert(ns.type);
    }
    return types;
  }

  void check_namespaces(const Linux& linux_config) {
    const auto& namespaces = *linux_config.namespaces;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < namespaces.size(); ++i) {
      const auto& ns = namespaces[i];
      auto at = element_path("linux.namespaces", i);
      if (!contains(namespace_types(), ns.type)) {
        add(member_path(at, "type"), "unknown namespace type " + json_quote(ns.type));
      } else if (!seen.insert(ns.type).second) {
        add(member_path(at, "type"), "namespace type " + json_quote(ns.type) + " given twice");
      }
      if (ns.path) check_absolute(member_path(at, "path"), *ns.path);
    }
  }

  void check_user_namespace(const Linux& linux_config, const std::set<std::string>& namespaces) {
    if (linux_config.uid_mappings) check_mappings(*linux_config.uid_mappings, "linux.uidMappings");
    if (linux_config.gid_mappings) check_mappings(*linux_config.gid_mappings, "linux.gidMappings");
    bool has_mappings = (linux_config.uid_mappings && !linux_config.uid_mappings->empty()) ||
                        (linux_config.gid_mappings && !linux_config.gid_mappings->empty());
    if (namespaces.contains(std::string(kUnknown))) return;
    if (!namespaces.contains("user")) {
      // runc: "user namespace mappings specified, but user namespace isn't enabled in the config"
      if (has_mappings) {
        add(linux_config.uid_mappings && !linux_config.uid_mappings->empty() ? "linux.uidMappings" : "linux.gidMappings",
            "id mappings given but linux.namespaces has no user namespace");
      }
      return;
    }
    bool joins_existing = false;
    for (const auto& ns : *linux_config.namespaces) {
      if (ns.type == "user" && ns.path) joins_existing = true;
    }
    if (joins_existing) return;
    // A new user namespace without mappings leaves every id unmapped (nobody).
    if (!linux_config.uid_mappings || linux_config.uid_mappings->empty()) {
      add("linux.uidMappings", "a new user namespace needs at least one uid mapping");
    }
    if (!linux_config.gid_mappings || linux_config.gid_mappings->empty()) {
      add("linux.gidMappings", "a new user namespace needs at least one gid mapping");
    }
  }

  void check_sysctl(const std::map<std::string, std::string>& sysctl, const std::set<std::string>& namespaces) {
    for (const auto& [name, value] : sysctl) {
      auto at = key_path("linux.sysctl", name);
      if (!is_sane_sysctl_name(name)) {
        add(at, "invalid sysctl name");
        continue;
      }
      // runc refuses sysctls that would change the host's own namespaces.
      bool is_ipc = name.starts_with("fs.mqueue.") || name == "kernel.msgmax" || name == "kernel.msgmnb" ||
                    name == "kernel.msgmni" || name == "kernel.sem" || name == "kernel.shmall" ||
                    name == "kernel.shmmax" || name == "kernel.shmmni" || name == "kernel.shm_rmid_forced";
      if (is_ipc && lacks(namespaces, "ipc")) add(at, "needs an ipc namespace in linux.namespaces");
      if (name.starts_with("net.") && lacks(namespaces, "network")) {
        add(at, "needs a network namespace in linux.namespaces");
      }
      if ((name == "kernel.hostname" || name == "kernel.domainname") && lacks(namespaces, "uts")) {
        add(at, "needs a uts namespace in linux.namespaces");
      }
    }
  }

  void check_resources(const Resources& resources) {
    const std::string path = "linux.resources";
    if (resources.devices) {
      for (std::size_t i = 0; i < resources.devices->size(); ++i) {
        const auto& rule = (*resources.devices)[i];
        auto at = element_path(member_path(path, "devices"), i);
        if (rule.type && *rule.type != "a" && *rule.type != "c" && *rule.type != "b") {
          add(member_path(at, "type"), "must be \"a\", \"c\" or \"b\", not " + json_quote(*rule.type));
        }
        if (rule.access && rule.access->find_first_not_of("rwm") != std::string::npos) {
          add(member_path(at, "access"), "must be made of r, w and m, not " + json_quote(*rule.access));
        }
      }
    }
    if (resources.memory) check_memory(*resources.memory, member_path(path, "memory"));
    if (resources.cpu) check_cpu(*resources.cpu, member_path(path, "cpu"));
    if (resources.hugepage_limits) {
      for (std::size_t i = 0; i < resources.hugepage_limits->size(); ++i) {
        const auto& limit = (*resources.hugepage_limits)[i];
        if (!is_page_size(limit.page_size)) {
          add(member_path(element_path(member_path(path, "hugepageLimits"), i), "pageSize"),
              "must be a size such as \"2MB\", not " + json_quote(limit.page_size));
        }
      }
    }
    if (resources.unified) {
      for (const auto& [file, value] : *resources.unified) {
        if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
          add(key_path(member_path(path, "unified"), file), "must name a file of the container's cgroup");
        }
      }
    }
  }

  void check_memory(const Memory& memory, const std::string& path) {
    auto check_bytes = [&](const std::optional<std::int64_t>& value, std::string_view name) {
      if (value && *value < -1) add(member_path(path, name), fmt::format("must be -1 (unlimited) or >= 0, not {}", *value));
    };
    check_bytes(memory.limit, "limit");
    check_bytes(memory.reservation, "reservation");
    check_bytes(memory.swap, "swap");
    check_bytes(memory.kernel, "kernel");
    check_bytes(memory.kernel_tcp, "kernelTCP");
    // swap is memory+swap (cgroup v1 memsw, as runc counts it): it cannot be
    // below the memory limit, unless one of them is unlimited or unset (0).
    if (memory.limit && memory.swap && *memory.limit > 0 && *memory.swap > 0 && *memory.swap < *memory.limit) {
      add(member_path(path, "swap"),
          fmt::format("memory+swap limit {} is below the memory limit {} (use -1 for unlimited swap)", *memory.swap,
                      *memory.limit));
    }
    if (memory.reservation && memory.limit && *memory.reservation > 0 && *memory.limit > 0 &&
        *memory.reservation > *memory.limit) {
      add(member_path(path, "reservation"),
          fmt::format("reservation {} is above the memory limit {}", *memory.reservation, *memory.limit));
    }
    if (memory.swappiness && *memory.swappiness > 100) {
      add(member_path(path, "swappiness"), fmt::format("must be between 0 and 100, not {}", *memory.swappiness));
    }
  }

  void check_cpu(const Cpu& cpu, const std::string& path) {
    if (cpu.cpus && !is_cpuset_list(*cpu.cpus)) add(member_path(path, "cpus"), "not a cpu list such as \"0-3,6\": " + json_quote(*cpu.cpus));
    if (cpu.mems && !is_cpuset_list(*cpu.mems)) add(member_path(path, "mems"), "not a node list such as \"0-1\": " + json_quote(*cpu.mems));
    if (cpu.quota && *cpu.quota < -1) add(member_path(path, "quota"), fmt::format("must be -1 (unlimited) or >= 0, not {}", *cpu.quota));
    // The kernel's CFS bandwidth limits: period in [1 ms, 1 s] when set.
    if (cpu.period && *cpu.period != 0 && (*cpu.period < 1000 || *cpu.period > 1000000)) {
      add(member_path(path, "period"), fmt::format("must be between 1000 and 1000000 microseconds, not {}", *cpu.period));
    }
  }

  void check_seccomp(const Seccomp& seccomp) {
    const std::string path = "linux.seccomp";
    bool uses_notify = false;
    if (seccomp.default_action == "SCMP_ACT_NOTIFY") {
      add(member_path(path, "defaultAction"), "SCMP_ACT_NOTIFY cannot be the default action");
    } else if (!contains(seccomp_actions(), seccomp.default_action)) {
      add(member_path(path, "defaultAction"), "unknown seccomp action " + json_quote(seccomp.default_action));
    }
    auto check_names = [&](const std::optional<std::vector<std::string>>& list, std::string_view name,
                           std::span<const std::string_view> known, std::string_view what) {
      if (!list) return;
      for (std::size_t i = 0; i < list->size(); ++i) {
        if (!contains(known, (*list)[i])) {
          add(element_path(member_path(path, name), i), fmt::format("unknown seccomp {} {}", what, json_quote((*list)[i])));
        }
      }
    };
    check_names(seccomp.architectures, "architectures", seccomp_archs(), "architecture");
    check_names(seccomp.flags, "flags", seccomp_flags(), "flag");
    if (seccomp.syscalls) {
      for (std::size_t i = 0; i < seccomp.syscalls->size(); ++i) {
        const auto& rule = (*seccomp.syscalls)[i];
        auto at = element_path(member_path(path, "syscalls"), i);
        if (rule.names.empty()) add(member_path(at, "names"), "must not be empty");
        for (std::size_t n = 0; n < rule.names.size(); ++n) {
          if (rule.names[n].empty()) add(element_path(member_path(at, "names"), n), "must not be empty");
        }
        if (!contains(seccomp_actions(), rule.action)) {
          add(member_path(at, "action"), "unknown seccomp action " + json_quote(rule.action));
        }
        if (rule.action == "SCMP_ACT_NOTIFY") uses_notify = true;
        if (!rule.args) continue;
        for (std::size_t a = 0; a < rule.args->size(); ++a) {
          const auto& arg = (*rule.args)[a];
          auto arg_at = element_path(member_path(at, "args"), a);
          if (arg.index >= 6) add(member_path(arg_at, "index"), fmt::format("must be below 6, not {}", arg.index));
          if (!contains(seccomp_operators(), arg.op)) {
            add(member_path(arg_at, "op"), "unknown seccomp operator " + json_quote(arg.op));
          }
        }
      }
    }
    if (uses_notify && (!seccomp.listener_path || seccomp.listener_path->empty())) {
      add(member_path(path, "listenerPath"), "required when a rule uses SCMP_ACT_NOTIFY");
    }
  }

  void check_devices(const std::vector<Device>& devices) {
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const auto& device = devices[i];
      auto at = element_path("linux.devices", i);
      check_absolute(member_path(at, "path"), device.path);
      if (device.type != "c" && device.type != "b" && device.type != "u" && device.type != "p") {
        add(member_path(at, "type"), "must be \"c\", \"b\", \"u\" or \"p\", not " + json_quote(device.type));
        continue;
      }
      if (device.type == "p") continue;  // a FIFO has no device number
      if (!device.major) add(member_path(at, "major"), "required for device type " + json_quote(device.type));
      if (!device.minor) add(member_path(at, "minor"), "required for device type " + json_quote(device.type));
      if (device.major && *device.major < 0) add(member_path(at, "major"), "must not be negative");
      if (device.minor && *device.minor < 0) add(member_path(at, "minor"), "must not be negative");
      if (device.uid) check_id(member_path(at, "uid"), *device.uid);
      if (device.gid) check_id(member_path(at, "gid"), *device.gid);
    }
  }

  void check_paths(const std::optional<std::vector<std::string>>& paths, const std::string& path) {
    if (!paths) return;
    for (std::size_t i = 0; i < paths->size(); ++i) check_absolute(element_path(path, i), (*paths)[i]);
  }

  void check_linux(const Spec& spec) {
    const auto& linux_config = *spec.linux_config;
    auto namespaces = namespace_set(spec);
    if (decode_failed_at("linux.namespaces")) namespaces.insert(std::string(kUnknown));
    if (linux_config.namespaces) check_namespaces(linux_config);
    check_user_namespace(linux_config, namespaces);
    if (linux_config.sysctl) check_sysctl(*linux_config.sysctl, namespaces);
    if (linux_config.resources) check_resources(*linux_config.resources);
    if (linux_config.seccomp) check_seccomp(*linux_config.seccomp);
    if (linux_config.devices) check_devices(*linux_config.devices);
    check_paths(linux_config.masked_paths, "linux.maskedPaths");
    check_paths(linux_config.readonly_paths, "linux.readonlyPaths");
    if (linux_config.rootfs_propagation && !linux_config.rootfs_propagation->empty() &&
        !contains(rootfs_propagations(), *linux_config.rootfs_propagation)) {
      add("linux.rootfsPropagation", "unknown propagation " + json_quote(*linux_config.rootfs_propagation));
    }
  }

  void check_spec(const Spec& spec) {
    if (!is_supported_oci_version(spec.oci_version)) {
      add("ociVersion", "unsupported version " + json_quote(spec.oci_version) + " (kata supports 1.x)");
    }
    if (!spec.root) add("root", "required");
    else if (spec.root->path.empty()) add("root.path", "must not be empty");
    // runc, and so every engine, requires a process for create and run.
    if (!spec.process) add("process", "required");
    else check_process(*spec.process, "process");
    if (spec.mounts) check_mounts(*spec.mounts);
    if (spec.hooks) check_hooks(*spec.hooks);
    auto namespaces = namespace_set(spec);
    // Rules below depend on linux.namespaces; if it was unreadable, they
    // would only repeat that problem in other words.
    if (decode_failed_at("linux") || decode_failed_at("linux.namespaces")) namespaces.insert(std::string(kUnknown));
    // runc: "unable to set hostname without a private UTS namespace".
    if (spec.hostname && !spec.hostname->empty() && lacks(namespaces, "uts")) {
      add("hostname", "needs a uts namespace in linux.namespaces");
    }
    if (spec.domainname && !spec.domainname->empty() && lacks(namespaces, "uts")) {
      add("domainname", "needs a uts namespace in linux.namespaces");
    }
    if (spec.annotations) {
      for (const auto& [key, value] : *spec.annotations) {
        if (key.empty()) add(key_path("annotations", key), "key must not be empty");
      }
    }
    if (spec.linux_config) check_linux(spec);
  }

 private:
  std::vector<Problem>& problems_;
  std::size_t decode_problems_;
};

}  // namespace

bool is_supported_oci_version(std::string_view version) {
  // 1.<minor>.<patch>[-prerelease][+build], as semver spells it.
  if (!version.starts_with("1.")) return false;
  auto rest = version.substr(2);
  auto take_number = [&rest] {
    std::size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    rest.remove_prefix(digits);
    return digits > 0;
  };
  if (!take_number()) return false;
  if (rest.empty() || rest.front() != '.') return false;
  rest.remove_prefix(1);
  if (!take_number()) return false;
  if (rest.empty()) return true;
  return (rest.front() == '-' || rest.front() == '+') && rest.size() > 1;
}

void check_spec(const Spec& spec, std::vector<Problem>& problems) { RuleChecker(problems).check_spec(spec); }

void check_process(const Process& process, const std::string& path, std::vector<Problem>& problems) {
  RuleChecker(problems).check_process(process, path);
}

}  // namespace kata::oci
