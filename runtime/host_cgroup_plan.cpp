#include "runtime/host_cgroup_plan.hpp"

#include <algorithm>

#include "runtime/pod_member.hpp"
#include "runtime/share_dir.hpp"

namespace kata::runtime {

using nlohmann::json;

namespace {

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// The controllers a v1 hierarchy's super options name (the rest are mount
// options such as rw or clone_children).
std::vector<std::string> v1_controllers(std::string_view super_options) {
  static const std::vector<std::string> known = {"blkio", "cpu",     "cpuacct", "cpuset",     "devices",
                                                 "freezer", "hugetlb", "memory",  "misc",       "net_cls",
                                                 "net_prio", "perf_event", "pids", "rdma"};
  std::vector<std::string> controllers;
  for (auto& option : split(super_options, ',')) {
    if (option.starts_with("name=") || std::find(known.begin(), known.end(), option) != known.end())
      controllers.push_back(option);
  }
  std::sort(controllers.begin(), controllers.end());
  return controllers;
}

Error bad_path(std::string_view cgroups_path, std::string_view reason) {
  return make_error(ErrorKind::invalid_argument, "linux.cgroupsPath {}: {}", cgroups_path, reason);
}

// "a-b-c.slice" → "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root.
Result<std::string> expand_slice(std::string_view cgroups_path, std::string_view slice) {
  if (slice == "-.slice") return std::string("/");
  if (!slice.ends_with(".slice") || slice.find('/') != std::string_view::npos)
    return bad_path(cgroups_path, fmt::format("\"{}\" is not a systemd slice name", slice));
  auto name = slice.substr(0, slice.size() - 6);
  if (name.empty() || name.starts_with('-') || name.ends_with('-') || name.find("--") != std::string_view::npos)
    return bad_path(cgroups_path, fmt::format("\"{}\" is not a systemd slice name", slice));
  std::string path;
  std::string prefix;
  for (const auto& part : split(name, '-')) {
    prefix += prefix.empty() ? part : "-" + part;
    path += "/" + prefix + ".slice";
  }
  return path;
}

// Joins the components of `path`, refusing "..": absolute stays absolute.
Result<std::string> normalise(std::string_view cgroups_path, std::string_view path) {
  bool absolute = path.starts_with('/');
  std::string out;
  for (const auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return bad_path(cgroups_path, "\"..\" is not allowed in a cgroup path");
    if (!out.empty() || absolute) out += "/";
    out += part;
  }
  if (out.empty()) return bad_path(cgroups_path, "names the root cgroup, which holds the whole host");
  return out;
}

std::string join_paths(std::string base, std::string_view tail) {
  while (base.size() > 1 && base.ends_with('/')) base.pop_back();
  if (tail.starts_with('/')) tail.remove_prefix(1);
  if (tail.empty()) return base;
  if (base == "/") return "/" + std::string(tail);
  return base + "/" + std::string(tail);
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<std::vector<CgroupHierarchy>> parse_cgroup_hierarchies(std::string_view mountinfo,
                                                              std::string_view self_cgroup) {
  // /proc/self/cgroup: "ID:controllers:path"; v2's line is "0::path".
  std::vector<std::pair<std::vector<std::string>, std::string>> own;  // sorted controllers (empty: v2) → path
  for (const auto& line : split(self_cgroup, '\n')) {
    if (line.empty()) continue;
    auto first = line.find(':');
    auto second = first == std::string::npos ? std::string::npos : line.find(':', first + 1);
    if (second == std::string::npos) return make_error(ErrorKind::system, "/proc/self/cgroup: malformed line \"{}\"", line);
    auto controllers = split(std::string_view(line).substr(first + 1, second - first - 1), ',');
    std::erase(controllers, "");
    std::sort(controllers.begin(), controllers.end());
    own.emplace_back(std::move(controllers), line.substr(second + 1));
  }
  auto own_path = [&](const std::vector<std::string>& controllers) -> std::string {
    for (const auto& [names, path] : own)
      if (names == controllers) return path;
    return "/";
  };

  std::vector<CgroupHierarchy> hierarchies;
  for (const auto& line : split(mountinfo, '\n')) {
    if (line.empty()) continue;
    auto separator = line.find(" - ");
    if (separator == std::string::npos) return make_error(ErrorKind::system, "mountinfo: malformed line \"{}\"", line);
    auto before = split(std::string_view(line).substr(0, separator), ' ');
    auto after = split(std::string_view(line).substr(separator + 3), ' ');
    if (before.size() < 5 || after.size() < 3)
      return make_error(ErrorKind::system, "mountinfo: malformed line \"{}\"", line);
    const auto& type = after[0];
    if (type != "cgroup" && type != "cgroup2") continue;
    CgroupHierarchy hierarchy;
    hierarchy.mount_point = unescape_mountinfo(before[4]);
    hierarchy.unified = type == "cgroup2";
    if (!hierarchy.unified) hierarchy.controllers = v1_controllers(after[2]);
    auto same = [&](const CgroupHierarchy& seen) {
      return seen.unified == hierarchy.unified && seen.controllers == hierarchy.controllers;
    };
    if (std::any_of(hierarchies.begin(), hierarchies.end(), same)) continue;
    // A v1 mount without a controller or name is no hierarchy kata can use.
    if (!hierarchy.unified && hierarchy.controllers.empty()) continue;
    hierarchy.own_cgroup = own_path(hierarchy.controllers);
    hierarchies.push_back(std::move(hierarchy));
  }
  return hierarchies;
}

Result<std::string> parse_cgroups_path(std::string_view cgroups_path, bool systemd) {
  if (!systemd) return normalise(cgroups_path, cgroups_path);
  auto parts = split(cgroups_path, ':');
  if (parts.size() != 3)
    return bad_path(cgroups_path, "expected \"slice:prefix:name\" for systemd cgroups (--systemd-cgroup)");
  const std::string slice = parts[0].empty() ? "system.slice" : parts[0];
  const auto& prefix = parts[1];
  const auto& name = parts[2];
  if (name.empty() || name.find('/') != std::string::npos || prefix.find('/') != std::string::npos)
    return bad_path(cgroups_path, "the prefix and name of a systemd unit may not hold \"/\", and the name may not be empty");
  auto slice_path = KATA_TRY(expand_slice(cgroups_path, slice));
  // A scope unless the name is a slice (runc's rule); either sits in the slice.
  std::string unit = name.ends_with(".slice") ? name : (prefix.empty() ? name : prefix + "-" + name) + ".scope";
  return normalise(cgroups_path, join_paths(slice_path, unit));
}

std::string cgroup_dir_in(const CgroupHierarchy& hierarchy, const std::string& path) {
  if (path.starts_with('/')) return join_paths(hierarchy.mount_point, path);
  std::string base = hierarchy.unified ? parent_of(hierarchy.own_cgroup) : hierarchy.own_cgroup;
  return join_paths(join_paths(hierarchy.mount_point, base), path);
}

HostLimits host_limits_from(const oci::Resources& resources) {
  HostLimits limits;
  if (resources.cpu) {
    limits.cpu_shares = resources.cpu->shares;
    limits.cpu_quota = resources.cpu->quota;
    limits.cpu_period = resources.cpu->period;
    limits.cpus = resources.cpu->cpus;
    limits.mems = resources.cpu->mems;
  }
  if (resources.pids) limits.pids_limit = resources.pids->limit;
  limits.memory_limited = resources.memory && resources.memory->limit && *resources.memory->limit > 0;
  return limits;
}

HostLimits host_limits_of(const oci::Spec& spec) {
  if (is_marked_pod_sandbox(spec) || !spec.linux_config || !spec.linux_config->resources) return {};
  return host_limits_from(*spec.linux_config->resources);
}

HostLimits host_limits_from_json(const json& resources) {
  HostLimits limits;
  auto member = [](const json& object, const char* name) -> const json* {
    if (!object.is_object()) return nullptr;
    auto found = object.find(name);
    return found == object.end() || found->is_null() ? nullptr : &*found;
  };
  // Signed or unsigned JSON numbers alike: update's flags build signed ones.
  auto non_negative = [](const json* value) -> std::optional<std::uint64_t> {
    if (value == nullptr || !value->is_number_integer() || value->get<std::int64_t>() < 0) return std::nullopt;
    return value->get<std::uint64_t>();
  };
  auto integer = [](const json* value) -> std::optional<std::int64_t> {
    if (value == nullptr || !value->is_number_integer()) return std::nullopt;
    return value->get<std::int64_t>();
  };
  auto text = [](const json* value) -> std::optional<std::string> {
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return value->get<std::string>();
  };
  if (const json* cpu = member(resources, "cpu")) {
    limits.cpu_shares = non_negative(member(*cpu, "shares"));
    limits.cpu_quota = integer(member(*cpu, "quota"));
    limits.cpu_period = non_negative(member(*cpu, "period"));
    limits.cpus = text(member(*cpu, "cpus"));
    limits.mems = text(member(*cpu, "mems"));
  }
  if (const json* pids = member(resources, "pids")) limits.pids_limit = integer(member(*pids, "limit"));
  if (const json* memory = member(resources, "memory")) limits.memory_limited = integer(member(*memory, "limit")) > 0;
  return limits;
}

std::uint64_t cpu_weight_from_shares(std::uint64_t shares) {
  shares = std::clamp<std::uint64_t>(shares, 2, 262144);
  return 1 + (shares - 2) * 9999 / 262142;
}

std::vector<CgroupWrite> host_limit_writes(const HostLimits& limits, std::uint64_t memory_limit, bool unified) {
  std::vector<CgroupWrite> writes;
  auto quota_text = [&](const char* unlimited) {
    return *limits.cpu_quota > 0 ? std::to_string(*limits.cpu_quota) : std::string(unlimited);
  };
  bool has_quota = limits.cpu_quota && *limits.cpu_quota != 0;
  bool has_period = limits.cpu_period && *limits.cpu_period != 0;
  if (unified) {
    if (limits.cpu_shares && *limits.cpu_shares != 0)
      writes.push_back({"cpu", "cpu.weight", std::to_string(cpu_weight_from_shares(*limits.cpu_shares))});
    if (has_quota || has_period) {
      std::string value = has_quota ? quota_text("max") : "max";
      if (has_period) value += " " + std::to_string(*limits.cpu_period);
      writes.push_back({"cpu", "cpu.max", value});
    }
  } else {
    if (limits.cpu_shares && *limits.cpu_shares != 0)
      writes.push_back({"cpu", "cpu.shares", std::to_string(*limits.cpu_shares)});
    if (has_period) writes.push_back({"cpu", "cpu.cfs_period_us", std::to_string(*limits.cpu_period)});
    if (has_quota) writes.push_back({"cpu", "cpu.cfs_quota_us", quota_text("-1")});
  }
  if (limits.cpus && !limits.cpus->empty()) writes.push_back({"cpuset", "cpuset.cpus", *limits.cpus});
  if (limits.mems && !limits.mems->empty()) writes.push_back({"cpuset", "cpuset.mems", *limits.mems});
  if (limits.memory_limited)
    writes.push_back({"memory", unified ? "memory.max" : "memory.limit_in_bytes", std::to_string(memory_limit)});
  if (limits.pids_limit && *limits.pids_limit != 0)
    writes.push_back({"pids", "pids.max", *limits.pids_limit > 0 ? std::to_string(*limits.pids_limit) : "max"});
  return writes;
}

std::uint64_t sandbox_memory_limit(unsigned vm_memory_mib, unsigned overhead_mib) {
  return (static_cast<std::uint64_t>(vm_memory_mib) + overhead_mib) * 1024 * 1024;
}

json host_cgroup_to_json(const HostCgroupRecord& record) {
  json leaves = json::array();
  for (const auto& leaf : record.leaves)
    leaves.push_back(
        {{"path", leaf.path}, {"unified", leaf.unified}, {"controllers", leaf.controllers}, {"created", leaf.created}});
  return {{"cgroups_path", record.cgroups_path},
          {"leaves", leaves},
          {"created_dirs", record.created_dirs},
          {"memory_limit", record.memory_limit}};
}

Result<HostCgroupRecord> host_cgroup_from_json(const json& value) {
  auto bad = [](std::string_view key) {
    return make_error(ErrorKind::invalid_argument, "kata.host_cgroup.{}: missing or of the wrong type", key);
  };
  auto strings = [](const json& list, std::vector<std::string>& out) {
    if (!list.is_array()) return false;
    for (const auto& item : list) {
      if (!item.is_string()) return false;
      out.push_back(item.get<std::string>());
    }
    return true;
  };
  if (!value.is_object()) return make_error(ErrorKind::invalid_argument, "kata.host_cgroup: expected an object");
  HostCgroupRecord record;
  auto path = value.find("cgroups_path");
  if (path == value.end() || !path->is_string()) return bad("cgroups_path");
  record.cgroups_path = path->get<std::string>();
  auto dirs = value.find("created_dirs");
  if (dirs == value.end() || !strings(*dirs, record.created_dirs)) return bad("created_dirs");
  auto memory = value.find("memory_limit");
  if (memory == value.end() || !memory->is_number_unsigned()) return bad("memory_limit");
  record.memory_limit = memory->get<std::uint64_t>();
  auto leaves = value.find("leaves");
  if (leaves == value.end() || !leaves->is_array()) return bad("leaves");
  for (std::size_t i = 0; i < leaves->size(); ++i) {
    const json& entry = (*leaves)[i];
    std::string key = fmt::format("leaves[{}]", i);
    HostCgroupLeaf leaf;
    if (!entry.is_object() || !entry.contains("path") || !entry["path"].is_string() || !entry.contains("unified") ||
        !entry["unified"].is_boolean() || !entry.contains("created") || !entry["created"].is_boolean() ||
        !entry.contains("controllers") || !strings(entry["controllers"], leaf.controllers))
      return bad(key);
    leaf.path = entry["path"].get<std::string>();
    leaf.unified = entry["unified"].get<bool>();
    leaf.created = entry["created"].get<bool>();
    record.leaves.push_back(std::move(leaf));
  }
  return record;
}

}  // namespace kata::runtime
