#include "agent/modules.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using kata::agent::parse_load_order;

TEST_CASE("load order keeps the file's order and skips blanks and comments") {
  auto names = parse_load_order("# built by guest/build_image.sh\nvirtio_ring.ko\n\nvirtio.ko\r\nvirtiofs.ko");
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"virtio_ring.ko", "virtio.ko", "virtiofs.ko"});
}

TEST_CASE("load order rejects paths and non-module names") {
  for (std::string text : {"../evil.ko\n", "virtio.ko.xz\n", "kernel/fs/fuse.ko\n", ".ko\n"}) {
    CAPTURE(text);
    auto names = parse_load_order(text);
    REQUIRE_FALSE(names);
    CHECK(names.error().kind == kata::ErrorKind::invalid_argument);
  }
}

TEST_CASE("an empty load order lists no modules") {
  auto names = parse_load_order("");
  REQUIRE(names);
  CHECK(names->empty());
}
