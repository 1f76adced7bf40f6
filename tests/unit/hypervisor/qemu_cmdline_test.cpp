#include "hypervisor/qemu/qemu_cmdline.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "common/fs.hpp"

using namespace kata::hypervisor::qemu;

namespace {

QemuConfig sample_config() {
  QemuConfig config;
  config.name = "kata-c1";
  config.vcpus = 2;
  config.memory_mib = 384;
  config.kernel = "/usr/share/kata-containers/vmlinuz";
  config.initrd = "/usr/share/kata-containers/kata-initramfs.img";
  config.console_log = "/run/kata/c1/console.log";
  config.qmp_socket = "/run/kata/c1/qmp.sock";
  config.agent_socket = "/run/kata/c1/agent.sock";
  config.virtiofs_socket = "/run/kata/c1/virtiofsd.sock";
  return config;
}

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) text += arg + "\n";
  return text;
}

// Compares argv with a golden file, one argument per line. With
// KATA_UPDATE_GOLDEN=1 the golden file is rewritten instead.
void check_golden(const std::vector<std::string>& argv, const std::string& name) {
  std::string path = std::string(KATA_FIXTURES_DIR) + "/qemu/" + name;
  if (const char* update = std::getenv("KATA_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    REQUIRE(kata::write_file_atomic(path, joined(argv), 0644).ok());
  }
  auto golden = kata::read_file(path, 1 << 16);
  REQUIRE_MESSAGE(golden.ok(), golden.error().message);
  CHECK(joined(argv) == *golden);
}

bool has_pair(const std::vector<std::string>& argv, const std::string& option, const std::string& value) {
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == option && argv[i + 1] == value) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("q35 under TCG matches the golden argv") {
  check_golden(build_argv(sample_config()), "q35-tcg.argv");
}

TEST_CASE("q35 under KVM matches the golden argv") {
  auto config = sample_config();
  config.accel = Accel::kvm;
  config.debug = true;
  config.kernel_params = "agent.log=debug";
  check_golden(build_argv(config), "q35-kvm-debug.argv");
}

TEST_CASE("microvm under TCG matches the golden argv") {
  auto config = sample_config();
  config.machine = Machine::microvm;
  config.tsc_khz = 2400000;
  check_golden(build_argv(config), "microvm-tcg.argv");
}

TEST_CASE("a TCG translation cache size moves the accelerator to -accel") {
  auto config = sample_config();
  config.tcg_tb_size_mib = 64;
  auto argv = build_argv(config);
  CHECK(has_pair(argv, "-accel", "tcg,tb-size=64"));
  CHECK(has_pair(argv, "-machine", "q35,memory-backend=mem"));
  // Under KVM the size means nothing and the argv is the usual one.
  config.accel = Accel::kvm;
  CHECK(has_pair(build_argv(config), "-machine", "q35,accel=kvm,memory-backend=mem"));
  CHECK_FALSE(has_pair(build_argv(config), "-accel", "tcg,tb-size=64"));
}

TEST_CASE("the accelerator picks the CPU model") {
  auto config = sample_config();
  CHECK(has_pair(build_argv(config), "-cpu", "max"));
  config.accel = Accel::kvm;
  CHECK(has_pair(build_argv(config), "-cpu", "host"));
  CHECK(has_pair(build_argv(config), "-machine", "q35,accel=kvm,memory-backend=mem"));
}

TEST_CASE("a configured firmware is QEMU's -bios; none leaves QEMU's default") {
  auto config = sample_config();
  auto argv = build_argv(config);
  CHECK(std::find(argv.begin(), argv.end(), "-bios") == argv.end());
  config.firmware = "/usr/share/qemu/qboot.rom";
  CHECK(has_pair(build_argv(config), "-bios", "/usr/share/qemu/qboot.rom"));
}

TEST_CASE("memory is a shared memfd of the configured size") {
  auto config = sample_config();
  config.memory_mib = 1024;
  auto argv = build_argv(config);
  CHECK(has_pair(argv, "-object", "memory-backend-memfd,id=mem,size=1024M,share=on"));
  CHECK(has_pair(argv, "-m", "1024M"));
}

TEST_CASE("memory slots and a maximum reserve room for hot-added memory on q35 only") {
  auto config = sample_config();
  config.memory_mib = 512;
  config.memory_slots = 10;
  config.max_memory_mib = 4096;
  CHECK(memory_hotplug_possible(config));
  CHECK(has_pair(build_argv(config), "-m", "512M,slots=10,maxmem=4096M"));
  CHECK(kernel_command_line(config).find(" memhp_default_state=online") != std::string::npos);
  // No room above the boot memory, no slots, or microvm: a plain -m.
  for (auto edit : {+[](QemuConfig& c) { c.max_memory_mib = 512; }, +[](QemuConfig& c) { c.memory_slots = 0; },
                    +[](QemuConfig& c) { c.machine = Machine::microvm; }}) {
    auto plain = config;
    edit(plain);
    CHECK_FALSE(memory_hotplug_possible(plain));
    CHECK(has_pair(build_argv(plain), "-m", "512M"));
    CHECK(kernel_command_line(plain).find("memhp_default_state") == std::string::npos);
  }
}

TEST_CASE("a template's or clone's machine: memory from a file, a 9p share, empty PCIe ports, an incoming restore") {
  auto config = sample_config();
  config.virtiofs_socket.clear();
  config.memory_file = MemoryFile{"/run/kata-template/memory", false};
  config.share_9p_dir = "/run/kata/c1/share";
  config.hotplug_ports = 2;
  config.incoming = true;
  auto argv = build_argv(config);
  CHECK(has_pair(argv, "-object", "memory-backend-file,id=mem,size=384M,mem-path=/run/kata-template/memory,share=off"));
  CHECK(has_pair(argv, "-fsdev", "local,id=share9p,path=/run/kata/c1/share,security_model=passthrough,multidevs=remap"));
  CHECK(has_pair(argv, "-device", "virtio-9p-pci,fsdev=share9p,mount_tag=kataShared"));
  CHECK(has_pair(argv, "-device", "pcie-root-port,id=hotplug0,chassis=1,slot=1"));
  CHECK(has_pair(argv, "-device", "pcie-root-port,id=hotplug1,chassis=2,slot=2"));
  CHECK(argv.back() == "defer");
  CHECK(argv[argv.size() - 2] == "-incoming");
  config.memory_file->shared = true;
  CHECK(has_pair(build_argv(config), "-object",
                 "memory-backend-file,id=mem,size=384M,mem-path=/run/kata-template/memory,share=on"));
}

TEST_CASE("the standby NIC sits in the first port; a clone's first tap is its backend, the next ones hot-plug") {
  auto config = sample_config();
  config.hotplug_ports = 4;
  config.standby_nic = true;
  // A template: the device without a backend, and no -netdev.
  auto argv = build_argv(config);
  CHECK(has_standby_nic(config));
  CHECK(has_pair(argv, "-device", "virtio-net-pci,id=standby-nic,mac=02:6b:61:74:61:00,bus=hotplug0,romfile="));
  CHECK(std::none_of(argv.begin(), argv.end(), [](const std::string& arg) { return arg == "-netdev"; }));
  // A clone with a tap: the same device, backed by it, and no second device.
  config.net_devices = {{"net0", "02:42:0a:c8:00:02", 17}};
  argv = build_argv(config);
  CHECK(has_pair(argv, "-netdev", "tap,id=net0,fd=5"));
  CHECK(has_pair(argv, "-device",
                 "virtio-net-pci,id=standby-nic,mac=02:6b:61:74:61:00,bus=hotplug0,netdev=net0,romfile="));
  CHECK(std::count_if(argv.begin(), argv.end(),
                      [](const std::string& arg) { return arg.find("virtio-net") != std::string::npos; }) == 1);
  // Without a port for it, or on microvm, there is none.
  config.hotplug_ports = 0;
  CHECK_FALSE(has_standby_nic(config));
  CHECK(has_pair(build_argv(config), "-device", "virtio-net-pci,netdev=net0,mac=02:42:0a:c8:00:02,romfile="));
}

TEST_CASE("without a virtiofsd socket there is no shared filesystem device") {
  auto config = sample_config();
  config.virtiofs_socket.clear();
  auto argv = build_argv(config);
  CHECK(std::none_of(argv.begin(), argv.end(),
                     [](const std::string& arg) { return arg.find("vhost-user-fs") != std::string::npos; }));
}

TEST_CASE("the kernel command line carries tsc_early_khz only for microvm under TCG") {
  auto config = sample_config();
  config.tsc_khz = 2400000;
  CHECK(kernel_command_line(config).find("tsc_early_khz") == std::string::npos);
  config.machine = Machine::microvm;
  CHECK(kernel_command_line(config).find("tsc_early_khz=2400000") != std::string::npos);
  config.accel = Accel::kvm;
  CHECK(kernel_command_line(config).find("tsc_early_khz") == std::string::npos);
}

TEST_CASE("QEMU's QMP and agent sockets come as listening fds, not paths") {
  auto argv = build_argv(sample_config());
  CHECK(has_pair(argv, "-chardev", "socket,id=qmp,fd=3,server=on,wait=off"));
  CHECK(has_pair(argv, "-chardev", "socket,id=agent,fd=4,server=on,wait=off"));
  CHECK(std::none_of(argv.begin(), argv.end(),
                     [](const std::string& arg) { return arg.find("qmp.sock") != std::string::npos; }));
}

TEST_CASE("QEMU always runs sandboxed and never reboots") {
  auto argv = build_argv(sample_config());
  CHECK(std::find(argv.begin(), argv.end(), "-no-reboot") != argv.end());
  CHECK(has_pair(argv, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
}

TEST_CASE("tap net devices match the golden argv, fds numbered from kFirstNetFd") {
  QemuConfig config = sample_config();
  // host_fd is kata's own fd number: it must not leak into the argv.
  config.net_devices = {{"net0", "02:42:0a:c8:00:02", 17}, {"net1", "aa:bb:cc:dd:ee:01", 9}};
  auto argv = build_argv(config);
  check_golden(argv, "q35-tcg-net.argv");
  CHECK(has_pair(argv, "-netdev", "tap,id=net0,fd=5"));
  CHECK(has_pair(argv, "-netdev", "tap,id=net1,fd=6"));
  CHECK(has_pair(argv, "-device", "virtio-net-pci,netdev=net1,mac=aa:bb:cc:dd:ee:01,romfile="));

  config.machine = Machine::microvm;
  config.tsc_khz = 2000000;
  config.net_devices.resize(1);
  check_golden(build_argv(config), "microvm-tcg-net.argv");
  CHECK(has_pair(build_argv(config), "-device", "virtio-net-device,netdev=net0,mac=02:42:0a:c8:00:02"));
}

TEST_CASE("without net devices QEMU gets no network at all") {
  auto argv = build_argv(sample_config());
  CHECK(std::none_of(argv.begin(), argv.end(), [](const std::string& arg) { return arg == "-netdev"; }));
  CHECK(std::none_of(argv.begin(), argv.end(),
                     [](const std::string& arg) { return arg.find("virtio-net") != std::string::npos; }));
}
