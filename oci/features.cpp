#include "oci/features.hpp"

#include <string_view>
#include <vector>

#include "oci/known_names.hpp"
#include "oci/spec_template.hpp"

namespace kata::oci {

namespace {

// ---- The claims. Adjust here when the agent learns something new. --------
//
// The container runs in a guest VM whose agent implements namespaces,
// capabilities (libcap), seccomp (libseccomp, x86_64 guests) and mount(2)
// options. Nothing here may claim more than the agent does: engines refuse or
// rely on features by this document.
struct Claims {
  const char* oci_version_min = "1.0.0";
  const char* oci_version_max = kSpecVersion;
  std::vector<std::string_view> hooks = {"prestart",       "createRuntime", "createContainer",
                                         "startContainer", "poststart",     "poststop"};
  // mount(2) flags and propagation; no recursive mount_setattr variants
  // (rro, rnoexec, ...), no runc's tmpcopyup, no filesystem data options.
  std::vector<std::string_view> mount_options = {
      "async",    "atime",   "bind",       "defaults", "dev",       "diratime",    "dirsync",  "exec",
      "iversion", "lazytime", "mand",      "noatime",  "nodev",     "nodiratime",  "noexec",   "noiversion",
      "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "rbind",
      "relatime", "remount", "ro",         "rprivate", "rshared",   "rslave",      "runbindable", "rw",
      "shared",   "slave",   "strictatime", "suid",    "symfollow", "sync",        "unbindable"};
  // "time" is absent: the agent does not set up time namespaces.
  std::vector<std::string_view> namespaces = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"};
  bool cgroup_v1 = false;  // the guest kernel mounts cgroup2 only
  bool cgroup_v2 = true;
  bool cgroup_systemd = false;  // no systemd cgroup driver
  bool cgroup_systemd_user = false;
  bool cgroup_rdma = false;
  bool seccomp_enabled = true;
  std::vector<std::string_view> seccomp_archs = {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"};
  // Debian 12's libseccomp 2.5.4 cannot set WAIT_KILLABLE_RECV (needs 2.6).
  std::vector<std::string_view> seccomp_supported_flags = {
      "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  bool apparmor = false;  // no AppArmor inside the guest
  bool selinux = false;   // no SELinux inside the guest
  bool intel_rdt = false;
  bool idmap_mounts = false;
};

nlohmann::json names(std::span<const std::string_view> list) {
  nlohmann::json array = nlohmann::json::array();
  for (auto name : list) array.push_back(std::string(name));
  return array;
}

}  // namespace

nlohmann::json features_document() {
  const Claims claims;
  return {
      {"ociVersionMin", claims.oci_version_min},
      {"ociVersionMax", claims.oci_version_max},
      {"hooks", names(claims.hooks)},
      {"mountOptions", names(claims.mount_options)},
      {"linux",
       {
           {"namespaces", names(claims.namespaces)},
           // libcap in the agent applies every capability the guest kernel knows.
           {"capabilities", names(capability_names())},
           {"cgroup",
            {{"v1", claims.cgroup_v1},
             {"v2", claims.cgroup_v2},
             {"systemd", claims.cgroup_systemd},
             {"systemdUser", claims.cgroup_systemd_user},
             {"rdma", claims.cgroup_rdma}}},
           {"seccomp",
            {{"enabled", claims.seccomp_enabled},
             {"actions", names(seccomp_actions())},
             {"operators", names(seccomp_operators())},
             {"archs", names(claims.seccomp_archs)},
             {"knownFlags", names(seccomp_flags())},
             {"supportedFlags", names(claims.seccomp_supported_flags)}}},
           {"apparmor", {{"enabled", claims.apparmor}}},
           {"selinux", {{"enabled", claims.selinux}}},
           {"intelRdt", {{"enabled", claims.intel_rdt}}},
           {"mountExtensions", {{"idmap", {{"enabled", claims.idmap_mounts}}}}},
       }},
      // io.katacontainers.* keys will be listed here once the runtime reads them.
      {"annotations", nlohmann::json::object()},
  };
}

}  // namespace kata::oci
