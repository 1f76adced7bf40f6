#include "hypervisor/qemu/qmp_client.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <thread>

#include "common/fs.hpp"

using namespace kata;
using namespace kata::hypervisor::qemu;
using namespace std::chrono_literals;

namespace {

// The fake QEMU's writes: the client may have closed its end already (that
// is what some cases test), which must fail the write, not raise SIGPIPE.
bool send_all(int socket, const std::string& data) {
  for (std::size_t sent = 0; sent < data.size();) {
    ssize_t n = ::send(socket, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Plays QEMU's side of a transcript on `socket`: sends the S: lines and
// checks that the client's lines equal the C: lines. Records the first
// mismatch in `failure`.
void play_qemu(int socket, const std::string& transcript, std::string& failure) {
  std::istringstream lines(transcript);
  std::string line;
  std::string received;
  while (std::getline(lines, line)) {
    if (line.rfind("S: ", 0) == 0) {
      if (!send_all(socket, line.substr(3) + "\n")) return;
      continue;
    }
    if (line.rfind("C: ", 0) != 0) continue;
    while (received.find('\n') == std::string::npos) {
      char buffer[4096];
      ssize_t got = ::read(socket, buffer, sizeof buffer);
      if (got <= 0) {
        failure = "client closed before sending " + line;
        return;
      }
      received.append(buffer, static_cast<std::size_t>(got));
    }
    auto newline = received.find('\n');
    auto sent = nlohmann::json::parse(received.substr(0, newline));
    received.erase(0, newline + 1);
    if (sent != nlohmann::json::parse(line.substr(3))) {
      failure = "expected " + line.substr(3) + ", client sent " + sent.dump();
      return;
    }
  }
}

struct Replay {
  explicit Replay(const std::string& name) {
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    client_end.reset(pair[0]);
    qemu_end.reset(pair[1]);
    auto transcript = read_file(std::string(KATA_FIXTURES_DIR) + "/qmp/" + name, 1 << 16);
    REQUIRE(transcript.ok());
    qemu = std::thread(play_qemu, qemu_end.get(), *transcript, std::ref(failure));
  }
  ~Replay() {
    client_end.reset();
    if (qemu.joinable()) qemu.join();
  }
  UniqueFd client_end;
  UniqueFd qemu_end;
  std::thread qemu;
  std::string failure;
};

}  // namespace

TEST_CASE("QMP pause, resume and quit follow the recorded transcript") {
  Replay replay("pause-resume.txt");
  auto client = QmpClient::attach(std::move(replay.client_end), 2000ms);
  REQUIRE_MESSAGE(client.ok(), client.error().message);
  CHECK(*client->query_status() == "running");
  CHECK(client->stop().ok());
  CHECK(*client->query_status() == "paused");
  CHECK(client->cont().ok());
  CHECK(client->quit().ok());
  replay.qemu.join();
  CHECK(replay.failure == "");
}

TEST_CASE("a QMP error reply becomes an error with QEMU's class and text") {
  Replay replay("error.txt");
  auto client = QmpClient::attach(std::move(replay.client_end), 2000ms);
  REQUIRE(client.ok());
  auto result = client->execute("no-such-command");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message ==
        "qmp no-such-command: CommandNotFound: The command no-such-command has not been found");
}

TEST_CASE("a silent QEMU costs a timeout, not a hang") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  UniqueFd qemu_end(pair[1]);
  auto start = std::chrono::steady_clock::now();
  auto client = QmpClient::attach(UniqueFd(pair[0]), 200ms);
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().kind == ErrorKind::timeout);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("garbage and endless lines from QEMU are protocol errors") {
  SUBCASE("invalid JSON") {
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    UniqueFd qemu_end(pair[1]);
    REQUIRE(write_all(qemu_end.get(), "{not json\n").ok());
    auto client = QmpClient::attach(UniqueFd(pair[0]), 1000ms);
    REQUIRE_FALSE(client.ok());
    CHECK(client.error().kind == ErrorKind::protocol);
  }
  SUBCASE("a line longer than the limit") {
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    UniqueFd qemu_end(pair[1]);
    std::thread flood([fd = qemu_end.get()] {
      std::string chunk(65536, 'x');
      for (std::size_t sent = 0; sent <= QmpClient::max_message_bytes + chunk.size(); sent += chunk.size()) {
        if (!send_all(fd, chunk)) return;
      }
    });
    auto client = QmpClient::attach(UniqueFd(pair[0]), 5000ms);
    REQUIRE_FALSE(client.ok());
    CHECK(client.error().kind == ErrorKind::protocol);
    ::shutdown(qemu_end.get(), SHUT_RDWR);
    flood.join();
  }
}

TEST_CASE("connect gives up on a socket that never appears") {
  auto client = QmpClient::connect("/nonexistent-kata/qmp.sock", 100ms);
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().kind == ErrorKind::not_found);
}
