#include "runtime/check/host_checks.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "fakes/fake_host_probe.hpp"

using namespace kata;
using namespace kata::runtime;
using kata::testing::FakeHostProbe;

namespace {

const char* qemu = "/usr/bin/qemu-system-x86_64";
const char* virtiofsd = "/usr/lib/qemu/virtiofsd";
const char* kernel = "/usr/share/kata-containers/vmlinuz";
const char* initrd = "/usr/share/kata-containers/kata-initramfs.img";

// The .config of a kernel carrying everything kata's guest needs (kata's own).
const std::string kernel_config =
    "# Linux/x86 6.1.192 Kernel Configuration\nCONFIG_LOCALVERSION=\"-kata\"\n# CONFIG_MODULES is not set\n"
    "CONFIG_BLK_DEV_INITRD=y\nCONFIG_DEVTMPFS=y\nCONFIG_PROC_FS=y\nCONFIG_SYSFS=y\nCONFIG_TMPFS=y\n"
    "CONFIG_UNIX98_PTYS=y\nCONFIG_UNIX=y\nCONFIG_INET=y\nCONFIG_NAMESPACES=y\nCONFIG_UTS_NS=y\nCONFIG_IPC_NS=y\n"
    "CONFIG_PID_NS=y\nCONFIG_NET_NS=y\nCONFIG_SECCOMP_FILTER=y\nCONFIG_CGROUPS=y\nCONFIG_VIRTIO_CONSOLE=y\n"
    "CONFIG_FUSE_FS=y\nCONFIG_VIRTIO_FS=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_MEMCG=y\nCONFIG_CGROUP_PIDS=y\n"
    "CONFIG_CGROUP_SCHED=y\nCONFIG_CFS_BANDWIDTH=y\nCONFIG_CPUSETS=y\nCONFIG_USER_NS=y\nCONFIG_ACPI=y\n"
    "CONFIG_VIRTIO_NET=y\n";

CheckInputs default_inputs() {
  CheckInputs inputs;
  inputs.hypervisor_path = qemu;
  inputs.machine_type = "q35";
  inputs.accel = "auto";
  inputs.virtiofsd_path = virtiofsd;
  inputs.kernel_path = kernel;
  inputs.initrd_path = initrd;
  inputs.default_memory_mib = 512;
  inputs.state_root = "/proc";  // exists in every fixture tree; writable per the fake below
  inputs.config_source = "built-in defaults";
  inputs.agent_protocol_marker = "kata-agent-protocol=1";
  return inputs;
}

// A host fixture with a working QEMU, virtiofsd and guest image.
FakeHostProbe host(const std::string& name) {
  FakeHostProbe probe(std::string(KATA_FIXTURES_DIR) + "/host/" + name);
  probe.kvm.api_version = 12;
  probe.executables = {qemu, virtiofsd, kernel, "/proc"};
  probe.files[initrd] = std::string("070701...init\0", 14) + "kata-agent-protocol=1";
  probe.files[std::string(kernel) + ".config"] = kernel_config;
  probe.outputs[{qemu, "--version"}] = {0, "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n"};
  probe.outputs[{qemu, "-machine", "help"}] = {0, "Supported machines are:\nmicrovm              microvm (i386)\nq35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)\n"};
  probe.outputs[{qemu, "-accel", "help"}] = {0, "Accelerators supported in QEMU binary:\ntcg\nkvm\n"};
  probe.outputs[{virtiofsd, "--version"}] = {0, "virtiofsd version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n"};
  return probe;
}

const CheckResult& find(const CheckReport& report, const std::string& id) {
  auto it = std::find_if(report.checks.begin(), report.checks.end(), [&](const CheckResult& check) { return check.id == id; });
  REQUIRE_MESSAGE(it != report.checks.end(), "no check " << id);
  return *it;
}

}  // namespace

