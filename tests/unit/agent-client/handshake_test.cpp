#include "agent-client/handshake.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace kata;
using namespace kata::agent_client;

namespace {

// Sends `hello` through the encoder and decoder, as the peer would see it.
Result<Hello> over_the_wire(const Hello& hello) {
  auto bytes = KATA_TRY(encode_hello(hello));
  FrameDecoder decoder;
  KATA_TRY(decoder.feed(bytes));
  auto frame = KATA_TRY(decoder.next());
  if (!frame) return make_error(ErrorKind::internal, "no frame decoded");
  return decode_hello(*frame);
}

Hello host_hello() {
  Hello hello;
  hello.role = Role::host;
  hello.build_version = "host-0.1.0";
  hello.capabilities = {"pty", "vsock", "stats"};
  hello.stream_window = 128 * 1024;
  return hello;
}

Hello agent_hello() {
  Hello hello;
  hello.role = Role::agent;
  hello.build_version = "agent-0.1.0-g1234";
  hello.capabilities = {"stats", "pty", "oom_events"};
  hello.stream_window = 64 * 1024;
  hello.max_payload = 256 * 1024;
  return hello;
}

}  // namespace

TEST_CASE("handshake between host and agent succeeds and agrees on windows and capabilities") {
  auto host = host_hello();
  auto agent = agent_hello();
  auto agent_seen_by_host = over_the_wire(agent);
  auto host_seen_by_agent = over_the_wire(host);
  REQUIRE(agent_seen_by_host.ok());
  REQUIRE(host_seen_by_agent.ok());
  CHECK(agent_seen_by_host->build_version == "agent-0.1.0-g1234");

  auto host_session = negotiate(host, *agent_seen_by_host);
  auto agent_session = negotiate(agent, *host_seen_by_agent);
  REQUIRE(host_session.ok());
  REQUIRE(agent_session.ok());
  CHECK(host_session->peer_build_version == "agent-0.1.0-g1234");
  CHECK(host_session->capabilities == std::vector<std::string>{"pty", "stats"});
  CHECK(agent_session->capabilities == std::vector<std::string>{"stats", "pty"});
  // Each side's send window is the other's receive window.
  CHECK(host_session->send_window == 64 * 1024);
  CHECK(host_session->receive_window == 128 * 1024);
  CHECK(agent_session->send_window == 128 * 1024);
  CHECK(host_session->max_payload == 256 * 1024);
  CHECK(agent_session->max_payload == 256 * 1024);
}

TEST_CASE("a different minor version is accepted") {
  auto agent = agent_hello();
  agent.version.minor = kProtocolVersion.minor + 3;
  auto seen = over_the_wire(agent);
  REQUIRE(seen.ok());
  auto session = negotiate(host_hello(), *seen);
  REQUIRE(session.ok());
  CHECK(session->peer_version == agent.version);
}

TEST_CASE("a different major version fails with both versions named") {
  auto agent = agent_hello();
  agent.version = {kProtocolVersion.major + 1, 4};
  auto seen = over_the_wire(agent);
  REQUIRE(seen.ok());
  auto session = negotiate(host_hello(), *seen);
  REQUIRE_FALSE(session.ok());
  CHECK(session.error().kind == ErrorKind::unsupported);
  const auto& message = session.error().message;
  CHECK(message.find(fmt::format("{}.4", kProtocolVersion.major + 1)) != std::string::npos);
  CHECK(message.find(fmt::format("{}.{}", kProtocolVersion.major, kProtocolVersion.minor)) != std::string::npos);
  CHECK(message.find("agent-0.1.0-g1234") != std::string::npos);

  // The agent refuses the host just the same.
  auto host = host_hello();
  host.version.major = kProtocolVersion.major + 7;
  CHECK_FALSE(negotiate(agent_hello(), host).ok());
}

TEST_CASE("a peer with the same role is refused") {
  auto session = negotiate(host_hello(), host_hello());
  REQUIRE_FALSE(session.ok());
  CHECK(session.error().kind == ErrorKind::protocol);
}

TEST_CASE("an invalid hello is a protocol error") {
  auto hello_frame = [](std::string payload) { return Frame{FrameType::hello, 0, 0, std::move(payload)}; };
  auto valid = host_hello().to_json();

  SUBCASE("not a hello frame") {
    auto decoded = decode_hello(Frame{FrameType::request, 0, 1, valid.dump()});
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().kind == ErrorKind::protocol);
  }
  SUBCASE("malformed JSON") {
    auto decoded = decode_hello(hello_frame("{\"role\": "));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().kind == ErrorKind::protocol);
  }
  SUBCASE("field errors") {
    std::vector<std::pair<const char*, nlohmann::json>> broken;
    auto with = [&](const char* what, auto change) {
      auto copy = valid;
      change(copy);
      broken.emplace_back(what, copy);
    };
    with("unknown role", [](auto& j) { j["role"] = "guest"; });
    with("missing version", [](auto& j) { j.erase("version"); });
    with("major as string", [](auto& j) { j["version"]["major"] = "1"; });
    with("negative minor", [](auto& j) { j["version"]["minor"] = -1; });
    with("capability not a string", [](auto& j) { j["capabilities"] = {1, 2}; });
    with("too many capabilities", [](auto& j) { j["capabilities"] = std::vector<std::string>(100, "x"); });
    with("window too small", [](auto& j) { j["stream_window"] = 10; });
    with("window too large", [](auto& j) { j["stream_window"] = 1ULL << 40; });
    with("window as float", [](auto& j) { j["stream_window"] = 65536.0; });
    for (const auto& [what, json] : broken) {
      CAPTURE(what);
      Result<Hello> decoded = make_error(ErrorKind::internal, "not run");
      CHECK_NOTHROW(decoded = decode_hello(hello_frame(json.dump())));
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.error().kind == ErrorKind::protocol);
    }
  }
}
