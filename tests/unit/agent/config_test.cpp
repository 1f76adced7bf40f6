#include "agent/config.hpp"

#include <doctest/doctest.h>

#include <string>

using kata::ErrorKind;
using kata::agent::parse_kernel_cmdline;

TEST_CASE("kernel command line without kata options gives the defaults") {
  auto config = parse_kernel_cmdline("console=ttyS0 quiet cryptomgr.notests panic=-1\n");
  REQUIRE(config);
  CHECK(config->port_name == "agent.channel.0");
  CHECK(config->share_tag == "kataShared");
  CHECK(config->share_mount == "/run/kata-containers/shared");
  CHECK_FALSE(config->debug);
  CHECK_FALSE(config->template_boot);
}

TEST_CASE("kata.template marks a template boot, which mounts no share") {
  auto config = parse_kernel_cmdline("console=ttyS0 kata.template quiet");
  REQUIRE(config);
  CHECK(config->template_boot);
  CHECK_FALSE(config->debug);
  auto off = parse_kernel_cmdline("kata.template=0");
  REQUIRE(off);
  CHECK_FALSE(off->template_boot);
  CHECK_FALSE(parse_kernel_cmdline("kata.template=sometimes"));
}

TEST_CASE("kata options on the kernel command line override the defaults") {
  auto config = parse_kernel_cmdline("console=ttyS0 kata.port=my.port-1 quiet kata.share_tag=tag_2 kata.debug\n");
  REQUIRE(config);
  CHECK(config->port_name == "my.port-1");
  CHECK(config->share_tag == "tag_2");
  CHECK(config->debug);

  auto off = parse_kernel_cmdline("kata.debug=1 kata.debug=0");
  REQUIRE(off);
  CHECK_FALSE(off->debug);
}

TEST_CASE("bad or unknown kata options are invalid_argument errors") {
  for (std::string cmdline : {"kata.port=", "kata.port=a/b", "kata.share_tag=x;y", "kata.debug=maybe",
                              "kata.prot=agent", "kata.port=../../etc"}) {
    CAPTURE(cmdline);
    auto config = parse_kernel_cmdline(cmdline);
    REQUIRE_FALSE(config);
    CHECK(config.error().kind == ErrorKind::invalid_argument);
  }
}
