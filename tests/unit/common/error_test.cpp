#include "common/error.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace kata;

namespace {

Result<int> parse_positive(int input) {
  if (input <= 0) return make_error(ErrorKind::invalid_argument, "{} is not positive", input);
  return input;
}

Result<int> doubled(int input) {
  int value = KATA_TRY(parse_positive(input).wrap("doubled"));
  return value * 2;
}

Result<void> check(int input) {
  KATA_TRY(doubled(input).wrap("check"));
  return ok();
}

}  // namespace

TEST_CASE("Result carries a value or an error") {
  auto good = parse_positive(3);
  REQUIRE(good.ok());
  CHECK(*good == 3);
  auto bad = parse_positive(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::invalid_argument);
  CHECK(bad.error().message == "-1 is not positive");
}

TEST_CASE("KATA_TRY propagates errors and context builds a chain") {
  CHECK(*doubled(4) == 8);
  auto failed = check(0);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().message == "check: doubled: 0 is not positive");
  CHECK(failed.error().kind == ErrorKind::invalid_argument);
  CHECK(check(2).ok());
}

TEST_CASE("Result holds move-only values") {
  Result<std::unique_ptr<int>> holder = std::make_unique<int>(7);
  REQUIRE(holder.ok());
  std::unique_ptr<int> taken = std::move(holder).value();
  CHECK(*taken == 7);
}

TEST_CASE("sys_error keeps errno and appends its message") {
  Error error = sys_error(ENOENT, "open {}", "/nope");
  CHECK(error.kind == ErrorKind::not_found);
  CHECK(error.errno_value == ENOENT);
  CHECK(error.message == "open /nope: No such file or directory");
  Error access = sys_error(EACCES, "open {}", "/x").wrap("load");
  CHECK(access.kind == ErrorKind::system);
  CHECK(access.message == "load: open /x: Permission denied");
}
