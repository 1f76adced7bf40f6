# Sourced by the benchmarks: one configuration file per guest kernel found.
# write_guest_configs WORK GUEST writes WORK/<kernel>.toml for each of kata's
# kernel and Debian's whose vmlinuz-<kernel> and kata-initramfs-<kernel>.img
# are in GUEST, with $EXTRA_CONFIG appended to [hypervisor.qemu], and sets
# the array `kernels` to the kernels found (a missing one is reported).
write_guest_configs() {
  local work=$1 guest=$2 kernel
  kernels=()
  for kernel in kata debian; do
    if [[ ! -e $guest/vmlinuz-$kernel || ! -e $guest/kata-initramfs-$kernel.img ]]; then
      echo "no $kernel kernel in $guest: left out" >&2
      continue
    fi
    printf '[hypervisor.qemu]\nkernel = "%s"\ninitrd = "%s"\n%s\n' "$guest/vmlinuz-$kernel" \
      "$guest/kata-initramfs-$kernel.img" "${EXTRA_CONFIG:-}" >"$work/$kernel.toml"
    kernels+=("$kernel")
  done
}
