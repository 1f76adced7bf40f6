#include "agent/restore.hpp"

#include <doctest/doctest.h>

#include <string>

using kata::ErrorKind;
using kata::agent::add_entropy;
using kata::agent::decode_hex;

TEST_CASE("entropy arrives hex-encoded and decodes to its bytes") {
  auto bytes = decode_hex("00ff7a10");
  REQUIRE(bytes);
  CHECK(*bytes == std::string("\x00\xff\x7a\x10", 4));
  CHECK(decode_hex("")->empty());
  for (const char* bad : {"0", "0g", "FF", "0x12"}) {
    CAPTURE(bad);
    auto decoded = decode_hex(bad);
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().kind == ErrorKind::invalid_argument);
  }
}

TEST_CASE("entropy for a device that is not a random device is an error naming the ioctl") {
  // /dev/null takes writes but not RNDADDENTROPY: the error says which step failed.
  auto added = add_entropy("/dev/null", "abcd");
  REQUIRE_FALSE(added);
  CHECK(added.error().message.find("RNDADDENTROPY") != std::string::npos);
}
