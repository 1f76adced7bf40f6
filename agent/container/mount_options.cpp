#include "agent/container/mount_options.hpp"

#include <sys/mount.h>

#include <string_view>

namespace kata::agent {
namespace {

struct FlagOption {
  std::string_view name;
  bool clear;  // true: the option clears the flag ("rw", "suid")
  unsigned long flag;
};

constexpr FlagOption kFlagOptions[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},           {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},       {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},         {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},       {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},       {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},     {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},   {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"silent", false, MS_SILENT},       {"loud", true, MS_SILENT},
    {"lazytime", false, MS_LAZYTIME},   {"nolazytime", true, MS_LAZYTIME},
    {"bind", false, MS_BIND},           {"rbind", false, MS_BIND | MS_REC},
};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};

constexpr PropagationOption kPropagation[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

}  // namespace

bool MountOptions::bind() const { return (flags & MS_BIND) != 0; }

unsigned long parse_propagation(const std::string& name) {
  for (const auto& p : kPropagation) {
    if (p.name == name) return p.flags;
  }
  return 0;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions result;
  for (const auto& option : options) {
    bool known = false;
    for (const auto& f : kFlagOptions) {
      if (f.name != option) continue;
      if (f.clear) {
        result.flags &= ~f.flag;
      } else {
        result.flags |= f.flag;
      }
      known = true;
      break;
    }
    if (known) continue;
    if (unsigned long p = parse_propagation(option); p != 0) {
      result.propagation = p;
      continue;
    }
    // runc's own extension; the copy-up it asks for is not done here.
    if (option == "tmpcopyup") continue;
    if (!result.data.empty()) result.data += ',';
    result.data += option;
  }
  return result;
}

}  // namespace kata::agent
