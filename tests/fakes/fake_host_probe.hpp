#pragma once
// A HostProbe over a fixture tree (tests/fixtures/host/<name>) whose KVM
// answers, program outputs and uid are set by the test.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/check/host_probe.hpp"

namespace kata::testing {

/// Files come from the fixture tree; everything a file cannot express is set here.
class FakeHostProbe : public runtime::SystemHostProbe {
 public:
  /// `fixture_root` stands for `/`.
  explicit FakeHostProbe(std::string fixture_root) : SystemHostProbe(std::move(fixture_root)) {}

  runtime::KvmProbe kvm;                                    ///< what /dev/kvm answers (presence comes from the tree)
  std::map<std::vector<std::string>, runtime::CommandOutput> outputs;  ///< argv → what it prints
  std::set<std::string> executables;                        ///< paths that count as executable/readable
  std::map<std::string, std::string> files;                 ///< host files outside the tree (e.g. the initramfs)
  uid_t uid = 0;

  std::optional<std::string> read_file(const std::string& path) const override {
    if (auto file = files.find(path); file != files.end()) return file->second;
    return SystemHostProbe::read_file(path);
  }
  bool accessible(const std::string& path, int mode) const override {
    if (executables.count(path) || files.count(path)) return true;
    return SystemHostProbe::accessible(path, mode);
  }
  runtime::KvmProbe probe_kvm(const std::string& device, bool try_create_vm) const override {
    runtime::KvmProbe result = kvm;
    result.present = exists(device);
    if (!result.present || result.open_errno != 0) return result;
    result.create_vm_tried = try_create_vm;
    if (!try_create_vm) result.create_vm_errno = 0;
    return result;
  }
  Result<runtime::CommandOutput> run(const std::vector<std::string>& argv) const override {
    auto output = outputs.find(argv);
    if (output == outputs.end()) return make_error(ErrorKind::not_found, "fake: no output for {}", argv[0]);
    return output->second;
  }
  uid_t euid() const override { return uid; }
};

}  // namespace kata::testing
