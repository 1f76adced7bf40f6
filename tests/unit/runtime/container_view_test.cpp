// The container's view plan: which share entries go where in the mount
// namespace of the container's pid, matching the guest spec's rewrite.
#include <doctest/doctest.h>

#include <string>

#include "oci/spec.hpp"
#include "runtime/bundle_rewrite.hpp"
#include "runtime/container_view.hpp"

using namespace kata;
using namespace kata::runtime;

TEST_CASE("the view binds each bind mount's share entry at its destination, with ro and rbind") {
  auto spec = oci::parse_spec(R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},"root":{"path":"rootfs","readonly":true},"mounts":[
    {"destination":"/proc","type":"proc","source":"proc"},
    {"destination":"/etc/hosts","type":"bind","source":"/var/hosts","options":["bind","ro"]},
    {"destination":"/dev/shm","type":"tmpfs","source":"shm"},
    {"destination":"/data","source":"/srv/data","options":["rbind","rw"]}]})");
  REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().message));
  auto plan = view_plan_for(*spec, "c1", "/run/kata/c1/share");
  CHECK(plan.rootfs == "/run/kata/c1/share/c1/rootfs");
  CHECK(plan.readonly);
  REQUIRE(plan.binds.size() == 2);
  CHECK(plan.binds[0] == ViewBind{"/run/kata/c1/share/c1/mounts/1", "/etc/hosts", true, false});
  CHECK(plan.binds[1] == ViewBind{"/run/kata/c1/share/c1/mounts/3", "/data", false, true});

  // The same share entries the guest spec names (mounts/<n> under the share).
  auto guest = rewrite_for_guest(*spec, "c1", "/bundle", "host");
  REQUIRE(guest.ok());
  for (const auto& mount : guest->mounts) {
    if (mount.target == "c1/rootfs") continue;
    bool in_view = false;
    for (const auto& bind : plan.binds) in_view = in_view || bind.source == "/run/kata/c1/share/" + mount.target;
    CHECK_MESSAGE(in_view, mount.target);
  }
}

TEST_CASE("a spec without mounts gives a view of the rootfs alone, writable unless root.readonly") {
  auto spec = oci::parse_spec(R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},"root":{"path":"/abs/rootfs"}})");
  REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().message));
  auto plan = view_plan_for(*spec, "x", "/s");
  CHECK(plan.rootfs == "/s/x/rootfs");
  CHECK(!plan.readonly);
  CHECK(plan.binds.empty());
}
