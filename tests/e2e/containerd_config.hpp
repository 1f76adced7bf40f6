#pragma once
// The private containerd's config.toml: the system's stock file (Debian's:
// version 2, the CRI plugin's CNI paths) with only what a test daemon must
// own set over it, so the tests run the containerd an operator runs, not
// one configured from scratch.

#include <string>

namespace kata::e2e {

/// What the private containerd owns and how its CRI plugin reaches kata.
struct ContainerdConfigPaths {
  std::string dir;            ///< root/, state/ and the sockets go below it
  std::string cni_conf_dir;   ///< the CRI plugin's CNI network configurations (the stock one is the host's)
  std::string sandbox_image;  ///< the CRI plugin's pause image (an imported one: no registry is reachable)
  std::string kata_binary;    ///< BinaryName of the CRI runtime "kata" (runc v2 shim)
  std::string kata_root;      ///< its Root (the shim appends the namespace, k8s.io)
};

/// The name of the CRI runtime (RunPodSandbox's runtime_handler) that runs kata.
inline constexpr const char* kCriRuntime = "kata";
/// The same with the shim's SystemdCgroup option (kubelet's systemd cgroup
/// driver: cgroupsPath "slice:cri-containerd:id", kata --systemd-cgroup).
inline constexpr const char* kCriSystemdRuntime = "kata-systemd";

/// `stock` (a config.toml text) with `paths` set over it: root, state, the
/// gRPC and ttrpc sockets, the CRI plugin's cni.conf_dir and sandbox_image,
/// and the runtimes kCriRuntime (also the default) and kCriSystemdRuntime.
/// Throws toml::parse_error for a stock text that is not TOML,
/// std::runtime_error for one of another shape (a key this sets that is
/// not a table there).
std::string private_containerd_config(const std::string& stock, const ContainerdConfigPaths& paths);

}  // namespace kata::e2e
