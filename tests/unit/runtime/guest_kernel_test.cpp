#include "runtime/check/guest_kernel.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using namespace kata::runtime;

namespace {

// The options kata's guest needs, all built in, as kata's own kernel has them.
std::string built_in_config() {
  return "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.1.192 Kernel Configuration\n#\n"
         "CONFIG_LOCALVERSION=\"-kata\"\n# CONFIG_MODULES is not set\n"
         "CONFIG_BLK_DEV_INITRD=y\nCONFIG_DEVTMPFS=y\nCONFIG_PROC_FS=y\nCONFIG_SYSFS=y\nCONFIG_TMPFS=y\n"
         "CONFIG_UNIX98_PTYS=y\nCONFIG_UNIX=y\nCONFIG_INET=y\nCONFIG_NAMESPACES=y\nCONFIG_UTS_NS=y\n"
         "CONFIG_IPC_NS=y\nCONFIG_PID_NS=y\nCONFIG_NET_NS=y\nCONFIG_SECCOMP_FILTER=y\nCONFIG_CGROUPS=y\n"
         "CONFIG_VIRTIO_CONSOLE=y\nCONFIG_FUSE_FS=y\nCONFIG_VIRTIO_FS=y\nCONFIG_VIRTIO_PCI=y\n"
         "CONFIG_VIRTIO_MMIO=y\nCONFIG_MEMCG=y\nCONFIG_CGROUP_PIDS=y\nCONFIG_CGROUP_SCHED=y\n"
         "CONFIG_CFS_BANDWIDTH=y\nCONFIG_CPUSETS=y\nCONFIG_USER_NS=y\nCONFIG_ACPI=y\nCONFIG_VIRTIO_NET=y\n";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

TEST_CASE("kata's kernel: named by its local version, built in, nothing missing") {
  auto facts = inspect_guest_kernel(built_in_config(), "q35", "", "");
  CHECK(facts.release == "6.1.192-kata");
  CHECK(facts.kata_kernel);
  CHECK_FALSE(facts.modular);
  CHECK(facts.missing.empty());
  CHECK(facts.lacking.empty());
}

TEST_CASE("a driver built as a module counts only when the initramfs holds it") {
  auto config = replace(replace(built_in_config(), "# CONFIG_MODULES is not set", "CONFIG_MODULES=y"),
                        "CONFIG_VIRTIO_FS=y", "CONFIG_VIRTIO_FS=m");
  config = replace(config, "CONFIG_LOCALVERSION=\"-kata\"", "CONFIG_LOCALVERSION=\"\"");
  auto with = inspect_guest_kernel(config, "q35", std::string("070701\0lib/modules/virtiofs.ko\0", 30), "");
  CHECK(with.modular);
  CHECK_FALSE(with.kata_kernel);
  CHECK(with.release == "6.1.192");
  CHECK(with.missing.empty());
  auto without = inspect_guest_kernel(config, "q35", "070701 init", "");
  CHECK(contains(without.missing, "CONFIG_VIRTIO_FS"));
}

TEST_CASE("a module never counts in a kernel without module support") {
  auto config = replace(built_in_config(), "CONFIG_FUSE_FS=y", "CONFIG_FUSE_FS=m");
  CHECK(contains(inspect_guest_kernel(config, "q35", "fuse.ko", "").missing, "CONFIG_FUSE_FS"));
}

TEST_CASE("the virtio transport follows the machine type") {
  auto no_mmio = replace(built_in_config(), "CONFIG_VIRTIO_MMIO=y\n", "");
  CHECK(inspect_guest_kernel(no_mmio, "q35", "", "").missing.empty());
  CHECK(contains(inspect_guest_kernel(no_mmio, "microvm", "", "").missing, "CONFIG_VIRTIO_MMIO"));
  auto no_pci = replace(built_in_config(), "CONFIG_VIRTIO_PCI=y\n", "# CONFIG_VIRTIO_PCI is not set\n");
  CHECK(contains(inspect_guest_kernel(no_pci, "q35", "", "").missing, "CONFIG_VIRTIO_PCI"));
}

TEST_CASE("options only some containers need are lacking, not missing") {
  auto config = replace(built_in_config(), "CONFIG_USER_NS=y\n", "");
  auto facts = inspect_guest_kernel(config, "q35", "", "");
  CHECK(facts.missing.empty());
  CHECK(contains(facts.lacking, "CONFIG_USER_NS"));
}

TEST_CASE("an ELF kernel needs the PVH entry point; a bzImage does not") {
  std::string elf("\x7f" "ELF\x02\x01\x01", 7);
  auto without_pvh = inspect_guest_kernel(built_in_config(), "q35", "", elf);
  CHECK(without_pvh.elf_image);
  CHECK(contains(without_pvh.missing, "CONFIG_PVH"));
  auto with_pvh = inspect_guest_kernel(built_in_config() + "CONFIG_PVH=y\n", "q35", "", elf);
  CHECK(with_pvh.missing.empty());
  // Any image without the ELF magic (a bzImage starts with its boot sector) needs no PVH.
  auto bzimage = inspect_guest_kernel(built_in_config(), "q35", "", std::string("\xfc\xea\x00\x00HdrS", 8));
  CHECK_FALSE(bzimage.elf_image);
  CHECK(bzimage.missing.empty());
}

TEST_CASE("the sidecar .config sits beside the kernel") {
  CHECK(guest_kernel_config_path("/usr/share/kata-containers/vmlinuz") ==
        "/usr/share/kata-containers/vmlinuz.config");
}

TEST_CASE("the compat syscall ABIs a kernel serves are read from its .config") {
  // kata's kernel: neither (its fragment leaves both out).
  auto kata = guest_abis_of(built_in_config() + "# CONFIG_IA32_EMULATION is not set\n# CONFIG_X86_X32_ABI is not set\n");
  CHECK_FALSE(kata.ia32);
  CHECK_FALSE(kata.x32);
  // Debian's cloud kernel: i386, not x32.
  auto debian = guest_abis_of(built_in_config() + "CONFIG_IA32_EMULATION=y\n# CONFIG_X86_X32_ABI is not set\n");
  CHECK(debian.ia32);
  CHECK_FALSE(debian.x32);
  auto both = guest_abis_of("CONFIG_X86_X32_ABI=y\nCONFIG_IA32_EMULATION=y");
  CHECK(both.ia32);
  CHECK(both.x32);
  // Whole lines only: a longer option's name does not count.
  CHECK_FALSE(guest_abis_of("CONFIG_IA32_EMULATION_X=y\nXCONFIG_X86_X32_ABI=y\n").ia32);
}
