#include "hypervisor/qemu/virtiofsd.hpp"

#include <doctest/doctest.h>

using namespace kata::hypervisor::qemu;

TEST_CASE("virtiofsd argv exports the share over the inherited socket fd") {
  VirtiofsdConfig config;
  config.shared_dir = "/run/kata/c1/share";
  config.socket_fd = 3;
  std::vector<std::string> expected = {
      "/usr/lib/qemu/virtiofsd", "--fd=3", "-o", "source=/run/kata/c1/share", "-o", "cache=auto",
      "-o", "announce_submounts", "--rlimit-nofile=0",
  };
  CHECK(build_virtiofsd_argv(config) == expected);
}

TEST_CASE("virtiofsd argv carries cache mode, debug and extra arguments in order") {
  VirtiofsdConfig config;
  config.shared_dir = "/s";
  config.cache = "none";
  config.debug = true;
  config.extra_args = {"--thread-pool-size=4"};
  auto argv = build_virtiofsd_argv(config);
  CHECK(argv[5] == "cache=none");
  REQUIRE(argv.size() == 12);
  CHECK(argv[9] == "-o");
  CHECK(argv[10] == "log_level=debug");
  CHECK(argv[11] == "--thread-pool-size=4");
}
