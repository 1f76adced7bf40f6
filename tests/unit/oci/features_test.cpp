// `kata features`: a well-formed document that claims only what kata has.

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "oci/features.hpp"
#include "oci/known_names.hpp"
#include "oci/spec.hpp"

namespace {

std::set<std::string> as_set(const nlohmann::json& array) {
  REQUIRE(array.is_array());
  std::set<std::string> names;
  for (const auto& name : array) {
    REQUIRE(name.is_string());
    CHECK(names.insert(name.get<std::string>()).second);  // no duplicates
  }
  return names;
}

}  // namespace

TEST_CASE("features: version range is what parse_spec accepts") {
  auto features = kata::oci::features_document();
  CHECK(features["ociVersionMin"] == "1.0.0");
  CHECK(features["ociVersionMax"] == "1.3.0");
  CHECK(kata::oci::is_supported_oci_version(features["ociVersionMin"].get<std::string>()));
  CHECK(kata::oci::is_supported_oci_version(features["ociVersionMax"].get<std::string>()));
}

TEST_CASE("features: every listed name is one the validator knows") {
  auto features = kata::oci::features_document();
  CHECK(as_set(features["hooks"]) ==
        std::set<std::string>{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"});
  const auto& linux_features = features["linux"];
  for (const auto& name : as_set(linux_features["namespaces"])) {
    CHECK(kata::oci::contains(kata::oci::namespace_types(), name));
  }
  CHECK_FALSE(as_set(linux_features["namespaces"]).contains("time"));
  auto caps = as_set(linux_features["capabilities"]);
  CHECK(caps.contains("CAP_SYS_ADMIN"));
  for (const auto& name : caps) CHECK(kata::oci::contains(kata::oci::capability_names(), name));
  const auto& seccomp = linux_features["seccomp"];
  CHECK(seccomp["enabled"] == true);
  CHECK(as_set(seccomp["actions"]).size() == kata::oci::seccomp_actions().size());
  CHECK(as_set(seccomp["operators"]).size() == kata::oci::seccomp_operators().size());
  CHECK(as_set(seccomp["archs"]) == std::set<std::string>{"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"});
  auto known = as_set(seccomp["knownFlags"]);
  for (const auto& flag : as_set(seccomp["supportedFlags"])) CHECK(known.contains(flag));
  auto mount_options = as_set(features["mountOptions"]);
  CHECK(mount_options.contains("ro"));
  CHECK(mount_options.contains("rbind"));
  CHECK_FALSE(mount_options.contains("rro"));  // needs mount_setattr, which the agent does not use
}

TEST_CASE("features: no claim for what the guest lacks") {
  auto linux_features = kata::oci::features_document()["linux"];
  CHECK(linux_features["apparmor"]["enabled"] == false);
  CHECK(linux_features["selinux"]["enabled"] == false);
  CHECK(linux_features["intelRdt"]["enabled"] == false);
  CHECK(linux_features["mountExtensions"]["idmap"]["enabled"] == false);
  CHECK(linux_features["cgroup"]["systemd"] == false);
  CHECK(linux_features["cgroup"]["systemdUser"] == false);
  CHECK(kata::oci::features_document()["annotations"].is_object());
}

TEST_CASE("every namespace type has its /proc name and clone flag, user first") {
  for (auto type : kata::oci::namespace_types()) {
    CAPTURE(type);
    const auto* kind = kata::oci::namespace_kind(type);
    REQUIRE(kind != nullptr);
    CHECK(kind->clone_flag != 0);
  }
  CHECK(kata::oci::namespace_kinds().size() == kata::oci::namespace_types().size());
  CHECK(kata::oci::namespace_kinds().front().type == "user");
  CHECK(kata::oci::namespace_kind("network")->proc_name == "net");
  CHECK(kata::oci::namespace_kind("mount")->proc_name == "mnt");
  CHECK(kata::oci::namespace_kind("net") == nullptr);
}