TEST_CASE("Intel host with KVM: capable with KVM, can create, strict passes") {
  auto probe = host("intel-kvm");
  auto report = run_host_checks(default_inputs(), probe);
  CHECK(find(report, "cpu.vendor").status == CheckStatus::pass);
  CHECK(find(report, "cpu.virtualization").fact.find("vmx") != std::string::npos);
  CHECK(find(report, "kvm.modules").fact.find("unrestricted_guest=Y") != std::string::npos);
  CHECK(find(report, "kvm.create_vm").status == CheckStatus::pass);
  CHECK(find(report, "guest.kernel.config").fact.find("kata's own kernel 6.1.192-kata") != std::string::npos);
  CHECK(report.verdict.capable);
  CHECK(report.verdict.uses_kvm);
  CHECK(report.verdict.can_create);
  CHECK(report.count(CheckStatus::fail) == 0);
  CHECK(report.count(CheckStatus::warn) == 0);
  CHECK(report.exit_code(true) == 0);
}

TEST_CASE("AMD host with KVM: svm and kvm_amd, missing vhost-vsock only warns") {
  auto probe = host("amd-kvm");
  auto report = run_host_checks(default_inputs(), probe);
  CHECK(find(report, "cpu.vendor").fact.find("AuthenticAMD") != std::string::npos);
  CHECK(find(report, "cpu.virtualization").fact.find("svm") != std::string::npos);
  CHECK(find(report, "kvm.modules").fact.find("kvm_amd") != std::string::npos);
  CHECK(find(report, "device.vhost-vsock").status == CheckStatus::warn);
  CHECK(report.verdict.uses_kvm);
  CHECK(report.exit_code(false) == 0);
  CHECK(report.exit_code(true) == 1);
}

TEST_CASE("host without virtualisation flags: capable with TCG only, strict fails") {
  auto probe = host("no-virt");
  auto report = run_host_checks(default_inputs(), probe);
  CHECK(find(report, "cpu.virtualization").status == CheckStatus::warn);
  CHECK(find(report, "kvm.device").status == CheckStatus::warn);
  CHECK(find(report, "kvm.device").fact.find("TCG") != std::string::npos);
  CHECK(find(report, "kernel.cgroup").fact.find("hybrid") != std::string::npos);
  CHECK(report.verdict.capable);
  CHECK_FALSE(report.verdict.uses_kvm);
  CHECK(report.exit_code(false) == 0);
  CHECK(report.exit_code(true) == 1);
  auto lines = verdict_lines(report);
  CHECK(lines[0] == "System is capable of running kata containers (with TCG software emulation, much slower)");
}

TEST_CASE("host without KVM fails when the configuration demands kvm") {
  auto probe = host("no-virt");
  auto inputs = default_inputs();
  inputs.accel = "kvm";
  auto report = run_host_checks(inputs, probe);
  CHECK(find(report, "kvm.device").status == CheckStatus::fail);
  CHECK_FALSE(report.verdict.capable);
  CHECK(report.exit_code(false) == 1);
  CHECK(verdict_lines(report)[0] == "ERROR: System is not capable of running kata containers");
}

TEST_CASE("/dev/kvm present but not accessible: says why and falls back to TCG") {
  auto probe = host("kvm-no-access");
  probe.kvm.open_errno = EACCES;
  probe.uid = 1000;
  auto report = run_host_checks(default_inputs(), probe);
  const auto& device = find(report, "kvm.device");
  CHECK(device.status == CheckStatus::warn);
  CHECK(device.fact.find("Permission denied") != std::string::npos);
  CHECK(device.fix.find("kvm group") != std::string::npos);
  CHECK_FALSE(report.verdict.uses_kvm);
  CHECK_FALSE(report.verdict.checked_create);  // not root: "can currently create" is not claimed
}

TEST_CASE("nested guest: reports the nesting and a failing KVM_CREATE_VM") {
  auto probe = host("nested-guest");
  probe.kvm.create_vm_errno = EBUSY;
  auto report = run_host_checks(default_inputs(), probe);
  CHECK(find(report, "cpu.nested").fact.find("inside a VM") != std::string::npos);
  const auto& create = find(report, "kvm.create_vm");
  CHECK(create.status == CheckStatus::warn);
  CHECK(create.fact.find("another hypervisor") != std::string::npos);
  CHECK_FALSE(report.verdict.uses_kvm);
  CHECK(report.verdict.capable);
}

