#pragma once
// What a guest kernel carries, read from the .config installed beside it
// (`<kernel>.config`: guest/ installs vmlinuz-kata.config, the final config
// of kata's own kernel, and vmlinuz-debian.config, Debian's /boot/config).
// A sidecar rather than CONFIG_IKCONFIG: it works for any kernel whose config
// is at hand, and needs no decompression of the image.

#include <string>
#include <string_view>
#include <vector>

#include "seccomp/compile.hpp"

namespace kata::runtime {

/// The verdict on one guest kernel's configuration.
struct GuestKernelFacts {
  std::string release;        ///< "6.1.192-kata": the version in the config's header plus CONFIG_LOCALVERSION
  bool kata_kernel = false;   ///< built from guest/kernel/kata.config (CONFIG_LOCALVERSION="-kata")
  bool modular = false;       ///< CONFIG_MODULES=y: some drivers may come from the initramfs
  bool elf_image = false;     ///< an uncompressed ELF (vmlinux), which QEMU boots through its PVH entry
  std::vector<std::string> missing;  ///< options a container VM cannot boot without ("CONFIG_VIRTIO_FS")
  std::vector<std::string> lacking;  ///< options some container features need (limits, user namespaces, network)
};

/// Reads `config` (a kernel .config) against what kata's guest needs on
/// `machine_type` ("q35": virtio over PCI, "microvm": over MMIO). An option
/// built as a module counts only when `initrd` (an uncompressed cpio) holds
/// its module file, since that is where the agent loads modules from.
/// `image` is the kernel file's content (its first four bytes suffice): QEMU
/// boots an ELF only through its PVH entry point, so an ELF needs CONFIG_PVH;
/// a bzImage does not.
GuestKernelFacts inspect_guest_kernel(std::string_view config, std::string_view machine_type, std::string_view initrd,
                                      std::string_view image);

/// The compat syscall ABIs a kernel with this .config serves (what a
/// container's seccomp program must cover, seccomp::GuestAbis).
seccomp::GuestAbis guest_abis_of(std::string_view config);

/// The path `kata check` reads a kernel's .config from: `kernel` + ".config".
std::string guest_kernel_config_path(const std::string& kernel);

}  // namespace kata::runtime
