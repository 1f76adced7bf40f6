// Black-box helpers for tests that drive the built `kata` binary: running it
// with its output in files, looking for leftover processes and mounts, and a
// fixture owning a state root, a test configuration and busybox bundles.
// They use doctest assertions, so only test binaries may link them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.hpp"

namespace kata::test_support {

/// The outcome of one kata command.
struct KataResult {
  int status = -1;  ///< exit code, 128+signal, or -1 when it had to be killed
  std::string out;
  std::string err;
  std::string out_path;  ///< the file that got its stdout (a monitor may keep writing there)
};

/// A kata command started and not yet waited for; stdout and stderr go to
/// files (a pipe would stay open as long as a container's monitor holds it).
struct RunningKata {
  pid_t pid = -1;
  std::string out_path;
  std::string err_path;
};

/// Path of the built kata binary (the KATA_BINARY of the build tree).
const char* kata_binary();

/// The contents of `path`, or "" when it cannot be read.
std::string read_or_empty(const std::string& path);

/// `text` is non-empty and all decimal digits.
bool all_digits(const std::string& text);

/// "exit N / stdout / stderr" of a result, for assertion messages.
std::string describe(const KataResult& result);

/// Starts `kata <args>` with stdin from `stdin_path`, output in files under `work`.
RunningKata spawn_kata(const std::string& work, const std::vector<std::string>& args,
                       const std::string& stdin_path = "/dev/null");

/// The result of `running` given its wait status summary (exit code or
/// 128+signal; nullopt when it had to be killed): reads its output files.
KataResult collect_kata(const RunningKata& running, std::optional<int> status);

/// Waits (waitpid on its pid) up to `timeout`, SIGKILLs it past that, and collects its result.
KataResult finish_kata(const RunningKata& running, std::chrono::seconds timeout = std::chrono::seconds(180));

/// Runs `kata <args>` to completion (see spawn_kata and finish_kata).
KataResult run_kata(const std::string& work, const std::vector<std::string>& args,
                    const std::string& stdin_path = "/dev/null",
                    std::chrono::seconds timeout = std::chrono::seconds(180));

/// Pids of processes (not this one) whose command line names `needle` and
/// whose argv[0] contains `program` (any when empty).
std::vector<std::string> processes_naming(const std::string& needle, const std::string& program = "");

/// The lines of /proc/self/mountinfo.
std::vector<std::string> mountinfo_lines();

/// mountinfo lines whose mount point is under `dir`.
std::vector<std::string> mounts_under(const std::string& dir);

/// The guest kernel the tests boot: the build's default ("kata" or
/// "debian"), or the one KATA_TEST_GUEST_KERNEL names, so that the VM
/// suites can run with either kernel the build installs. Fails the test on
/// an unknown name.
std::string test_guest_kernel_name();
/// That kernel's image in the build's guest dir.
std::string test_guest_kernel();
/// The initramfs built for that kernel.
std::string test_guest_initrd();

/// What a test configuration.toml holds besides the build tree's QEMU, guest and virtiofsd.
struct ConfigOptions {
  std::string kernel;            ///< empty: the build tree's guest kernel
  std::string initrd;            ///< empty: the build tree's initramfs
  std::string hypervisor_extra;  ///< lines added to [hypervisor.qemu]
  int dial_timeout = 120;        ///< [agent.kata] dial_timeout, seconds
  std::string extra;             ///< whole sections appended at the end
};

/// The text of a test configuration.toml.
std::string kata_configuration(const ConfigOptions& options = {});

/// How a KataSandboxes fixture behaves where the test files differed.
struct SandboxOptions {
  std::string name = "kata-sandboxes";                 ///< prefix of the temp work dir
  ConfigOptions config;                                ///< of the default configuration
  std::chrono::seconds timeout{180};                   ///< per kata command
  bool check_root_mounts = true;                       ///< check_gone also wants no mount under the root
};

/// How bundle() makes a bundle's config.json and rootfs.
struct BundleOptions {
  bool terminal = false;
  std::string netns_path;                         ///< network namespace to join (empty: a new one)
  std::vector<std::string> extra_applets;         ///< busybox applets beyond the default ones
  std::function<void(nlohmann::json&)> edit;      ///< last change to config.json
};

/// A state root, a configuration pointing at the build tree's guest, and
/// bundles made from `kata spec` with a busybox rootfs.
class KataSandboxes {
 public:
  /// Makes the temp work dir and writes its configuration.toml.
  explicit KataSandboxes(SandboxOptions options = {});
  /// Ends what a test left, failed or not: `kata delete --force` of every
  /// container under the root, then SIGKILL of any process still naming the
  /// work dir (monitor, stand-in, QEMU, virtiofsd) and a detach of its mounts,
  /// so a failing test leaks no VM.
  virtual ~KataSandboxes();
  KataSandboxes(const KataSandboxes&) = delete;
  KataSandboxes& operator=(const KataSandboxes&) = delete;

  /// Writes `<work>/<name>.toml` with `options`; its path.
  std::string write_config(const std::string& name, const ConfigOptions& options);

  /// Starts kata with this root and configuration (or `config`).
  RunningKata spawn(std::vector<std::string> args, const std::string& config = "",
                    const std::string& stdin_path = "/dev/null");

  /// Runs kata with this root and configuration (or `config`) to completion.
  KataResult kata(std::vector<std::string> args, const std::string& config = "",
                  const std::string& stdin_path = "/dev/null");

  /// Waits for a command started by spawn() (the fixture's timeout unless `limit`).
  KataResult finish(const RunningKata& running, std::optional<std::chrono::seconds> limit = std::nullopt);

  /// A bundle `<work>/<name>` whose process runs `args`.
  std::string bundle(const std::string& name, const std::vector<std::string>& args, const BundleOptions& options = {});

  /// `kata state <id>`, which must succeed, parsed.
  nlohmann::json state(const std::string& id);

  /// Polls `kata state` until the container is stopped (or `limit` passes); the last state.
  nlohmann::json wait_stopped(const std::string& id, std::chrono::seconds limit = std::chrono::seconds(60));

  /// kata's private record of `id` (state.json).
  nlohmann::json record(const std::string& id);

  /// Nothing of container `id` is left: state dir, processes, mounts.
  void check_gone(const std::string& id);

  /// The state dir of container `id`.
  std::string dir_of(const std::string& id) const { return root_ + "/" + id; }
  const std::string& root() const { return root_; }
  const std::string& work() const { return work_.path(); }
  const std::string& config() const { return config_; }

 protected:
  /// Waits for `running` up to `limit`; tests that reap children their own way override it.
  virtual KataResult wait_for(const RunningKata& running, std::chrono::seconds limit);
  /// Called while polling for leftover processes (a subreaper reaps its zombies here).
  virtual void reap() {}

 private:
  SandboxOptions options_;
  TempDir work_;
  std::string root_;
  std::string config_;
};

}  // namespace kata::test_support
