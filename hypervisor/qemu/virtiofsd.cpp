#include "hypervisor/qemu/virtiofsd.hpp"

#include <fmt/format.h>

namespace kata::hypervisor::qemu {

std::vector<std::string> build_virtiofsd_argv(const VirtiofsdConfig& config) {
  std::vector<std::string> argv = {
      config.binary,
      fmt::format("--fd={}", config.socket_fd),
      "-o", fmt::format("source={}", config.shared_dir),
      "-o", fmt::format("cache={}", config.cache),
      // The share holds the rootfs and each volume as bind mounts; announcing
      // them gives the guest distinct st_dev per mount, as on the host.
      "-o", "announce_submounts",
      // virtiofsd otherwise raises RLIMIT_NOFILE to ~1M, which fails on
      // hosts (and in containers) without CAP_SYS_RESOURCE; 0 keeps the limit.
      "--rlimit-nofile=0",
  };
  if (config.debug) argv.insert(argv.end(), {"-o", "log_level=debug"});
  argv.insert(argv.end(), config.extra_args.begin(), config.extra_args.end());
  return argv;
}

}  // namespace kata::hypervisor::qemu