TEST_CASE("missing QEMU, wrong machine type and missing guest image are failures with fixes") {
  SUBCASE("no QEMU") {
    auto probe = host("intel-kvm");
    probe.executables.erase(qemu);
    auto report = run_host_checks(default_inputs(), probe);
    CHECK(find(report, "hypervisor.binary").status == CheckStatus::fail);
    CHECK(find(report, "hypervisor.binary").fix.find("qemu-system-x86") != std::string::npos);
    CHECK_FALSE(report.verdict.capable);
  }
  SUBCASE("unsupported machine type") {
    auto probe = host("intel-kvm");
    auto inputs = default_inputs();
    inputs.machine_type = "virt";
    auto report = run_host_checks(inputs, probe);
    CHECK(find(report, "hypervisor.machine").status == CheckStatus::fail);
  }
  SUBCASE("no initramfs") {
    auto probe = host("intel-kvm");
    probe.files.clear();
    auto report = run_host_checks(default_inputs(), probe);
    CHECK(find(report, "guest.initrd").status == CheckStatus::fail);
    CHECK(report.verdict.capable);
    CHECK_FALSE(report.verdict.can_create);
    CHECK(report.exit_code(false) == 1);
  }
  SUBCASE("kernel without virtio-fs") {
    auto probe = host("intel-kvm");
    std::string config = kernel_config;
    config.replace(config.find("CONFIG_VIRTIO_FS=y"), 18, "CONFIG_VIRTIO_FS=m");
    probe.files[std::string(kernel) + ".config"] = config;
    auto report = run_host_checks(default_inputs(), probe);
    const auto& check = find(report, "guest.kernel.config");
    CHECK(check.status == CheckStatus::fail);
    CHECK(check.fact.find("CONFIG_VIRTIO_FS") != std::string::npos);
    CHECK_FALSE(report.verdict.can_create);
  }
  SUBCASE("kernel without a .config beside it") {
    auto probe = host("intel-kvm");
    probe.files.erase(std::string(kernel) + ".config");
    auto report = run_host_checks(default_inputs(), probe);
    CHECK(find(report, "guest.kernel.config").status == CheckStatus::warn);
    CHECK(report.verdict.can_create);
  }
  SUBCASE("agent of another protocol") {
    auto probe = host("intel-kvm");
    auto inputs = default_inputs();
    inputs.agent_protocol_marker = "kata-agent-protocol=2";
    auto report = run_host_checks(inputs, probe);
    CHECK(find(report, "guest.agent").status == CheckStatus::fail);
  }
}

TEST_CASE("too little memory for default_memory fails; a bad configuration fails") {
  auto probe = host("intel-kvm");
  auto inputs = default_inputs();
  inputs.default_memory_mib = 64 * 1024;
  inputs.config_error = "/etc/kata-containers/configuration.toml: hypervisor.qemu.default_vcpus: expected an integer";
  auto report = run_host_checks(inputs, probe);
  CHECK(find(report, "memory").status == CheckStatus::fail);
  CHECK(find(report, "config").status == CheckStatus::fail);
  CHECK(find(report, "config").fact.find("default_vcpus") != std::string::npos);
}

TEST_CASE("checking loads no module: a missing kvm_intel is reported, not fixed") {
  auto probe = host("no-virt");
  auto report = run_host_checks(default_inputs(), probe);
  const auto& modules = find(report, "kvm.modules");
  CHECK(modules.status == CheckStatus::warn);
  CHECK(modules.fix.find("never loads modules") != std::string::npos);
}

TEST_CASE("PVM host: /dev/kvm opens and creates VMs, yet kata uses TCG and says why") {
  auto probe = host("pvm-guest");
  auto report = run_host_checks(default_inputs(), probe);
  CHECK(find(report, "cpu.virtualization").status == CheckStatus::warn);
  CHECK(find(report, "kvm.device").status == CheckStatus::pass);
  CHECK(find(report, "kvm.create_vm").status == CheckStatus::pass);
  const auto& modules = find(report, "kvm.modules");
  CHECK(modules.status == CheckStatus::warn);
  CHECK(modules.fact.find("kvm_pvm") != std::string::npos);
  CHECK_FALSE(report.verdict.uses_kvm);
  CHECK(report.verdict.capable);
  CHECK(report.exit_code(true) == 1);
}
