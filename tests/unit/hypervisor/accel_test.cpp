#include "hypervisor/accel.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace kata;
using namespace kata::hypervisor;

TEST_CASE("accel settings parse and refuse unknown names") {
  CHECK(*parse_accel_setting("auto") == AccelSetting::automatic);
  CHECK(*parse_accel_setting("kvm") == AccelSetting::kvm);
  CHECK(*parse_accel_setting("tcg") == AccelSetting::tcg);
  auto bad = parse_accel_setting("hvf");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::invalid_argument);
}

TEST_CASE("auto falls back to TCG with a reason when the KVM device is missing") {
  auto choice = resolve_accel(AccelSetting::automatic, "/nonexistent/kvm");
  REQUIRE(choice.ok());
  CHECK(choice->accel == qemu::Accel::tcg);
  CHECK(choice->reason.find("/nonexistent/kvm is not usable") != std::string::npos);
}

TEST_CASE("auto picks KVM when the device opens read-write") {
  // /dev/null stands in for a usable device node: it opens O_RDWR.
  auto choice = resolve_accel(AccelSetting::automatic, "/dev/null", std::string(KATA_FIXTURES_DIR) + "/host/intel-kvm/sys/module");
  REQUIRE(choice.ok());
  CHECK(choice->accel == qemu::Accel::kvm);
  CHECK(choice->reason.empty());
}

TEST_CASE("kvm demanded but unusable is an error naming the device") {
  auto choice = resolve_accel(AccelSetting::kvm, "/nonexistent/kvm");
  REQUIRE_FALSE(choice.ok());
  CHECK(choice.error().message.find("/nonexistent/kvm") != std::string::npos);
}

TEST_CASE("tcg is used when asked, whatever the host has") {
  auto choice = resolve_accel(AccelSetting::tcg, "/dev/null");
  REQUIRE(choice.ok());
  CHECK(choice->accel == qemu::Accel::tcg);
}

TEST_CASE("KVM provided by PVM is not used: stock guest kernels do not boot there") {
  auto sys_module = std::filesystem::temp_directory_path() / "kata-accel-test-modules";
  std::filesystem::create_directories(sys_module / "kvm");
  std::filesystem::create_directories(sys_module / "kvm_pvm");
  auto choice = resolve_accel(AccelSetting::automatic, "/dev/null", sys_module.string());
  auto demanded = resolve_accel(AccelSetting::kvm, "/dev/null", sys_module.string());
  std::filesystem::remove_all(sys_module);
  REQUIRE(choice.ok());
  CHECK(choice->accel == qemu::Accel::tcg);
  CHECK(choice->reason.find("kvm_pvm") != std::string::npos);
  REQUIRE_FALSE(demanded.ok());
  CHECK(demanded.error().kind == ErrorKind::unsupported);
}
