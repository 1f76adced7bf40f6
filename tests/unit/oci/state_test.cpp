// oci/state.hpp: status names, RFC 3339 timestamps, the state document.

#include <doctest/doctest.h>

#include "oci/state.hpp"

using kata::oci::Status;

TEST_CASE("status names round-trip and unknown names are refused") {
  for (Status status : {Status::creating, Status::created, Status::running, Status::paused, Status::stopped}) {
    CHECK(kata::oci::parse_status(kata::oci::to_string(status)) == status);
  }
  CHECK(kata::oci::to_string(Status::paused) == "paused");
  CHECK_FALSE(kata::oci::parse_status("Running").has_value());
  CHECK_FALSE(kata::oci::parse_status("").has_value());
}

TEST_CASE("RFC 3339 timestamps round-trip with nanoseconds") {
  auto parsed = kata::oci::parse_rfc3339("2026-11-29T18:00:00.123456789Z");
  REQUIRE(parsed.has_value());
  CHECK(kata::oci::format_rfc3339(*parsed) == "2026-11-29T18:00:00.123456789Z");
  auto now = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  CHECK(kata::oci::parse_rfc3339(kata::oci::format_rfc3339(now)) == kata::oci::Timestamp(now));
}

TEST_CASE("RFC 3339 variants: no fraction, offsets; garbage refused") {
  auto plain = kata::oci::parse_rfc3339("1970-01-01T00:01:00Z");
  REQUIRE(plain.has_value());
  CHECK(plain->time_since_epoch() == std::chrono::seconds(60));
  auto offset = kata::oci::parse_rfc3339("1970-01-01T02:00:00+02:00");
  REQUIRE(offset.has_value());
  CHECK(offset->time_since_epoch() == std::chrono::seconds(0));
  CHECK(kata::oci::format_rfc3339(*offset) == "1970-01-01T00:00:00.000000000Z");
  for (const char* bad : {"", "yesterday", "2026-11-29 18:00:00Z", "2026-11-29T18:00:00", "2026-11-29T18:00:00.Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(kata::oci::parse_rfc3339(bad).has_value());
  }
}

TEST_CASE("state document: runc's fields, pid 0 once stopped") {
  kata::oci::State state;
  state.oci_version = "1.0.2-dev";
  state.id = "c1";
  state.status = Status::running;
  state.pid = 4242;
  state.bundle = "/b";
  state.rootfs = "/b/rootfs";
  state.created = *kata::oci::parse_rfc3339("2026-01-02T03:04:05.000000006Z");
  auto running = kata::oci::to_json(state);
  CHECK(running["pid"] == 4242);
  CHECK(running["status"] == "running");
  CHECK(running["created"] == "2026-01-02T03:04:05.000000006Z");
  CHECK(running["owner"] == "");
  CHECK_FALSE(running.contains("annotations"));

  state.status = Status::stopped;
  state.annotations["a"] = "b";
  auto stopped = kata::oci::to_json(state);
  CHECK(stopped["pid"] == 0);
  CHECK(stopped["status"] == "stopped");
  CHECK(stopped["annotations"]["a"] == "b");
}
