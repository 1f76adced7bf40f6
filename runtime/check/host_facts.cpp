#include "runtime/check/host_facts.hpp"

#include <sys/utsname.h>

#include <sstream>

namespace kata::runtime {

namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// PRETTY_NAME from /etc/os-release, without its quotes.
std::string distro(const HostProbe& probe) {
  auto os_release = probe.read_file("/etc/os-release");
  if (!os_release) return "unknown";
  std::istringstream lines(*os_release);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("PRETTY_NAME=", 0) != 0) continue;
    std::string value = line.substr(12);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return "unknown";
}

std::string cpu_model(const HostProbe& probe) {
  auto cpuinfo = probe.read_file("/proc/cpuinfo");
  if (!cpuinfo) return "unknown";
  std::istringstream lines(*cpuinfo);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon != std::string::npos) return trimmed(line.substr(line.find_first_not_of(" \t", colon + 1)));
  }
  return "unknown";
}

}  // namespace

nlohmann::ordered_json host_facts(const HostProbe& probe, const CheckReport& report) {
  utsname names{};
  ::uname(&names);
  nlohmann::ordered_json host;
  host["Kernel"] = trimmed(probe.read_file("/proc/sys/kernel/osrelease").value_or(names.release));
  host["Architecture"] = names.machine;
  host["Distro"] = distro(probe);
  host["CPU"] = cpu_model(probe);
  host["VMContainerCapable"] = report.verdict.capable;
  host["Accelerator"] = report.verdict.uses_kvm ? "kvm" : "tcg";
  host["SupportVSocks"] = probe.exists("/dev/vhost-vsock");
  return host;
}

}  // namespace kata::runtime
