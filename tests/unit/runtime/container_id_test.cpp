#include "runtime/container_id.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace kata;
using kata::runtime::validate_container_id;

TEST_CASE("validate_container_id accepts runc's character set") {
  CHECK(validate_container_id("abc").ok());
  CHECK(validate_container_id("a.b-c_d+e").ok());
  CHECK(validate_container_id("ABC123").ok());
  CHECK(validate_container_id("...").ok());  // only "." and ".." are special
  CHECK(validate_container_id(std::string(64, 'f')).ok());
  CHECK(validate_container_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").ok());
  CHECK(validate_container_id(std::string(runtime::max_container_id_length, 'x')).ok());
}

TEST_CASE("validate_container_id rejects paths, dots, empties and odd bytes") {
  using namespace std::string_literals;
  const std::string rejected[] = {
      "../x", "a/b", "", ".", "..", std::string(2048, 'a'),
      std::string(runtime::max_container_id_length + 1, 'x'),
      "caf\xc3\xa9",  // unicode: runc's \w is ASCII only
      "with space", "tab\t", "new\nline", "a\0b"s, "semi;colon", "star*", "/abs",
  };
  for (const std::string& id : rejected) {
    CAPTURE(id);
    auto result = validate_container_id(id);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::invalid_argument);
    CHECK(result.error().message.rfind("invalid container id \"", 0) == 0);
  }
}

TEST_CASE("validate_container_id quotes the ID printable and bounded") {
  using namespace std::string_literals;
  auto nul = validate_container_id("a\0b"s);
  REQUIRE_FALSE(nul.ok());
  CHECK(nul.error().message.find("a\\x00b") != std::string::npos);
  CHECK(nul.error().message.find('\0') == std::string::npos);

  auto slash = validate_container_id("a/b");
  REQUIRE_FALSE(slash.ok());
  CHECK(slash.error().message.find("\"a/b\"") != std::string::npos);

  auto long_id = validate_container_id(std::string(2048, 'a'));
  REQUIRE_FALSE(long_id.ok());
  CHECK(long_id.error().message.size() < 300);
}
