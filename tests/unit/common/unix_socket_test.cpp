#include "common/unix_socket.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/scope_exit.hpp"

using namespace kata;
namespace fs = std::filesystem;

namespace {

void round_trip(const std::string& path) {
  auto listener = listen_unix_socket(path);
  REQUIRE_MESSAGE(listener.ok(), listener.error().message);
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  auto client = connect_unix_socket(path);
  REQUIRE_MESSAGE(client.ok(), client.error().message);
  UniqueFd server(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(server.valid());
  REQUIRE(::write(client->get(), "hi", 2) == 2);
  char buffer[2];
  REQUIRE(::read(server.get(), buffer, 2) == 2);
  CHECK(std::string(buffer, 2) == "hi");
}

}  // namespace

TEST_CASE("unix sockets connect by short and by long path") {
  std::string pattern = (fs::temp_directory_path() / "kata-sock-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  fs::path dir = pattern;
  ScopeExit cleanup([&] { fs::remove_all(dir); });

  round_trip((dir / "short.sock").string());

  // Deeper than sun_path's 108 bytes.
  fs::path deep = dir / std::string(60, 'a') / std::string(60, 'b');
  fs::create_directories(deep);
  std::string long_path = (deep / "monitor.sock").string();
  REQUIRE(long_path.size() > 108);
  round_trip(long_path);
}

TEST_CASE("connecting to a missing socket fails with not_found") {
  auto client = connect_unix_socket("/nonexistent-kata/x.sock");
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().kind == ErrorKind::not_found);
}
