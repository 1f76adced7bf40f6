#pragma once
// What the end-to-end tests share: running a program with its output in
// files, and one EngineHost per test binary that prepares podman and
// containerd to run the built kata with the build tree's guest image, in
// storage and state directories of their own under a temporary directory.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace kata::e2e {

/// How a program ended and what it printed.
struct ProgramResult {
  int status = -1;      ///< exit code, 128+signal, or -1 when it had to be killed at its deadline
  std::string out;      ///< everything it wrote to stdout
  std::string err;      ///< everything it wrote to stderr
  double seconds = 0;   ///< wall time from fork to reaping
};

/// Options of run_program.
struct RunOptions {
  std::string stdin_path = "/dev/null";
  std::chrono::seconds timeout{240};
};

/// Runs argv[0] (looked up in PATH) with stdout and stderr in files, not
/// pipes: a pipe would stay open as long as a detached container's conmon or
/// shim holds it. The process gets its own process group, which is killed at
/// the deadline.
ProgramResult run_program(const std::vector<std::string>& argv, const RunOptions& options = {});

/// "exit N / stdout / stderr" for failure messages.
std::string describe(const ProgramResult& result);

/// `word` single-quoted for /bin/sh (for command lines given to `sh -c`).
std::string shell_quote(const std::string& word);

/// `text` without trailing newlines, carriage returns and spaces (a command's output line).
std::string trim(std::string text);

/// Whether `text` contains `needle`.
bool contains(const std::string& text, const std::string& needle);

/// Where kata put a container and what must be gone after it was removed:
/// its state directory, processes naming that directory (QEMU, virtiofsd,
/// the monitor), mounts under it. Waits up to `patience` for processes to go
/// (they die with their monitor, a moment later). Empty when nothing is left.
std::vector<std::string> kata_leftovers(const std::string& kata_root, const std::string& id,
                                        std::chrono::milliseconds patience = std::chrono::seconds(10));

class CriClient;

/// The shared fixture: a temp directory with a configuration.toml naming the
/// build tree's kernel, initramfs, QEMU and virtiofsd; wrapper scripts named
/// `kata` that exec the built binary with that configuration (and, for
/// podman, its own --root); a busybox-static image in a private podman
/// storage; and, on first use, a private containerd with that image
/// imported, whose CRI plugin offers kata (kCriRuntime, kCriSystemdRuntime) on a CNI
/// bridge of the suite's own. Everything is removed when the test binary
/// exits.
class EngineHost {
 public:
  /// The one instance, built on first use (an import and, for containerd,
  /// a daemon start: a few seconds).
  static EngineHost& get();
  EngineHost(const EngineHost&) = delete;
  EngineHost& operator=(const EngineHost&) = delete;
  ~EngineHost();

  /// Runs `podman <isolating global flags> args...`.
  ProgramResult podman(const std::vector<std::string>& args, const RunOptions& options = {});
  /// `podman` and the global flags podman() adds (for a shell command line).
  std::vector<std::string> podman_argv() const;
  /// Runs `ctr --address <private socket> --namespace kata-e2e args...`,
  /// starting the private containerd first if needed.
  ProgramResult ctr(const std::vector<std::string>& args, const RunOptions& options = {});
  /// ctr() in containerd namespace `ns` (the CRI plugin's is k8s.io).
  ProgramResult ctr_in(const std::string& ns, const std::vector<std::string>& args, const RunOptions& options = {});

  /// The private containerd's CRI (a kubelet's view), on first use with
  /// kImage and kPauseImage imported into its k8s.io namespace.
  CriClient& cri();

  /// `ctr run` flags that make the runc v2 shim call kata: --runc-binary and
  /// --runc-root.
  std::vector<std::string> ctr_runtime_flags() const;

  /// The image both engines know: busybox-static with its applets.
  static constexpr const char* kImage = "localhost/kata-e2e-busybox:latest";
  /// The CRI plugin's sandbox_image: busybox whose command sleeps (what a pause container does).
  static constexpr const char* kPauseImage = "localhost/kata-e2e-pause:latest";
  /// The bridge the CRI's CNI network makes (only in the suite's network namespace).
  static constexpr const char* kCniBridge = "kata-cri0";
  /// That network's name (host-local's lease directory, libcni's cache entries).
  static constexpr const char* kCniNetwork = "kata-e2e-cri";
  /// The pods' addresses: the first three octets of that network's /24.
  static constexpr const char* kCniSubnetPrefix = "10.88.77.";
  /// kata's state root under containerd's CRI (the runtime's Root plus k8s.io).
  std::string cri_kata_root() const { return containerd_kata_base_ + "/k8s.io"; }
  /// Where containerd's shim keeps the CRI's task bundles.
  std::string cri_bundles() const { return work_ + "/containerd/state/io.containerd.runtime.v2.task/k8s.io"; }
  /// host-local's lease files of kCniNetwork (the suite's, not /var/lib/cni).
  std::string cni_ipam_dir() const { return work_ + "/cni/ipam"; }
  /// A path naming the network namespace the test binary started in (the
  /// host's, or its caller's), before it made its own.
  std::string outer_netns() const;
  /// kata's state root under podman (the wrapper's --root).
  const std::string& podman_kata_root() const { return podman_kata_root_; }
  /// The configuration.toml both engines' kata wrappers name.
  const std::string& kata_config() const { return config_; }
  /// kata's state root under containerd (ctr's --runc-root plus the namespace).
  const std::string& containerd_kata_root() const { return containerd_kata_root_; }
  /// Where containerd's shim keeps each task's bundle (rootfs mount, log.json).
  std::string containerd_bundles() const { return work_ + "/containerd/state/io.containerd.runtime.v2.task/kata-e2e"; }
  /// The temp directory everything lives in.
  const std::string& work() const { return work_; }
  /// A fresh empty directory under work() (for volumes, cid files, ...).
  std::string fresh_dir(const std::string& name);

 private:
  EngineHost();
  void set_up();
  void tear_down();
  void build_image();
  void start_containerd();
  void stop_containerd();
  void write_cni_config();
  void import_cri_images();
  void remove_cri_pods();
  void unmount_everything_under_work();

  std::string work_;
  std::string config_;
  std::string podman_wrapper_;
  std::string containerd_wrapper_;
  std::string podman_kata_root_;
  std::string containerd_kata_base_;
  std::string containerd_kata_root_;
  std::string containerd_dir_;
  int containerd_pid_ = -1;
  bool containerd_ready_ = false;
  int fresh_serial_ = 0;
  int outer_netns_fd_ = -1;
  std::unique_ptr<CriClient> cri_;
};

}  // namespace kata::e2e
