#include "hypervisor/accel.hpp"

#include <doctest/doctest.h>

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
  auto choice = resolve_accel(AccelSetting::automatic, "/dev/null");
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
