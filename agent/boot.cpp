#include "agent/boot.hpp"

#include "agent/console.hpp"
#include "agent/modules.hpp"
#include "agent/mounts.hpp"
#include "agent/security_libs.hpp"
#include "agent/signals.hpp"
#include "agent/virtio_port.hpp"
#include "common/fs.hpp"

namespace kata::agent {

namespace {

// The host announces port names shortly after virtio_console loads; under
// TCG that can take a while, and there is nothing useful to do without a port.
constexpr std::chrono::seconds port_timeout{30};

}  // namespace

Result<BootResult> boot() {
  BootResult result;
  KATA_TRY(make_root_pivotable().wrap("boot"));
  KATA_TRY(mount_base_filesystems().wrap("boot"));
  attach_console();
  console_log("filesystems mounted");

  // Without cgroups containers still run; only pause, limits and stats fail.
  auto cgroups = mount_cgroup2(kCgroupRoot);
  result.cgroups = cgroups.ok();
  if (!cgroups) console_log("no cgroups: {}", cgroups.error().message);

  result.signals = KATA_TRY(take_over_signals().wrap("boot"));

  auto cmdline = KATA_TRY(read_file("/proc/cmdline", 64 * 1024).wrap("boot"));
  result.config = KATA_TRY(parse_kernel_cmdline(cmdline).wrap("boot"));
  if (result.config.debug) console_log("{}", security_library_versions());

  auto modules = KATA_TRY(load_modules("/lib/modules").wrap("boot"));
  if (modules.built_in) {
    console_log("no modules to load (drivers built into the kernel)");
  } else {
    console_log("modules loaded ({})", modules.loaded);
  }

  result.port = KATA_TRY(open_virtio_port(result.config.port_name, port_timeout).wrap("boot"));
  console_log("agent port {} open", result.config.port_name);

  if (result.config.template_boot) {
    console_log("template boot: the share is mounted after a restore");
    return result;
  }
  KATA_TRY(mount_shared_dir(result.config.share_tag, result.config.share_mount).wrap("boot"));
  console_log("shared dir {} mounted on {}", result.config.share_tag, result.config.share_mount);
  return result;
}

}  // namespace kata::agent
