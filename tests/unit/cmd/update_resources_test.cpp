// `kata update`'s resources: runc's memory sizes and the object built from
// the individual flags or read from -r.
#include "cmd/update_resources.hpp"

#include <doctest/doctest.h>

using namespace kata;
using namespace kata::cmd;
using nlohmann::json;

TEST_CASE("memory sizes: bytes, binary units as go-units reads them, -1") {
  CHECK(parse_memory_size("4096").value() == 4096);
  CHECK(parse_memory_size("512m").value() == 512LL << 20);
  CHECK(parse_memory_size("512M").value() == 512LL << 20);
  CHECK(parse_memory_size("1g").value() == 1LL << 30);
  CHECK(parse_memory_size("1GiB").value() == 1LL << 30);
  CHECK(parse_memory_size("2kb").value() == 2048);
  CHECK(parse_memory_size("1.5k").value() == 1536);
  CHECK(parse_memory_size("10 m").value() == 10LL << 20);
  CHECK(parse_memory_size("100b").value() == 100);
  CHECK(parse_memory_size("-1").value() == -1);
  for (const char* bad : {"", "m", "-2", "12x", "1..5m", "1.5.2k", "1mm", ".5m", "5.", "lots"}) {
    auto parsed = parse_memory_size(bad);
    REQUIRE_MESSAGE(!parsed.ok(), bad);
    CHECK(parsed.error().kind == ErrorKind::invalid_argument);
    CHECK(parsed.error().message.find(std::string("\"") + bad + "\"") != std::string::npos);
  }
  CHECK_FALSE(parse_memory_size("99999999p").ok());
}

TEST_CASE("flags build only the members that were given") {
  UpdateOptions none;
  CHECK(resources_from_flags(none).value() == json::object());

  UpdateOptions options;
  options.memory = "64m";
  options.memory_swap = "-1";
  options.cpu_quota = 50000;
  options.cpu_period = 100000;
  options.cpu_share = 512;
  options.cpuset_cpus = "0";
  options.pids_limit = 20;
  options.blkio_weight = 300;
  options.kernel_memory = "1g";  // ignored, as by runc 1.1
  auto resources = resources_from_flags(options);
  REQUIRE(resources.ok());
  CHECK(*resources == json{{"memory", {{"limit", 64 << 20}, {"swap", -1}}},
                           {"cpu", {{"quota", 50000}, {"period", 100000}, {"shares", 512}, {"cpus", "0"}}},
                           {"pids", {{"limit", 20}}},
                           {"blockIO", {{"weight", 300}}}});

  UpdateOptions bad_memory;
  bad_memory.memory_reservation = "1q";
  auto refused = resources_from_flags(bad_memory);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.rfind("--memory-reservation: invalid memory size \"1q\"", 0) == 0);

  UpdateOptions rdt;
  rdt.l3_cache_schema = "L3:0=f";
  auto unsupported = resources_from_flags(rdt);
  REQUIRE_FALSE(unsupported.ok());
  CHECK(unsupported.error().kind == ErrorKind::unsupported);
}

TEST_CASE("the -r document must be a JSON object; errors name the source") {
  auto parsed = parse_resources_document(R"({"memory":{"limit":1048576}})", "/tmp/r.json");
  REQUIRE(parsed.ok());
  CHECK((*parsed)["memory"]["limit"] == 1048576);
  auto garbage = parse_resources_document("{memory", "/tmp/r.json");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().message == "--resources /tmp/r.json: not valid JSON");
  auto array = parse_resources_document("[]", "standard input");
  REQUIRE_FALSE(array.ok());
  CHECK(array.error().message.find("standard input: expected a JSON object") != std::string::npos);
}
