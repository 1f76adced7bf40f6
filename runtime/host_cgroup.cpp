#include "runtime/host_cgroup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <thread>

#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"

namespace kata::runtime {

namespace {

using namespace std::chrono_literals;

constexpr std::size_t max_cgroup_file = 1 << 20;  // cgroup.procs of a busy cgroup is the largest read here

// The text of a cgroup file; "" when it does not exist.
Result<std::string> read_cgroup_file(const std::string& path) {
  auto text = read_file(path, max_cgroup_file);
  if (!text && text.error().errno_value == ENOENT) return std::string();
  return text;
}

// One write, as `echo value > file` does it; O_CREAT only matters for the
// plain directories the unit tests use (cgroupfs creates no files).
Result<void> write_cgroup_file(const std::string& path, const std::string& value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return sys_error(errno, "open {}", path);
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
    return sys_error(errno, "write {} to {}", value, path);
  return ok();
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find_first_of(" \n", start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string parent_dir(const std::string& path) { return path.substr(0, path.rfind('/')); }

// Whether `dir` holds a directory: a child cgroup.
bool has_child_cgroup(const std::string& dir) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error))
    if (entry.is_directory(error)) return true;
  return false;
}

// A new v1 cpuset cgroup starts with empty cpus and mems, and no process
// can join it until both are set: copied from the parent, as runc does.
Result<void> inherit_cpuset(const std::string& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    auto value = KATA_TRY(read_cgroup_file(parent_dir(dir) + "/" + file));
    while (!value.empty() && value.back() == '\n') value.pop_back();
    if (value.empty()) continue;
    auto current = KATA_TRY(read_cgroup_file(dir + "/" + file));
    if (!words(current).empty()) continue;
    KATA_TRY(write_cgroup_file(dir + "/" + file, value));
  }
  return ok();
}

// Applies `writes` in order; one refused with EINVAL is tried again after
// the others (v1 rejects a period below the current quota until the quota
// has changed too).
Result<void> apply_writes(const std::string& dir, const std::vector<CgroupWrite>& writes) {
  std::vector<const CgroupWrite*> retry;
  for (const auto& write : writes) {
    auto written = write_cgroup_file(dir + "/" + write.file, write.value);
    if (!written && written.error().errno_value == EINVAL) {
      retry.push_back(&write);
      continue;
    }
    KATA_TRY(std::move(written));
  }
  for (const auto* write : retry) KATA_TRY(write_cgroup_file(dir + "/" + write->file, write->value));
  return ok();
}

// The writes of `leaf` whose controller it has.
std::vector<CgroupWrite> writes_for(const HostCgroupLeaf& leaf, const HostLimits& limits, std::uint64_t memory_limit) {
  auto writes = host_limit_writes(limits, memory_limit, leaf.unified);
  std::erase_if(writes, [&](const CgroupWrite& write) { return !contains(leaf.controllers, write.controller); });
  return writes;
}

// The controllers some v1 hierarchy of `hierarchies` has (on hybrid hosts
// they are not v2's to provide).
bool v1_has(const std::vector<CgroupHierarchy>& hierarchies, const std::string& controller) {
  return std::any_of(hierarchies.begin(), hierarchies.end(), [&](const CgroupHierarchy& hierarchy) {
    return !hierarchy.unified && contains(hierarchy.controllers, controller);
  });
}

class Creator {
 public:
  Creator(const HostCgroupPlan& plan, HostCgroupRecord& record) : plan_(plan), record_(record) {}

