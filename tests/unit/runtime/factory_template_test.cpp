#include "runtime/factory_template.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace kata::runtime;
using kata::hypervisor::qemu::Machine;
using kata::hypervisor::qemu::NetDevice;
using kata::hypervisor::qemu::QemuConfig;

namespace {

TemplateFingerprint sample() {
  TemplateFingerprint print;
  print.kernel = {"/usr/share/kata/vmlinuz", 4240384, 1764700000000000000};
  print.initrd = {"/usr/share/kata/kata-initramfs.img", 2097152, 1764700000000000001};
  print.qemu = {"/usr/bin/qemu-system-x86_64", 1000000, 1764000000000000000};
  print.memory_mib = 512;
  print.vcpus = 1;
  print.machine = "q35";
  print.accel = "tcg";
  print.memory_slots = 10;
  print.max_memory_mib = 24105;
  print.agent_protocol = "1.1";
  return print;
}

QemuConfig cold_boot() {
  QemuConfig qemu;
  qemu.memory_mib = 512;
  qemu.kernel_params = "quiet";
  qemu.virtiofs_socket = "/run/kata/c1/virtiofsd.sock";
  qemu.net_devices = {NetDevice{"net0", "02:42:ac:11:00:02", 7}};
  return qemu;
}

}  // namespace

TEST_CASE("a template matches only the boot it was made for, and says what differs") {
  auto saved = sample();
  CHECK(template_mismatch(saved, saved).empty());
  auto wanted = saved;
  wanted.memory_mib = 640;
  CHECK(template_mismatch(saved, wanted) == "memory: template 512 MiB, this boot 640 MiB");
  wanted = saved;
  wanted.kernel.mtime_ns += 1;
  CHECK(template_mismatch(saved, wanted) == "kernel: /usr/share/kata/vmlinuz changed since the template was made");
  wanted = saved;
  wanted.initrd.path = "/opt/initrd.img";
  CHECK(template_mismatch(saved, wanted).starts_with("initrd: template /usr/share/kata/kata-initramfs.img"));
  wanted = saved;
  wanted.accel = "kvm";
  CHECK(template_mismatch(saved, wanted) == "accelerator: template tcg, this boot kvm");
  wanted = saved;
  wanted.agent_protocol = "1.2";
  CHECK(template_mismatch(saved, wanted) == "agent protocol: template 1.1, this boot 1.2");
}

TEST_CASE("the template record round-trips through JSON; a damaged one names the key") {
  TemplateRecord record{sample(), "2026-12-02T21:30:00Z", 123456};
  auto parsed = template_record_from_json(template_record_to_json(record));
  REQUIRE(parsed);
  CHECK(parsed->fingerprint == record.fingerprint);
  CHECK(parsed->created == record.created);
  CHECK(parsed->state_bytes == 123456);
  auto damaged = template_record_to_json(record);
  damaged["vcpus"] = "one";
  auto refused = template_record_from_json(damaged);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("\"vcpus\"") != std::string::npos);
  CHECK_FALSE(template_record_from_json(nlohmann::json::array()));
}

TEST_CASE("a template shares its memory file and has no virtio-fs or NIC; a clone maps it copy-on-write") {
  auto made = template_qemu_config(cold_boot(), "/run/kata-template");
  REQUIRE(made.memory_file);
  CHECK(made.memory_file->path == "/run/kata-template/memory");
  CHECK(made.memory_file->shared);
  CHECK(made.virtiofs_socket.empty());
  CHECK(made.share_9p_dir == "/run/kata-template/empty");
  CHECK(made.net_devices.empty());
  CHECK(made.standby_nic);  // with no backend
  CHECK(made.hotplug_ports == template_nic_ports);
  CHECK(made.kernel_params == "quiet kata.template");
  CHECK_FALSE(made.incoming);

  auto clone = clone_qemu_config(cold_boot(), "/run/kata-template", "/run/kata/c1/share");
  REQUIRE(clone.memory_file);
  CHECK(clone.memory_file->path == "/run/kata-template/memory");
  CHECK_FALSE(clone.memory_file->shared);
  CHECK(clone.share_9p_dir == "/run/kata/c1/share");
  CHECK(clone.incoming);
  // The first tap backs the standby NIC; the others are plugged in after
  // the restore.
  auto two_nics = cold_boot();
  two_nics.net_devices.push_back(NetDevice{"net1", "02:42:ac:11:00:03", 8});
  auto clone_of_two = clone_qemu_config(two_nics, "/run/kata-template", "/run/kata/c1/share");
  CHECK(clone_of_two.net_devices == std::vector<NetDevice>{two_nics.net_devices.front()});
  CHECK(clone_of_two.standby_nic);
  // Everything that shapes the machine is the template's.
  CHECK(clone.kernel_params == made.kernel_params);
  CHECK(clone.hotplug_ports == made.hotplug_ports);
  CHECK(clone.memory_mib == made.memory_mib);
}

TEST_CASE("a template's fingerprint does not depend on the taps of the boot that asks") {
  auto qemu = cold_boot();
  qemu.binary = qemu.kernel = qemu.initrd = "/bin/sh";  // any file: only its identity counts
  auto with_tap = fingerprint_of(qemu, "");
  qemu.net_devices.clear();
  auto without = fingerprint_of(qemu, "");
  REQUIRE(with_tap);
  REQUIRE(without);
  CHECK(with_tap->machine_digest == without->machine_digest);
  qemu.memory_mib = 640;
  CHECK(fingerprint_of(qemu, "")->machine_digest != without->machine_digest);
}
