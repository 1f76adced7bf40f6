#include "agent-client/messages.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace kata;
using namespace kata::agent_client;
using nlohmann::json;

namespace {

StdioStreams sample_stdio() { return StdioStreams{11, 12, 13}; }

// One request of each kind, every field set to a non-default value so a field
// that is dropped on either side changes the round-tripped JSON.
std::vector<Request> sample_requests() {
  json spec = {{"ociVersion", "1.1.0"}, {"process", {{"args", {"/bin/sh", "-c", "echo hi"}}}}};
  return {
      CreateContainer{"c1", spec, sample_stdio(), true},
      StartContainer{"c1"},
      RemoveContainer{"c1"},
      ExecProcess{"c1", "e7", {{"args", {"ls"}}, {"cwd", "/"}}, StdioStreams{21, 22, 0}},
      SignalProcess{"c1", "e7", 15, true},
      WaitProcess{"c1", "e7"},
      CloseStdin{"c1", "e7"},
      ResizeTty{"c1", "e7", 50, 132},
      ListProcesses{"c1"},
      PauseContainer{"c1"},
      ResumeContainer{"c1"},
      UpdateContainer{"c1", {{"memory", {{"limit", 268435456}}}}},
      StatsContainer{"c1"},
      DestroySandbox{},
      ConfigureNetwork{{NetworkInterface{"02:42:0a:c8:00:02", "eth0", 1400, {"10.200.0.2/24", "fd00::2/64"}},
                        NetworkInterface{"02:42:0a:c8:00:03", "eth1", 1500, {}, "02:6b:61:74:61:00"}},
                       {NetworkRoute{"default", "10.200.0.1", "eth0", "10.200.0.2", 0},
                        NetworkRoute{"192.168.7.0/24", "", "eth0", "", 253}}},
      RestoreSandbox{"00ff17a9", 1764700000123456789, "kataShared"},
  };
}

json args_of(const Request& request) {
  return std::visit([](const auto& r) { return r.to_json(); }, request);
}

Frame to_frame(const std::string& bytes) {
  FrameDecoder decoder;
  REQUIRE(decoder.feed(bytes).ok());
  auto frame = decoder.next();
  REQUIRE(frame.ok());
  REQUIRE(frame->has_value());
  return std::move(**frame);
}

Frame request_frame(const json& envelope, std::uint32_t id = 5) {
  return Frame{FrameType::request, 0, id, envelope.dump()};
}

// Round-trips `body` through a response frame and decodes it as Body.
template <typename Body>
void check_response_round_trip(const Body& body) {
  auto bytes = encode_response(77, body.to_json());
  REQUIRE(bytes.ok());
  auto response = decode_response(to_frame(*bytes));
  REQUIRE(response.ok());
  CHECK(response->id == 77);
  auto decoded = response_body<Body>(*response);
  REQUIRE(decoded.ok());
  CHECK(decoded->to_json() == body.to_json());
}

}  // namespace

TEST_CASE("every request survives a round trip through a frame") {
  auto requests = sample_requests();
  CHECK(requests.size() == std::variant_size_v<Request>);
  std::uint32_t id = 1;
  for (const auto& request : requests) {
    CAPTURE(op_name(request));
    auto bytes = encode_request(id, request);
    REQUIRE(bytes.ok());
    auto decoded = decode_request(to_frame(*bytes));
    REQUIRE(decoded.ok());
    CHECK(decoded->id == id);
    CHECK(decoded->request.index() == request.index());
    CHECK(op_name(decoded->request) == op_name(request));
    CHECK(args_of(decoded->request) == args_of(request));
    ++id;
  }
}

TEST_CASE("configure_network may name the container whose namespace gets the interfaces") {
  // Into container c1's own namespace (a network configured after its create).
  ConfigureNetwork late{{NetworkInterface{"02:42:0a:58:00:09", "eth0", 1500, {"10.88.0.9/16"}}}, {}, "c1"};
  auto bytes = encode_request(3, late);
  REQUIRE(bytes.ok());
  auto decoded = decode_request(to_frame(*bytes));
  REQUIRE(decoded.ok());
  CHECK(std::get<ConfigureNetwork>(decoded->request).container_id == "c1");
  CHECK(args_of(decoded->request) == late.to_json());
  // Without the field: the agent's own namespace. Named, it must name one.
  CHECK_FALSE(ConfigureNetwork{}.to_json().contains("container_id"));
  auto empty = ConfigureNetwork::from_json({{"interfaces", json::array()}, {"routes", json::array()},
                                            {"container_id", ""}});
  CHECK_FALSE(empty.ok());
}

