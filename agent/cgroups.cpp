#include "agent/cgroups.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <sstream>

#include "common/fs.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {

namespace {

constexpr std::size_t max_file = 64 * 1024;

// cgroup files are written in place with one write(2) (the kernel parses
// each write as one value; write_file_atomic would rename over them). No
// O_CREAT: a missing file means a missing controller. O_TRUNC is ignored by
// cgroupfs and keeps plain files (tests) exact.
Result<void> write_value(const std::string& path, const std::string& value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return sys_error(errno, "open {}", path);
  KATA_TRY(write_all(fd.get(), value).wrap(path));
  return ok();
}

// "max" or a number.
Result<std::uint64_t> parse_limit(const std::string& text, const std::string& what) {
  std::string value = text.substr(0, text.find_first_of(" \n"));
  if (value == "max") return std::uint64_t{0};
  std::uint64_t number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (error != std::errc{} || end != value.data() + value.size() || value.empty()) {
    return make_error(ErrorKind::protocol, "{}: not a number: {}", what, value);
  }
  return number;
}

// A limit from the OCI JSON: a negative value means unlimited.
Result<std::string> limit_text(const nlohmann::json& value, const std::string& what) {
  if (!value.is_number_integer()) return make_error(ErrorKind::invalid_argument, "{}: must be an integer", what);
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  auto number = value.get<std::int64_t>();
  return number < 0 ? std::string("max") : std::to_string(number);
}

}  // namespace

void Cgroups::enable_controllers() const {
  for (const char* controller : {"+memory", "+cpu", "+pids"}) {
    (void)write_value(root_ + "/cgroup.subtree_control", controller);
  }
}

Result<void> Cgroups::create(const std::string& container_id) const {
  if (::mkdir(path(container_id).c_str(), 0755) < 0 && errno != EEXIST) {
    return sys_error(errno, "create cgroup {}", path(container_id));
  }
  return ok();
}

Result<void> Cgroups::write(const std::string& container_id, const std::string& file,
                            const std::string& value) const {
  return write_value(path(container_id) + "/" + file, value);
}

Result<std::string> Cgroups::read(const std::string& container_id, const std::string& file) const {
  return read_file(path(container_id) + "/" + file, max_file);
}

Result<std::vector<pid_t>> Cgroups::processes(const std::string& container_id) const {
  auto text = KATA_TRY(read(container_id, "cgroup.procs"));
  std::vector<pid_t> pids;
  std::istringstream lines(text);
  long pid = 0;
  while (lines >> pid) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

Result<void> Cgroups::freeze(const std::string& container_id, bool frozen) const {
  return write(container_id, "cgroup.freeze", frozen ? "1" : "0");
}

Result<void> Cgroups::kill_all(const std::string& container_id) const {
  return write(container_id, "cgroup.kill", "1");
}

Result<void> Cgroups::remove(const std::string& container_id) const {
  if (::rmdir(path(container_id).c_str()) < 0 && errno != ENOENT) {
    return sys_error(errno, "remove cgroup {}", path(container_id));
  }
  return ok();
}

Result<void> Cgroups::update(const std::string& container_id, const nlohmann::json& resources) const {
  if (!resources.is_object()) return make_error(ErrorKind::invalid_argument, "resources: must be an object");
  if (auto memory = resources.find("memory"); memory != resources.end() && memory->is_object()) {
    if (auto limit = memory->find("limit"); limit != memory->end()) {
      auto text = KATA_TRY(limit_text(*limit, "memory.limit"));
      KATA_TRY(write(container_id, "memory.max", text));
    }
  }
  if (auto cpu_it = resources.find("cpu"); cpu_it != resources.end() && cpu_it->is_object()) {
    // Through a reference: iterators into *cpu_it made GCC 12 see a null
    // dereference inside nlohmann's end() that cannot happen.
    const nlohmann::json& cpu = *cpu_it;
    auto quota = cpu.find("quota");
    auto period = cpu.find("period");
    if (quota != cpu.end() || period != cpu.end()) {
      // cpu.max is "<quota|max> <period>"; a missing half keeps the kernel's value.
      auto current = KATA_TRY(read(container_id, "cpu.max"));
      std::istringstream words(current);
      std::string quota_text = "max";
      std::string period_text = "100000";
      words >> quota_text >> period_text;
      if (quota != cpu.end()) quota_text = KATA_TRY(limit_text(*quota, "cpu.quota"));
      if (period != cpu.end()) period_text = KATA_TRY(limit_text(*period, "cpu.period"));
      KATA_TRY(write(container_id, "cpu.max", quota_text + " " + period_text));
    }
  }
  if (auto pids = resources.find("pids"); pids != resources.end() && pids->is_object()) {
    if (auto limit = pids->find("limit"); limit != pids->end()) {
      // runc: a limit <= 0 means unlimited.
      std::string text = KATA_TRY(limit_text(*limit, "pids.limit"));
      if (text == "0") text = "max";
      KATA_TRY(write(container_id, "pids.max", text));
    }
  }
  return ok();
}

Result<CgroupStats> Cgroups::stats(const std::string& container_id) const {
  CgroupStats stats;
  auto number = [&](const char* file) -> Result<std::uint64_t> {
    auto text = KATA_TRY(read(container_id, file));
    return parse_limit(text, file);
  };
  stats.memory_current = KATA_TRY(number("memory.current"));
  stats.memory_max = KATA_TRY(number("memory.max"));
  stats.pids_current = KATA_TRY(number("pids.current"));
  stats.pids_max = KATA_TRY(number("pids.max"));
  auto cpu_text = KATA_TRY(read(container_id, "cpu.stat"));
  std::istringstream cpu(cpu_text);
  std::string key;
  std::uint64_t value = 0;
  while (cpu >> key >> value) {
    if (key == "usage_usec") stats.cpu_usage_usec = value;
    if (key == "user_usec") stats.cpu_user_usec = value;
    if (key == "system_usec") stats.cpu_system_usec = value;
  }
  return stats;
}

}  // namespace kata::agent
