#include "runtime/container_record.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace kata;
using namespace kata::runtime;

namespace {

ContainerRecord full_record() {
  ContainerRecord record;
  record.oci_version = "1.0.2";
  record.id = "web-1";
  record.status = oci::Status::running;
  record.pid = 4321;
  record.bundle = "/srv/bundles/web";
  record.rootfs = "/srv/bundles/web/rootfs";
  record.created = *oci::parse_rfc3339("2026-03-01T10:20:30.123456789Z");
  record.owner = "";
  record.annotations = {{"org.example/a", "1"}, {"b", "two"}};
  record.pid_start_time = 987654321ULL;
  record.monitor_pid = 4300;
  record.monitor_start_time = 987654000ULL;
  record.exit_status = 137;
  record.sandbox_id = "web-1";
  record.monitor_socket = "/run/kata/web-1/monitor.sock";
  record.qmp_socket = "/run/kata/web-1/qmp.sock";
  record.agent_socket = "/run/kata/web-1/agent.sock";
  record.virtiofsd_socket = "/run/kata/web-1/virtiofsd.sock";
  record.boot_timings = {{"vm_boot", 2712.5}, {"agent_dial", 40}, {"create_container", 12.25}};
  record.netns_path = "/run/netns/web-1";
  record.taps = {{"eth0", "tap0_kata"}, {"eth1", "tap1_kata"}};
  record.netns_id = network::NamespaceId{4, 4026532281};
  record.late_network = true;
  record.late_network_carried = true;
  return record;
}

std::string error_of(std::string_view text) {
  auto result = record_from_json(text);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::invalid_argument);
  return result.error().message;
}

}  // namespace

TEST_CASE("a record survives the JSON round trip field by field") {
  ContainerRecord record = full_record();
  auto parsed = record_from_json(record_to_json(record).dump());
  REQUIRE(parsed.ok());
  CHECK(*parsed == record);

  ContainerRecord minimal;
  minimal.id = "m";
  minimal.created = *oci::parse_rfc3339("2026-01-01T00:00:00Z");
  auto parsed_minimal = record_from_json(record_to_json(minimal).dump());
  REQUIRE(parsed_minimal.ok());
  CHECK(*parsed_minimal == minimal);
  CHECK_FALSE(parsed_minimal->exit_status.has_value());
  CHECK_FALSE(parsed_minimal->pid_start_time.has_value());
}

TEST_CASE("state.json uses runtime-spec names at the top level") {
  auto document = record_to_json(full_record());
  CHECK(document["ociVersion"] == "1.0.2");
  CHECK(document["status"] == "running");
  CHECK(document["pid"] == 4321);
  CHECK(document["kata"]["monitor_pid"] == 4300);
  CHECK(document["kata"]["boot_timings"][0]["phase"] == "vm_boot");
}

TEST_CASE("unknown keys are ignored so newer writers stay readable") {
  auto document = record_to_json(full_record());
  document["future_field"] = {1, 2, 3};
  document["kata"]["future_private"] = "x";
  auto parsed = record_from_json(document.dump());
  REQUIRE(parsed.ok());
  CHECK(*parsed == full_record());
}

TEST_CASE("corrupted or hand-edited state gives an error naming the key") {
  CHECK(error_of("").find("empty") != std::string::npos);
  CHECK(error_of("{\"id\": \"x\", ").find("not valid JSON") != std::string::npos);
  CHECK(error_of("[1,2]").find("expected an object") != std::string::npos);

  auto edit = [](auto change) {
    auto document = record_to_json(full_record());
    change(document);
    return error_of(document.dump());
  };
  CHECK(edit([](auto& d) { d["kata"]["monitor_pid"] = "12"; }) ==
        "kata.monitor_pid: expected an integer, got string");
  CHECK(edit([](auto& d) { d["pid"] = -1; }).rfind("pid: -1 is out of range", 0) == 0);
  CHECK(edit([](auto& d) { d["pid"] = 1e20; }).rfind("pid: expected an integer, got number", 0) == 0);
  CHECK(edit([](auto& d) { d["status"] = "dancing"; }) == "status: unknown status \"dancing\"");
  CHECK(edit([](auto& d) { d.erase("id"); }) == "id: missing");
  CHECK(edit([](auto& d) { d["id"] = "../etc"; }).rfind("id: invalid container id", 0) == 0);
  CHECK(edit([](auto& d) { d["created"] = "yesterday"; }).rfind("created:", 0) == 0);
  CHECK(edit([](auto& d) { d["annotations"]["k"] = 5; }) == "annotations.k: expected a string, got integer");
  CHECK(edit([](auto& d) { d["kata"]["exit_status"] = 300; }).rfind("kata.exit_status: 300 is out of range", 0) == 0);
  CHECK(edit([](auto& d) { d["kata"]["pid_start_time"] = -3; }) == "kata.pid_start_time: must not be negative");
  CHECK(edit([](auto& d) { d["kata"]["boot_timings"][1] = 3; }) ==
        "kata.boot_timings[1]: expected an object, got integer");
  CHECK(edit([](auto& d) { d["kata"]["boot_timings"][0].erase("ms"); }) == "kata.boot_timings[0].ms: missing");
  CHECK(edit([](auto& d) { d["kata"] = "oops"; }) == "kata: expected an object, got string");
  CHECK(edit([](auto& d) { d["kata"]["taps"][1].erase("tap"); }) == "kata.taps[1].tap: missing");
  CHECK(edit([](auto& d) { d["kata"]["netns_path"] = 7; }) == "kata.netns_path: expected a string, got integer");
  CHECK(edit([](auto& d) { d["kata"]["late_network"] = "yes"; }) ==
        "kata.late_network: expected a boolean, got string");
}

TEST_CASE("to_oci_state carries the OCI fields") {
  ContainerRecord record = full_record();
  oci::State state = to_oci_state(record);
  CHECK(state.id == record.id);
  CHECK(state.oci_version == record.oci_version);
  CHECK(state.status == oci::Status::running);
  CHECK(state.pid == 4321);
  CHECK(state.bundle == record.bundle);
  CHECK(state.rootfs == record.rootfs);
  CHECK(state.created == record.created);
  CHECK(state.annotations == record.annotations);
  CHECK(oci::to_json(state)["id"] == "web-1");
}
