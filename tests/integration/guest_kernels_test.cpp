// The guest kernels through the built `kata` binary, black-box (label `vm`):
// the build's default kernel is the one containers see, and Debian's cloud
// kernel, selected by `kernel =` alone in the configuration (its initramfs,
// with the modules it loads, is found beside it), boots a container too;
// `kata check` names each; microvm boots kata's kernel with the host's
// clock. Three boots. Needs root (bind mounts, virtiofsd).

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "tests/support/kata_cli.hpp"

using namespace kata;
using namespace kata::test_support;
using nlohmann::json;

namespace {

// The fact `kata check --json` reported for check `id` ("" when absent).
std::string check_fact(const KataResult& result, const std::string& id) {
  json report = json::parse(result.out, nullptr, false);
  if (!report.is_object() || !report.contains("checks")) return "";
  for (const auto& check : report["checks"]) {
    if (check.value("id", "") == id) return check.value("status", "") + ": " + check.value("fact", "");
  }
  return "";
}

}  // namespace

TEST_CASE("the default guest kernel is the one containers run on") {
  KataSandboxes sandboxes({.name = "kata-guest-kernels"});
  auto uname = sandboxes.bundle("uname", {"/bin/uname", "-r"}, {.extra_applets = {"uname"}});
  auto result = sandboxes.kata({"run", "-b", uname, "default-kernel"});
  REQUIRE_MESSAGE(result.status == 0, describe(result));
  bool kata_kernel = test_guest_kernel_name() == "kata";
  CHECK_MESSAGE(result.out.ends_with(kata_kernel ? "-kata\n" : "-cloud-amd64\n"), result.out);
  sandboxes.check_gone("default-kernel");

  auto check = sandboxes.kata({"check", "--json"});
  std::string fact = check_fact(check, "guest.kernel.config");
  CHECK_MESSAGE(fact.starts_with("pass: "), fact);
  CHECK_MESSAGE(fact.find(kata_kernel ? "kata's own kernel" : "modules loaded from the initramfs") != std::string::npos, fact);
  CHECK_MESSAGE(fact.find(kata_kernel ? "ELF booted through PVH" : "bzImage") != std::string::npos, fact);
}

TEST_CASE("Debian's cloud kernel, named alone by kernel =, boots a container with its modules") {
  KataSandboxes sandboxes({.name = "kata-debian-kernel"});
  std::string kernel = std::string(KATA_GUEST_DIR) + "/vmlinuz-debian";
  REQUIRE(std::filesystem::exists(kernel));
  // No initrd key: kata-initramfs-debian.img beside the kernel is the one used.
  std::string config = sandboxes.work() + "/debian.toml";
  REQUIRE(write_file_atomic(config, std::string("[hypervisor.qemu]\npath = \"") + KATA_QEMU + "\"\nkernel = \"" + kernel +
                                        "\"\nvirtio_fs_daemon = \"" + KATA_VIRTIOFSD +
                                        "\"\n[agent.kata]\ndial_timeout = 120\n")
              .ok());
  auto uname = sandboxes.bundle("uname", {"/bin/uname", "-r"}, {.extra_applets = {"uname"}});
  auto result = sandboxes.kata({"run", "-b", uname, "debian-kernel"}, config);
  REQUIRE_MESSAGE(result.status == 0, describe(result));
  CHECK_MESSAGE(result.out.ends_with("-cloud-amd64\n"), result.out);
  sandboxes.check_gone("debian-kernel");

  auto check = sandboxes.kata({"check", "--json"}, config);
  std::string fact = check_fact(check, "guest.kernel.config");
  CHECK_MESSAGE(fact.starts_with("pass: "), fact);
  CHECK_MESSAGE(fact.find("modules loaded from the initramfs") != std::string::npos, fact);
  CHECK_MESSAGE(fact.find("bzImage") != std::string::npos, fact);
}

TEST_CASE("machine_type microvm boots a container with kata's kernel, its clock the host's") {
  if (test_guest_kernel_name() != "kata") return;  // Debian's kernel has virtio-mmio only as a module
  KataSandboxes sandboxes({.name = "kata-microvm", .config = {.hypervisor_extra = "machine_type = \"microvm\"\n"}});
  auto clock = sandboxes.bundle("clock", {"/bin/date", "+%s"}, {.extra_applets = {"date"}});
  auto before = std::time(nullptr);
  auto result = sandboxes.kata({"run", "-b", clock, "microvm"});
  REQUIRE_MESSAGE(result.status == 0, describe(result));
  // The guest's wall clock came from the host (not 1970): within the run.
  long guest = std::atol(result.out.c_str());
  CHECK_MESSAGE(guest >= before - 2, result.out);
  CHECK_MESSAGE(guest <= std::time(nullptr) + 2, result.out);
  sandboxes.check_gone("microvm");
}