TEST_CASE("every response body survives a round trip") {
  check_response_round_trip(Empty{});
  check_response_round_trip(ProcessStarted{4321});
  check_response_round_trip(ProcessStatus{137});
  check_response_round_trip(ProcessList{{1, 17, 4000}});
  ContainerStats stats;
  stats.memory = {123456789, 268435456};
  stats.cpu = {9000000000ULL, 6000000000ULL, 3000000000ULL};
  stats.pids = {3, 100};
  check_response_round_trip(stats);
}

TEST_CASE("every event survives a round trip") {
  std::vector<Event> events = {ProcessExited{"c1", "e7", 143}, Oom{"c2"}};
  for (const auto& event : events) {
    auto bytes = encode_event(event);
    REQUIRE(bytes.ok());
    auto decoded = decode_event(to_frame(*bytes));
    REQUIRE(decoded.ok());
    REQUIRE(decoded->index() == event.index());
    auto as_json = [](const Event& e) { return std::visit([](const auto& v) { return v.to_json(); }, e); };
    CHECK(as_json(*decoded) == as_json(event));
  }
}

TEST_CASE("an agent's error arrives as a kata::Error with kind, errno and the failed step") {
  Error failure = sys_error(EPERM, "mount proc on {}", "/proc").wrap("create container");
  auto bytes = encode_error_response(9, failure);
  REQUIRE(bytes.ok());
  auto response = decode_response(to_frame(*bytes));
  REQUIRE(response.ok());
  CHECK(response->id == 9);
  auto body = response_body<ProcessStarted>(*response);
  REQUIRE_FALSE(body.ok());
  CHECK(body.error().kind == ErrorKind::system);
  CHECK(body.error().errno_value == EPERM);
  CHECK(body.error().message == "create container: mount proc on /proc: Operation not permitted");

  SUBCASE("an unknown kind from a newer agent becomes internal, not a dropped connection") {
    json envelope = {{"error", {{"kind", "brand_new"}, {"errno", 0}, {"message", "boom"}}}};
    auto decoded = decode_response(Frame{FrameType::response, 0, 3, envelope.dump()});
    REQUIRE(decoded.ok());
    REQUIRE_FALSE(decoded->outcome.ok());
    CHECK(decoded->outcome.error().kind == ErrorKind::internal);
    CHECK(decoded->outcome.error().message == "boom");
  }
}

TEST_CASE("a missing or mistyped field in any request is a protocol error, never an exception") {
  for (const auto& request : sample_requests()) {
    json args = args_of(request);
    for (const auto& [field, value] : args.items()) {
      CAPTURE(op_name(request));
      CAPTURE(field);
      json missing = args;
      missing.erase(field);
      json mistyped = args;
      mistyped[field] = json::array({"wrong"});
      for (const json& broken : {missing, mistyped}) {
        Result<IncomingRequest> decoded = make_error(ErrorKind::internal, "not run");
        CHECK_NOTHROW(decoded = decode_request(request_frame({{"op", op_name(request)}, {"args", broken}})));
        REQUIRE_FALSE(decoded.ok());
        CHECK(decoded.error().kind == ErrorKind::protocol);
      }
    }
  }
}

TEST_CASE("out-of-range values are protocol errors") {
  std::vector<json> envelopes = {
      {{"op", "signal_process"}, {"args", {{"container_id", "c"}, {"exec_id", ""}, {"signal", 0}, {"all", false}}}},
      {{"op", "signal_process"}, {"args", {{"container_id", "c"}, {"exec_id", ""}, {"signal", 65}, {"all", false}}}},
      {{"op", "resize_tty"}, {"args", {{"container_id", "c"}, {"exec_id", ""}, {"rows", 70000}, {"cols", 80}}}},
      {{"op", "resize_tty"}, {"args", {{"container_id", "c"}, {"exec_id", ""}, {"rows", -1}, {"cols", 80}}}},
      {{"op", "start_container"}, {"args", {{"container_id", ""}}}},
      {{"op", "start_container"}, {"args", {{"container_id", std::string(5000, 'a')}}}},
      {{"op", "create_container"},
       {"args", {{"container_id", "c"}, {"spec", json::object()}, {"stdio", {{"stdin", 1}, {"stdout", 1}, {"stderr", 0}}},
                 {"terminal", false}}}},
  };
  for (const auto& envelope : envelopes) {
    CAPTURE(envelope.dump());
    auto decoded = decode_request(request_frame(envelope));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().kind == ErrorKind::protocol);
  }
  // A status outside 0..255 in a reply or event is refused too.
  CHECK_FALSE(ProcessStatus::from_json({{"status", 256}}).ok());
  CHECK_FALSE(ProcessList::from_json({{"pids", {1, -5}}}).ok());
}