  Result<void> make(const CgroupHierarchy& hierarchy, const std::string& leaf) {
    std::vector<std::string> made;
    std::string dir = hierarchy.mount_point;
    std::string below = leaf.substr(hierarchy.mount_point.size());
    std::size_t start = 1;
    while (start <= below.size()) {
      auto end = below.find('/', start);
      if (end == std::string::npos) end = below.size();
      dir += "/" + below.substr(start, end - start);
      start = end + 1;
      if (::mkdir(dir.c_str(), 0755) == 0) {
        record_.created_dirs.push_back(dir);
        made.push_back(dir);
        if (!hierarchy.unified && contains(hierarchy.controllers, "cpuset"))
          KATA_TRY(inherit_cpuset(dir).wrap(context()));
        continue;
      }
      if (errno != EEXIST) return sys_error(errno, "{}: mkdir {}", context(), dir);
      struct stat status {};
      if (::stat(dir.c_str(), &status) < 0) return sys_error(errno, "{}: stat {}", context(), dir);
      if (!S_ISDIR(status.st_mode))
        return make_error(ErrorKind::invalid_argument, "{}: {} exists and is not a cgroup directory", context(), dir);
    }
    HostCgroupLeaf entry{leaf, hierarchy.unified, hierarchy.controllers, !made.empty() && made.back() == leaf};
    if (!entry.created) {
      auto procs = KATA_TRY(read_cgroup_file(leaf + "/cgroup.procs").wrap(context()));
      if (!words(procs).empty())
        return make_error(ErrorKind::invalid_argument,
                          "{}: the cgroup {} already exists and holds processes; kata runs a sandbox only in a "
                          "cgroup of its own",
                          context(), leaf);
    }
    if (hierarchy.unified) KATA_TRY(delegate_v2(hierarchy, leaf, made, entry));
    record_.leaves.push_back(std::move(entry));
    return ok();
  }

 private:
  std::string context() const { return fmt::format("linux.cgroupsPath {}", plan_.cgroups_path); }

  // Enables the controllers the limits need in the v2 directories kata
  // made (each for its children), then records the leaf's controllers.
  Result<void> delegate_v2(const CgroupHierarchy& hierarchy, const std::string& leaf,
                           const std::vector<std::string>& made, HostCgroupLeaf& entry) {
    std::vector<std::string> needed;
    for (const auto& write : host_limit_writes(plan_.limits, plan_.memory_limit, true))
      if (!contains(needed, write.controller) && !v1_has(plan_.hierarchies, write.controller))
        needed.push_back(write.controller);
    if (entry.created) {
      for (const auto& dir : made) {
        if (dir == leaf) break;
        auto available = words(KATA_TRY(read_cgroup_file(dir + "/cgroup.controllers").wrap(context())));
        for (const auto& controller : needed)
          if (contains(available, controller))
            KATA_TRY(write_cgroup_file(dir + "/cgroup.subtree_control", "+" + controller).wrap(context()));
      }
    }
    entry.controllers = words(KATA_TRY(read_cgroup_file(leaf + "/cgroup.controllers").wrap(context())));
    if (!entry.created) return ok();
    auto on_host = words(KATA_TRY(read_cgroup_file(hierarchy.mount_point + "/cgroup.controllers").wrap(context())));
    std::string nearest_existing = made.empty() ? leaf : parent_dir(made.front());
    for (const auto& controller : needed) {
      if (contains(entry.controllers, controller) || !contains(on_host, controller)) continue;
      return make_error(ErrorKind::invalid_argument,
                        "{}: the {} controller is not enabled in {}/cgroup.subtree_control, and kata does not change "
                        "cgroups it did not create",
                        context(), controller, nearest_existing);
    }
    return ok();
  }

  const HostCgroupPlan& plan_;
  HostCgroupRecord& record_;
};

}  // namespace

Result<HostCgroupPlan> plan_host_cgroup_in(std::vector<CgroupHierarchy> hierarchies, std::string_view cgroups_path,
                                           bool systemd, const HostLimits& limits, std::uint64_t memory_limit) {
  auto path = KATA_TRY(parse_cgroups_path(cgroups_path, systemd));
  HostCgroupPlan plan{std::string(cgroups_path), std::move(hierarchies), {}, limits, memory_limit};
  for (const auto& hierarchy : plan.hierarchies) plan.leaves.push_back(cgroup_dir_in(hierarchy, path));
  if (plan.hierarchies.empty())
    return make_error(ErrorKind::unsupported, "linux.cgroupsPath {}: no cgroup hierarchy is mounted on this host",
                      cgroups_path);
  return plan;
}

namespace {

// The plan for the spec's cgroupsPath on this host with `limits`.
Result<std::optional<HostCgroupPlan>> plan_on_this_host(const oci::Spec& spec, bool systemd, const HostLimits& limits,
                                                        std::uint64_t memory_limit) {
  if (!spec.linux_config || !spec.linux_config->cgroups_path || spec.linux_config->cgroups_path->empty()) return std::optional<HostCgroupPlan>();
  auto mountinfo = KATA_TRY(read_file("/proc/self/mountinfo", 16 << 20));
  auto self_cgroup = KATA_TRY(read_file("/proc/self/cgroup", 1 << 20));
  auto hierarchies = KATA_TRY(parse_cgroup_hierarchies(mountinfo, self_cgroup));
  std::optional<HostCgroupPlan> plan =
      KATA_TRY(plan_host_cgroup_in(std::move(hierarchies), *spec.linux_config->cgroups_path, systemd, limits, memory_limit));
  return plan;
}

}  // namespace

