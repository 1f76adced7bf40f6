#include "common/fs.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/scope_exit.hpp"

using namespace kata;
namespace fs = std::filesystem;

namespace {

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "kata-fs-test-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

}  // namespace

TEST_CASE("write_file_atomic writes, replaces and sets the mode") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string path = (dir / "state.json").string();

  REQUIRE(write_file_atomic(path, "first", 0640).ok());
  CHECK(*read_file(path, 100) == "first");
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0640);

  REQUIRE(write_file_atomic(path, "second").ok());
  CHECK(*read_file(path, 100) == "second");
  // No temporary file is left beside it.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
}

TEST_CASE("write_file_atomic into a missing directory fails with not_found") {
  auto result = write_file_atomic("/nonexistent-kata-dir/x", "data");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::not_found);
}

TEST_CASE("read_file refuses files above the limit") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string path = (dir / "big").string();
  REQUIRE(write_file_atomic(path, std::string(1000, 'x')).ok());
  CHECK(read_file(path, 1000).ok());
  auto too_big = read_file(path, 999);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().kind == ErrorKind::invalid_argument);
}

TEST_CASE("a writer killed mid-write never leaves a truncated file") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string path = (dir / "state.json").string();
  const std::string a(64 * 1024, 'a');
  const std::string b(64 * 1024, 'b');
  REQUIRE(write_file_atomic(path, a).ok());

  for (int round = 0; round < 20; ++round) {
    pid_t writer = ::fork();
    REQUIRE(writer >= 0);
    if (writer == 0) {
      for (;;) {
        (void)write_file_atomic(path, b);
        (void)write_file_atomic(path, a);
      }
    }
    ::usleep(static_cast<useconds_t>(1000 + round * 700));
    ::kill(writer, SIGKILL);
    ::waitpid(writer, nullptr, 0);
    auto content = read_file(path, 1 << 20);
    REQUIRE(content.ok());
    CHECK((*content == a || *content == b));
  }
}
