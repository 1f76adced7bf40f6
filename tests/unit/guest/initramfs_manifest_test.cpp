#include "guest/initramfs_manifest.hpp"

#include <doctest/doctest.h>

using kata::guest::EntryType;
using kata::guest::parse_manifest;

TEST_CASE("manifest lines become entries, sorted so parents precede children") {
  auto entries = parse_manifest(
      "# comment\n"
      "file /lib/modules/virtio.ko /build/virtio.ko 0644\n"
      "\n"
      "nod /dev/console 0600 c 5 1\n"
      "dir /lib/modules 0755\n"
      "dir /lib 0755\n"
      "dir /tmp 01777\n");
  REQUIRE(entries);
  REQUIRE(entries->size() == 5);
  kata::guest::sort_entries(*entries);
  CHECK((*entries)[0].path == "/dev/console");
  CHECK((*entries)[0].type == EntryType::char_device);
  CHECK((*entries)[0].major == 5);
  CHECK((*entries)[0].minor == 1);
  CHECK((*entries)[1].path == "/lib");
  CHECK((*entries)[2].path == "/lib/modules");
  CHECK((*entries)[3].path == "/lib/modules/virtio.ko");
  CHECK((*entries)[3].source == "/build/virtio.ko");
  CHECK((*entries)[3].mode == 0644);
  CHECK((*entries)[4].mode == 01777);
}

TEST_CASE("malformed manifest lines are invalid_argument errors") {
  for (std::string text : {"dir lib 0755\n", "dir /lib 0999\n", "file /init 0755\n", "nod /dev/sda 0600 b 8 0\n",
                           "dir / 0755\n", "dir /a/../b 0755\n", "link /a /b 0777\n"}) {
    CAPTURE(text);
    auto entries = parse_manifest(text);
    REQUIRE_FALSE(entries);
    CHECK(entries.error().kind == kata::ErrorKind::invalid_argument);
  }
}
