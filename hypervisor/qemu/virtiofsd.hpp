#pragma once

#include <string>
#include <vector>

namespace kata::hypervisor::qemu {

/// How virtiofsd serves one sandbox's shared directory.
struct VirtiofsdConfig {
  std::string binary = "/usr/lib/qemu/virtiofsd";  ///< Debian 12 ships it with qemu-system-common
  std::string shared_dir;   ///< the sandbox's share/ directory, exported to the guest
  int socket_fd = 3;        ///< fd number of the already listening vhost-user socket in the child
  std::string cache = "auto";  ///< virtio_fs_cache: auto, always or none
  std::vector<std::string> extra_args;  ///< virtio_fs_extra_args from the configuration
  bool debug = false;
};

/// virtiofsd's argv (argv[0] is config.binary). The caller creates and
/// listens on the vhost-user socket and hands it over as `socket_fd`, so the
/// socket exists before QEMU starts and its path length never matters.
std::vector<std::string> build_virtiofsd_argv(const VirtiofsdConfig& config);

}  // namespace kata::hypervisor::qemu
