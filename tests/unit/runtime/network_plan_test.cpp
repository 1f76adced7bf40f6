#include "runtime/network/network_plan.hpp"

#include <doctest/doctest.h>

using namespace kata;
using namespace kata::runtime::network;

namespace {

// A podman/netavark-like namespace: lo, eth0 with IPv4 + IPv6 (and the
// kernel's link-local), the kernel's prefix routes and a default route.
NetnsSnapshot podman_like() {
  NetnsSnapshot snapshot;
  snapshot.links = {
      {1, "lo", "00:00:00:00:00:00", 65536, true},
      {2, "eth0", "02:42:0a:58:00:05", 1400, false},
  };
  snapshot.addresses = {
      {1, "127.0.0.1/8", false},
      {2, "10.88.0.5/16", false},
      {2, "fd00::5/64", false},
      {2, "fe80::42:aff:fe58:5/64", true},
  };
  RouteInfo kernel_prefix{2, "10.88.0.0/16", "", "10.88.0.5", 253, true, true, true, false};
  RouteInfo default_route{2, "default", "10.88.0.1", "", 0, true, true, false, false};
  RouteInfo extra{2, "192.168.50.0/24", "", "", 253, true, true, false, false};
  RouteInfo local_table{2, "10.88.0.5/32", "", "", 254, false, false, true, false};
  snapshot.routes = {kernel_prefix, default_route, extra, local_table};
  return snapshot;
}

}  // namespace

TEST_CASE("an interface with addresses is carried with its MAC, MTU and addresses; lo is not") {
  auto plan = plan_network(podman_like());
  REQUIRE(plan.ok());
  REQUIRE(plan->interfaces.size() == 1);
  const auto& eth0 = plan->interfaces[0];
  CHECK(eth0.ifindex == 2);
  CHECK(eth0.host_name == "eth0");
  CHECK(eth0.tap_name == "tap0_kata");
  CHECK(eth0.guest.mac == "02:42:0a:58:00:05");
  CHECK(eth0.guest.mtu == 1400);
  // The guest makes its own link-local address from the MAC.
  CHECK(eth0.guest.addresses == std::vector<std::string>{"10.88.0.5/16", "fd00::5/64"});
  REQUIRE(plan->guest.interfaces.size() == 1);
  CHECK(plan->guest.interfaces[0] == eth0.guest);
}

TEST_CASE("routes: the kernel's own and other tables are left out, on-link routes come before gateways") {
  auto plan = plan_network(podman_like());
  REQUIRE(plan.ok());
  REQUIRE(plan->guest.routes.size() == 2);
  CHECK(plan->guest.routes[0] == agent_client::NetworkRoute{"192.168.50.0/24", "", "eth0", "", 253});
  CHECK(plan->guest.routes[1] == agent_client::NetworkRoute{"default", "10.88.0.1", "eth0", "", 0});
}

TEST_CASE("links without addresses or MAC, kata's own taps and routes over them are not carried") {
  NetnsSnapshot snapshot;
  snapshot.links = {
      {3, "dummy0", "aa:aa:aa:aa:aa:aa", 1500, false},  // no address
      {4, "tap0_kata", "bb:bb:bb:bb:bb:bb", 1500, false},
      {5, "wg0", "", 1420, false},  // no Ethernet address: a tap cannot carry it
      {6, "eth1", "cc:cc:cc:cc:cc:cc", 9000, false},
  };
  snapshot.addresses = {{4, "10.1.0.1/24", false}, {5, "10.2.0.1/24", false}, {6, "10.3.0.2/24", false},
                        {3, "fe80::1/64", true}};
  snapshot.routes = {{5, "default", "10.2.0.254", "", 0, true, true, false, false},
                     {6, "10.9.0.0/16", "10.3.0.1", "", 0, true, true, false, true}};  // multipath
  auto plan = plan_network(snapshot);
  REQUIRE(plan.ok());
  REQUIRE(plan->interfaces.size() == 1);
  CHECK(plan->interfaces[0].host_name == "eth1");
  CHECK(plan->interfaces[0].tap_name == "tap0_kata");
  CHECK(plan->guest.routes.empty());
}

TEST_CASE("an empty namespace plans nothing; too many interfaces is an error") {
  auto empty = plan_network({});
  REQUIRE(empty.ok());
  CHECK(empty->interfaces.empty());
  CHECK(empty->guest.routes.empty());

  NetnsSnapshot crowded;
  for (int n = 0; n <= 64; ++n) {
    crowded.links.push_back({n + 10, "eth" + std::to_string(n), "02:00:00:00:00:01", 1500, false});
    crowded.addresses.push_back({n + 10, "10.0." + std::to_string(n) + ".2/24", false});
  }
  auto plan = plan_network(crowded);
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.error().kind == ErrorKind::invalid_argument);
}

TEST_CASE("tap names") {
  CHECK(tap_name(0) == "tap0_kata");
  CHECK(tap_name(12) == "tap12_kata");
  CHECK(is_kata_tap("tap3_kata"));
  CHECK_FALSE(is_kata_tap("eth0"));
  CHECK_FALSE(is_kata_tap("tap0"));
}
