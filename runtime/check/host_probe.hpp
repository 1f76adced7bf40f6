#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace kata::runtime {

/// What opening /dev/kvm and asking it questions showed.
struct KvmProbe {
  bool present = false;       ///< the device node exists
  int open_errno = 0;         ///< 0 if it opened read-write, else why not
  int api_version = -1;       ///< KVM_GET_API_VERSION, -1 if not asked
  bool create_vm_tried = false;
  int create_vm_errno = 0;    ///< 0 if KVM_CREATE_VM succeeded
};

/// Output of a program run by a check.
struct CommandOutput {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together, truncated to a bound
};

/// Everything `kata check` learns about the host goes through this
/// interface, so unit tests run on fixture trees (tests/fixtures/host/)
/// instead of the real /proc, /sys and /dev. Nothing here changes the host:
/// it reads files, opens /dev/kvm and runs programs with query flags.
class HostProbe {
 public:
  virtual ~HostProbe() = default;
  /// Content of the host file at absolute `path` (bounded), nullopt if unreadable.
  virtual std::optional<std::string> read_file(const std::string& path) const = 0;
  /// Whether anything exists at absolute `path`.
  virtual bool exists(const std::string& path) const = 0;
  /// Whether the caller may access `path` with `mode` (access(2) bits).
  virtual bool accessible(const std::string& path, int mode) const = 0;
  /// Opens the KVM device and queries it; KVM_CREATE_VM only when asked.
  virtual KvmProbe probe_kvm(const std::string& device, bool try_create_vm) const = 0;
  /// Runs `argv` (no shell) with a time bound and returns what it printed.
  virtual Result<CommandOutput> run(const std::vector<std::string>& argv) const = 0;
  /// Effective uid of the caller.
  virtual uid_t euid() const = 0;
};

/// The real host, with /proc, /sys and /dev read under `root` ("/" normally;
/// a fixture directory in tests).
class SystemHostProbe : public HostProbe {
 public:
  /// `root` prefixes every file path read.
  explicit SystemHostProbe(std::string root = "/");
  std::optional<std::string> read_file(const std::string& path) const override;
  bool exists(const std::string& path) const override;
  bool accessible(const std::string& path, int mode) const override;
  KvmProbe probe_kvm(const std::string& device, bool try_create_vm) const override;
  Result<CommandOutput> run(const std::vector<std::string>& argv) const override;
  uid_t euid() const override;

 protected:
  /// `path` under the probe's root.
  std::string rooted(const std::string& path) const;

 private:
  std::string root_;
};

}  // namespace kata::runtime