Result<std::optional<HostCgroupPlan>> plan_host_cgroup(const oci::Spec& spec, bool systemd,
                                                       std::uint64_t memory_limit) {
  return plan_on_this_host(spec, systemd, host_limits_of(spec), memory_limit);
}

Result<std::optional<HostCgroupPlan>> plan_member_host_cgroup(const oci::Spec& spec, bool systemd) {
  return plan_on_this_host(spec, systemd, HostLimits{}, 0);
}

Result<HostCgroupRecord> create_host_cgroup(const HostCgroupPlan& plan) {
  HostCgroupRecord record{plan.cgroups_path, {}, {}, plan.memory_limit};
  ScopeExit undo([&] { (void)remove_host_cgroup(record); });
  Creator creator(plan, record);
  for (std::size_t i = 0; i < plan.hierarchies.size(); ++i) KATA_TRY(creator.make(plan.hierarchies[i], plan.leaves[i]));
  // Limits before any process joins, so the VM never runs unbounded.
  KATA_TRY(update_host_cgroup(record, plan.limits));
  undo.dismiss();
  return record;
}

Result<void> join_host_cgroup(const std::vector<std::string>& leaves, pid_t pid) {
  for (const auto& leaf : leaves)
    KATA_TRY(write_cgroup_file(leaf + "/cgroup.procs", std::to_string(pid)).wrap("join the host cgroup"));
  return ok();
}

std::vector<std::string> leaf_paths(const HostCgroupRecord& record) {
  std::vector<std::string> paths;
  for (const auto& leaf : record.leaves) paths.push_back(leaf.path);
  return paths;
}

Result<void> update_host_cgroup(const HostCgroupRecord& record, const HostLimits& limits) {
  for (const auto& leaf : record.leaves) {
    if (!leaf.created) continue;
    KATA_TRY(apply_writes(leaf.path, writes_for(leaf, limits, record.memory_limit))
                 .wrap(fmt::format("linux.cgroupsPath {}", record.cgroups_path)));
  }
  return ok();
}

Result<void> raise_host_memory_limit(HostCgroupRecord& record, std::uint64_t added_bytes) {
  record.memory_limit += added_bytes;
  for (const auto& leaf : record.leaves) {
    if (!leaf.created || !contains(leaf.controllers, "memory")) continue;
    std::string file = leaf.path + (leaf.unified ? "/memory.max" : "/memory.limit_in_bytes");
    auto current = KATA_TRY(read_cgroup_file(file).wrap(fmt::format("linux.cgroupsPath {}", record.cgroups_path)));
    // "max" (v2) or v1's page-rounded INT64_MAX: no limit to raise.
    std::uint64_t value = 0;
    auto text = std::string_view(current).substr(0, current.find_first_of(" \n"));
    auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (failure != std::errc() || end != text.data() + text.size() || value >= (std::uint64_t{1} << 62)) continue;
    KATA_TRY(write_cgroup_file(file, std::to_string(record.memory_limit))
                 .wrap(fmt::format("linux.cgroupsPath {}", record.cgroups_path)));
  }
  return ok();
}

Result<void> remove_host_cgroup(const HostCgroupRecord& record) {
  // Every directory is tried (other hierarchies' may go even if one stays);
  // the first failure is the error.
  Result<void> outcome = ok();
  for (auto dir = record.created_dirs.rbegin(); dir != record.created_dirs.rend(); ++dir) {
    // A process just killed leaves its cgroup a moment after it is reaped.
    for (int attempt = 0;; ++attempt) {
      if (::rmdir(dir->c_str()) == 0 || errno == ENOENT) break;
      // A parent kata made that now holds another container's cgroup (the
      // same cgroupsPath parent, made by whichever came first) stays for it.
      if (errno == EBUSY && has_child_cgroup(*dir)) break;
      if (errno != EBUSY || attempt == 50) {
        if (outcome) outcome = sys_error(errno, "remove the host cgroup {}", *dir);
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  return outcome;
}

}  // namespace kata::runtime
