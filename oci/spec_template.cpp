#include "oci/spec_template.hpp"

#include <unistd.h>

namespace kata::oci {

namespace {

using nlohmann::json;

json mount(const char* destination, const char* type, const char* source, json options) {
  json entry = {{"destination", destination}, {"type", type}, {"source", source}};
  if (!options.empty()) entry["options"] = std::move(options);
  return entry;
}

json id_mapping(std::uint32_t host_id) { return json::array({{{"containerID", 0}, {"hostID", host_id}, {"size", 1}}}); }

}  // namespace

nlohmann::json default_spec(bool rootless) {
  return default_spec(rootless, static_cast<std::uint32_t>(geteuid()), static_cast<std::uint32_t>(getegid()));
}

nlohmann::json default_spec(bool rootless, std::uint32_t host_uid, std::uint32_t host_gid) {
  // runc's defaults: enough for a shell, nothing a container escape could use.
  const json capabilities = json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  json devpts_options = json::array({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"});
  // Without a mapping for gid 5 (tty) a rootless devpts mount would fail.
  if (!rootless) devpts_options.push_back("gid=5");

  json mounts = json::array({
      mount("/proc", "proc", "proc", json::array()),
      mount("/dev", "tmpfs", "tmpfs", json::array({"nosuid", "strictatime", "mode=755", "size=65536k"})),
      mount("/dev/pts", "devpts", "devpts", devpts_options),
      mount("/dev/shm", "tmpfs", "shm", json::array({"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"})),
      mount("/dev/mqueue", "mqueue", "mqueue", json::array({"nosuid", "noexec", "nodev"})),
      // A fresh sysfs needs a network namespace of one's own; rootless keeps
      // the host's network, so it bind-mounts /sys instead.
      rootless ? mount("/sys", "none", "/sys", json::array({"rbind", "nosuid", "noexec", "nodev", "ro"}))
               : mount("/sys", "sysfs", "sysfs", json::array({"nosuid", "noexec", "nodev", "ro"})),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", json::array({"nosuid", "noexec", "nodev", "relatime", "ro"})),
  });

  json namespaces = json::array();
  for (const char* type : {"pid", "network", "ipc", "uts", "mount"}) {
    if (rootless && std::string_view(type) == "network") continue;
    namespaces.push_back({{"type", type}});
  }

  json linux_section = json::object();
  if (rootless) {
    linux_section["uidMappings"] = id_mapping(host_uid);
    linux_section["gidMappings"] = id_mapping(host_gid);
    namespaces.push_back({{"type", "user"}});
  } else {
    linux_section["resources"] = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  }
  linux_section["namespaces"] = std::move(namespaces);
  linux_section["maskedPaths"] = json::array({"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                              "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                              "/proc/sched_debug", "/sys/firmware", "/proc/scsi"});
  linux_section["readonlyPaths"] =
      json::array({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"});

  return {
      {"ociVersion", kSpecVersion},
      {"process",
       {
           {"terminal", true},
           {"user", {{"uid", 0}, {"gid", 0}}},
           {"args", json::array({"sh"})},
           {"env", json::array({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"})},
           {"cwd", "/"},
           {"capabilities",
            {{"bounding", capabilities},
             {"effective", capabilities},
             {"permitted", capabilities},
             {"ambient", capabilities}}},
           {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
           {"noNewPrivileges", true},
       }},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "kata"},
      {"mounts", std::move(mounts)},
      {"linux", std::move(linux_section)},
  };
}

}  // namespace kata::oci
