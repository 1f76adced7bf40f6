#pragma once
// OCI mount options ("ro", "nosuid", "rbind", "rslave", "mode=755") split into
// mount(2) flags, propagation flags and the filesystem's data string.

#include <string>
#include <vector>

namespace kata::agent {

/// The parsed options of one mount.
struct MountOptions {
  unsigned long flags = 0;        ///< MS_* flags for mount(2) (MS_BIND, MS_REC, MS_RDONLY...)
  unsigned long propagation = 0;  ///< MS_PRIVATE/SHARED/SLAVE/UNBINDABLE, maybe | MS_REC
  std::string data;               ///< comma-joined options the kernel flags do not cover
  bool bind() const;
};

/// Parses `options`: known flag names set or clear MS_* bits in order (so a
/// later "rw" undoes an earlier "ro"), the rest become the data string.
MountOptions parse_mount_options(const std::vector<std::string>& options);

/// Parses a propagation name ("rslave", "private"...) into MS_* flags; 0 if unknown.
unsigned long parse_propagation(const std::string& name);

}  // namespace kata::agent
