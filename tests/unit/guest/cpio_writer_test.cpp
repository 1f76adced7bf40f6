#include "guest/cpio_writer.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

using kata::guest::CpioWriter;

namespace {

// One parsed newc header field (8 hex digits) at `index` (0 = ino).
unsigned long field(const std::string& archive, std::size_t offset, int index) {
  return std::strtoul(archive.substr(offset + 6 + 8 * static_cast<std::size_t>(index), 8).c_str(), nullptr, 16);
}

}  // namespace

TEST_CASE("a newc archive holds each entry with fixed metadata, padded to 4 bytes, and a trailer") {
  CpioWriter writer;
  REQUIRE(writer.add_directory("dev", 0755));
  REQUIRE(writer.add_char_device("dev/console", 0600, 5, 1));
  REQUIRE(writer.add_file("init", 0755, "hello"));
  std::string archive = std::move(writer).finish();

  CHECK(archive.size() % 4 == 0);
  REQUIRE(archive.starts_with("070701"));
  // First entry: "dev", a directory with inode 1, uid/gid 0, mtime 0.
  CHECK(field(archive, 0, 0) == 1);
  CHECK(field(archive, 0, 1) == (S_IFDIR | 0755));
  CHECK(field(archive, 0, 2) == 0);
  CHECK(field(archive, 0, 3) == 0);
  CHECK(field(archive, 0, 5) == 0);
  CHECK(field(archive, 0, 11) == 4);  // "dev" + NUL
  CHECK(archive.substr(110, 4) == std::string("dev\0", 4));

  // Second entry starts after 110 + 4 name bytes (already aligned): the device.
  std::size_t second = 116;  // 110 + 4 = 114, padded to 116
  REQUIRE(archive.substr(second, 6) == "070701");
  CHECK(field(archive, second, 1) == (S_IFCHR | 0600));
  CHECK(field(archive, second, 9) == 5);
  CHECK(field(archive, second, 10) == 1);

  auto init = archive.find(std::string("init\0", 5));
  REQUIRE(init != std::string::npos);
  CHECK(archive.find("hello") != std::string::npos);
  CHECK(archive.find("TRAILER!!!") != std::string::npos);
}

TEST_CASE("the same entries give the same bytes") {
  auto build = [] {
    CpioWriter writer;
    REQUIRE(writer.add_directory("lib", 0755));
    REQUIRE(writer.add_file("lib/a.ko", 0644, std::string(1001, 'x')));
    return std::move(writer).finish();
  };
  CHECK(build() == build());
}

TEST_CASE("absolute or empty entry names are rejected") {
  CpioWriter writer;
  CHECK(writer.add_file("/init", 0755, "x").error().kind == kata::ErrorKind::invalid_argument);
  CHECK(writer.add_directory("", 0755).error().kind == kata::ErrorKind::invalid_argument);
}