TEST_CASE("configure_network: bad interfaces and routes are protocol errors naming the element") {
  json interface = {{"mac", "02:42:0a:c8:00:02"}, {"name", "eth0"}, {"mtu", 1400}, {"addresses", {"10.0.0.2/24"}}};
  json route = {{"dest", "default"}, {"gateway", "10.0.0.1"}, {"device", "eth0"}, {"source", ""}, {"scope", 0}};
  auto decode = [](const json& interfaces, const json& routes) {
    return decode_request(
        request_frame({{"op", "configure_network"}, {"args", {{"interfaces", interfaces}, {"routes", routes}}}}));
  };
  REQUIRE(decode(json::array({interface}), json::array({route})).ok());
  // An empty request is valid: it only brings lo up.
  CHECK(decode(json::array(), json::array()).ok());

  std::vector<std::pair<json, json>> broken;
  auto with = [](json object, const char* key, json value) {
    object[key] = std::move(value);
    return object;
  };
  broken.push_back({json::array({with(interface, "mtu", 67)}), json::array()});
  broken.push_back({json::array({with(interface, "mtu", 65536)}), json::array()});
  broken.push_back({json::array({with(interface, "mac", "02:42")}), json::array()});
  broken.push_back({json::array({with(interface, "device_mac", "02:6b")}), json::array()});
  broken.push_back({json::array({with(interface, "device_mac", 7)}), json::array()});
  broken.push_back({json::array({with(interface, "name", "")}), json::array()});
  broken.push_back({json::array({with(interface, "name", "a-name-of-16-chr")}), json::array()});
  broken.push_back({json::array({interface, 7}), json::array()});
  broken.push_back({json::array(), json::array({with(route, "dest", "")})});
  broken.push_back({json::array(), json::array({with(route, "scope", 256)})});
  broken.push_back({json::object(), json::array()});
  json too_many = json::array();
  for (int n = 0; n <= 64; ++n) too_many.push_back(interface);
  broken.push_back({too_many, json::array()});
  for (const auto& [interfaces, routes] : broken) {
    CAPTURE(interfaces.dump());
    CAPTURE(routes.dump());
    auto decoded = decode(interfaces, routes);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().kind == ErrorKind::protocol);
  }
  auto second = decode(json::array({interface, with(interface, "mtu", 1)}), json::array());
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().message.find("interfaces[1]") != std::string::npos);
}

TEST_CASE("malformed envelopes, unknown ops and unknown events are protocol errors") {
  std::vector<std::string> payloads = {
      "",
      "not json",
      "{\"op\": \"start_container\", \"args\": {\"container_id\": \"c\"}",  // truncated
      "[1, 2, 3]",
      "{\"op\": 5, \"args\": {}}",
      "{\"op\": \"start_container\"}",
      "{\"op\": \"start_container\", \"args\": \"c\"}",
      "{\"op\": \"format_disk\", \"args\": {}}",
      std::string(200, '[') + std::string(200, ']'),
      "{\"op\": \"start_container\", \"args\": {\"container_id\": \"\xff\xfe\"}}",
  };
  for (const auto& payload : payloads) {
    CAPTURE(payload);
    Result<IncomingRequest> decoded = make_error(ErrorKind::internal, "not run");
    CHECK_NOTHROW(decoded = decode_request(Frame{FrameType::request, 0, 1, payload}));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().kind == ErrorKind::protocol);
  }

  auto unknown_event = decode_event(Frame{FrameType::event, 0, 0, R"({"event":"reboot","data":{}})"});
  REQUIRE_FALSE(unknown_event.ok());
  CHECK(unknown_event.error().kind == ErrorKind::protocol);

  auto wrong_frame = decode_request(Frame{FrameType::event, 0, 0, R"({"op":"start_container","args":{}})"});
  REQUIRE_FALSE(wrong_frame.ok());
  CHECK(wrong_frame.error().kind == ErrorKind::protocol);

  for (const char* payload : {R"({"ok":{},"error":{}})", R"({})", R"({"ok":[]})",
                              R"({"error":{"kind":"system","errno":"1","message":"x"}})"}) {
    CAPTURE(payload);
    auto response = decode_response(Frame{FrameType::response, 0, 1, payload});
    REQUIRE_FALSE(response.ok());
    CHECK(response.error().kind == ErrorKind::protocol);
  }
}

TEST_CASE("a response body of the wrong shape is a protocol error") {
  auto bytes = encode_response(4, json{{"pid", "one"}});
  REQUIRE(bytes.ok());
  auto response = decode_response(to_frame(*bytes));
  REQUIRE(response.ok());
  auto body = response_body<ProcessStarted>(*response);
  REQUIRE_FALSE(body.ok());
  CHECK(body.error().kind == ErrorKind::protocol);
}
