#include "agent-client/messages.hpp"

#include <array>
#include <limits>
#include <utility>

#include "agent-client/json_fields.hpp"

namespace kata::agent_client {
namespace {

using nlohmann::json;

constexpr std::int64_t kMaxSignal = 64;
constexpr std::int64_t kMaxPid = (1LL << 22);  // PID_MAX_LIMIT on 64-bit Linux
constexpr std::uint64_t kMaxTtySize = 65535;

Result<std::string> get_container_id(const json& object) {
  auto id = KATA_TRY(get_string(object, "container_id"));
  if (id.empty()) return make_error(ErrorKind::protocol, "field \"container_id\": must not be empty");
  return id;
}

Result<std::uint32_t> get_u32(const json& object, std::string_view name, std::uint64_t max = UINT32_MAX) {
  return static_cast<std::uint32_t>(KATA_TRY(get_uint(object, name, max)));
}

// Looks up the variant alternative whose `Tag` name (kOp or kEvent) equals
// `name` and builds it from `data`.
template <typename Variant, std::size_t Index = 0>
Result<Variant> variant_from_json(std::string_view name, const json& data, std::string_view what) {
  if constexpr (Index == std::variant_size_v<Variant>) {
    return make_error(ErrorKind::protocol, "unknown {} \"{}\"", what, name);
  } else {
    using Alternative = std::variant_alternative_t<Index, Variant>;
    std::string_view alternative_name;
    if constexpr (requires { Alternative::kOp; }) {
      alternative_name = Alternative::kOp;
    } else {
      alternative_name = Alternative::kEvent;
    }
    if (alternative_name == name) {
      auto value = Alternative::from_json(data);
      if (!value) return std::move(value).error().wrap(fmt::format("{} {}", what, name));
      return Variant(std::move(*value));
    }
    return variant_from_json<Variant, Index + 1>(name, data, what);
  }
}

Result<json> payload_json(const Frame& frame, FrameType expected) {
  if (frame.type != expected) {
    return make_error(ErrorKind::protocol, "expected a {} frame, got {}", to_string(expected), to_string(frame.type));
  }
  return parse_json_object(frame.payload);
}

constexpr std::array kAllKinds = {
    ErrorKind::invalid_argument, ErrorKind::not_found, ErrorKind::already_exists,
    ErrorKind::wrong_state,      ErrorKind::system,    ErrorKind::protocol,
    ErrorKind::timeout,          ErrorKind::unsupported, ErrorKind::internal,
};

// An agent newer than its own ErrorKind list is not a reason to drop the
// connection: its failure still arrives, as `internal`.
ErrorKind error_kind_from_string(std::string_view name) {
  for (ErrorKind kind : kAllKinds) {
    if (to_string(kind) == name) return kind;
  }
  return ErrorKind::internal;
}

}  // namespace

json Empty::to_json() const { return json::object(); }
Result<Empty> Empty::from_json(const json& json) {
  if (!json.is_object()) return make_error(ErrorKind::protocol, "expected a JSON object");
  return Empty{};
}

json StdioStreams::to_json() const {
  return {{"stdin", stdin_id}, {"stdout", stdout_id}, {"stderr", stderr_id}};
}
Result<StdioStreams> StdioStreams::from_json(const json& json) {
  StdioStreams out;
  out.stdin_id = KATA_TRY(get_u32(json, "stdin"));
  out.stdout_id = KATA_TRY(get_u32(json, "stdout"));
  out.stderr_id = KATA_TRY(get_u32(json, "stderr"));
  bool clash = (out.stdin_id != 0 && (out.stdin_id == out.stdout_id || out.stdin_id == out.stderr_id)) ||
               (out.stdout_id != 0 && out.stdout_id == out.stderr_id);
  if (clash) return make_error(ErrorKind::protocol, "stdio streams share a stream id");
  return out;
}

json ProcessStarted::to_json() const { return {{"pid", pid}}; }
Result<ProcessStarted> ProcessStarted::from_json(const json& json) {
  return ProcessStarted{KATA_TRY(get_int(json, "pid", 1, kMaxPid))};
}

json CreateContainer::to_json() const {
  return {{"container_id", container_id}, {"spec", spec}, {"stdio", stdio.to_json()}, {"terminal", terminal}};
}
Result<CreateContainer> CreateContainer::from_json(const json& json) {
  CreateContainer out;
  out.container_id = KATA_TRY(get_container_id(json));
  out.spec = KATA_TRY(get_object(json, "spec"));
  auto stdio = KATA_TRY(get_object(json, "stdio"));
  out.stdio = KATA_TRY(StdioStreams::from_json(stdio).wrap("stdio"));
  out.terminal = KATA_TRY(get_bool(json, "terminal"));
  return out;
}

json StartContainer::to_json() const { return {{"container_id", container_id}}; }
Result<StartContainer> StartContainer::from_json(const json& json) {
  return StartContainer{KATA_TRY(get_container_id(json))};
}

json RemoveContainer::to_json() const { return {{"container_id", container_id}}; }
Result<RemoveContainer> RemoveContainer::from_json(const json& json) {
  return RemoveContainer{KATA_TRY(get_container_id(json))};
}

json ExecProcess::to_json() const {
  return {{"container_id", container_id}, {"exec_id", exec_id}, {"process", process}, {"stdio", stdio.to_json()}};
}
Result<ExecProcess> ExecProcess::from_json(const json& json) {
  ExecProcess out;
  out.container_id = KATA_TRY(get_container_id(json));
  out.exec_id = KATA_TRY(get_string(json, "exec_id"));
  if (out.exec_id.empty()) return make_error(ErrorKind::protocol, "field \"exec_id\": must not be empty");
  out.process = KATA_TRY(get_object(json, "process"));
  auto stdio = KATA_TRY(get_object(json, "stdio"));
  out.stdio = KATA_TRY(StdioStreams::from_json(stdio).wrap("stdio"));
  return out;
}

json SignalProcess::to_json() const {
  return {{"container_id", container_id}, {"exec_id", exec_id}, {"signal", signal}, {"all", all}};
}
Result<SignalProcess> SignalProcess::from_json(const json& json) {
  SignalProcess out;
  out.container_id = KATA_TRY(get_container_id(json));
  out.exec_id = KATA_TRY(get_string(json, "exec_id"));
  out.signal = static_cast<std::int32_t>(KATA_TRY(get_int(json, "signal", 1, kMaxSignal)));
  out.all = KATA_TRY(get_bool(json, "all"));
  return out;
}

json ProcessStatus::to_json() const { return {{"status", status}}; }
Result<ProcessStatus> ProcessStatus::from_json(const json& json) {
  return ProcessStatus{static_cast<std::int32_t>(KATA_TRY(get_int(json, "status", 0, 255)))};
}

json WaitProcess::to_json() const { return {{"container_id", container_id}, {"exec_id", exec_id}}; }
Result<WaitProcess> WaitProcess::from_json(const json& json) {
  WaitProcess out;
  out.container_id = KATA_TRY(get_container_id(json));
  out.exec_id = KATA_TRY(get_string(json, "exec_id"));
  return out;
}

json CloseStdin::to_json() const { return {{"container_id", container_id}, {"exec_id", exec_id}}; }
Result<CloseStdin> CloseStdin::from_json(const json& json) {
  CloseStdin out;
  out.container_id = KATA_TRY(get_container_id(json));
  out.exec_id = KATA_TRY(get_string(json, "exec_id"));
  return out;
}

json ResizeTty::to_json() const {
  return {{"container_id", container_id}, {"exec_id", exec_id}, {"rows", rows}, {"cols", cols}};
}
Result<ResizeTty> ResizeTty::from_json(const json& json) {
  ResizeTty out;
  out.container_id = KATA_TRY(get_container_id(json));
  out.exec_id = KATA_TRY(get_string(json, "exec_id"));
  out.rows = KATA_TRY(get_u32(json, "rows", kMaxTtySize));
  out.cols = KATA_TRY(get_u32(json, "cols", kMaxTtySize));
  return out;
}

json ProcessList::to_json() const { return {{"pids", pids}}; }
Result<ProcessList> ProcessList::from_json(const json& json) {
  return ProcessList{KATA_TRY(get_int_array(json, "pids", kMaxListedProcesses, 1, kMaxPid))};
}

json ListProcesses::to_json() const { return {{"container_id", container_id}}; }
Result<ListProcesses> ListProcesses::from_json(const json& json) {
  return ListProcesses{KATA_TRY(get_container_id(json))};
}

json PauseContainer::to_json() const { return {{"container_id", container_id}}; }
Result<PauseContainer> PauseContainer::from_json(const json& json) {
  return PauseContainer{KATA_TRY(get_container_id(json))};
}

json ResumeContainer::to_json() const { return {{"container_id", container_id}}; }
Result<ResumeContainer> ResumeContainer::from_json(const json& json) {
  return ResumeContainer{KATA_TRY(get_container_id(json))};
}

json UpdateContainer::to_json() const { return {{"container_id", container_id}, {"resources", resources}}; }
Result<UpdateContainer> UpdateContainer::from_json(const json& json) {
  UpdateContainer out;
  out.container_id = KATA_TRY(get_container_id(json));
  out.resources = KATA_TRY(get_object(json, "resources"));
  return out;
}

json ContainerStats::to_json() const {
  return {
      {"memory", {{"usage_bytes", memory.usage_bytes}, {"limit_bytes", memory.limit_bytes}}},
      {"cpu", {{"usage_ns", cpu.usage_ns}, {"user_ns", cpu.user_ns}, {"system_ns", cpu.system_ns}}},
      {"pids", {{"current", pids.current}, {"limit", pids.limit}}},
  };
}
Result<ContainerStats> ContainerStats::from_json(const json& json) {
  ContainerStats out;
  auto memory = KATA_TRY(get_object(json, "memory"));
  out.memory.usage_bytes = KATA_TRY(get_uint(memory, "usage_bytes").wrap("memory"));
  out.memory.limit_bytes = KATA_TRY(get_uint(memory, "limit_bytes").wrap("memory"));
  auto cpu = KATA_TRY(get_object(json, "cpu"));
  out.cpu.usage_ns = KATA_TRY(get_uint(cpu, "usage_ns").wrap("cpu"));
  out.cpu.user_ns = KATA_TRY(get_uint(cpu, "user_ns").wrap("cpu"));
  out.cpu.system_ns = KATA_TRY(get_uint(cpu, "system_ns").wrap("cpu"));
  auto pids = KATA_TRY(get_object(json, "pids"));
  out.pids.current = KATA_TRY(get_uint(pids, "current").wrap("pids"));
  out.pids.limit = KATA_TRY(get_uint(pids, "limit").wrap("pids"));
  return out;
}

json StatsContainer::to_json() const { return {{"container_id", container_id}}; }
Result<StatsContainer> StatsContainer::from_json(const json& json) {
  return StatsContainer{KATA_TRY(get_container_id(json))};
}

json DestroySandbox::to_json() const { return json::object(); }
Result<DestroySandbox> DestroySandbox::from_json(const json& json) {
  if (!json.is_object()) return make_error(ErrorKind::protocol, "expected a JSON object");
  return DestroySandbox{};
}

json RestoreSandbox::to_json() const {
  return {{"entropy", entropy}, {"realtime_ns", realtime_ns}, {"share_tag", share_tag}};
}
Result<RestoreSandbox> RestoreSandbox::from_json(const json& json) {
  RestoreSandbox out;
  out.entropy = KATA_TRY(get_string(json, "entropy", 2 * kMaxRestoreEntropy));
  if (out.entropy.empty() || out.entropy.size() % 2 != 0 ||
      out.entropy.find_first_not_of("0123456789abcdef") != std::string::npos)
    return make_error(ErrorKind::protocol, "field entropy: expected an even number of lowercase hex digits");
  out.realtime_ns = KATA_TRY(get_int(json, "realtime_ns", 0, std::numeric_limits<std::int64_t>::max()));
  out.share_tag = KATA_TRY(get_string(json, "share_tag", kMaxIdLength));
  if (out.share_tag.empty()) return make_error(ErrorKind::protocol, "field share_tag: empty");
  return out;
}

namespace {

// The array field `name` of objects, at most `max_items`, each parsed by
// T::from_json; errors name the element ("interfaces[2]: field ...").
template <typename T>
Result<std::vector<T>> get_object_array(const json& object, std::string_view name, std::size_t max_items) {
  auto it = object.find(name);
  if (it == object.end()) return make_error(ErrorKind::protocol, "field \"{}\": missing", name);
  if (!it->is_array()) return make_error(ErrorKind::protocol, "field \"{}\": expected an array", name);
  if (it->size() > max_items)
    return make_error(ErrorKind::protocol, "field \"{}\": more than {} items", name, max_items);
  std::vector<T> out;
  for (std::size_t n = 0; n < it->size(); ++n) {
    const json& item = (*it)[n];
    if (!item.is_object()) return make_error(ErrorKind::protocol, "{}[{}]: expected an object", name, n);
    out.push_back(KATA_TRY(T::from_json(item).wrap(fmt::format("{}[{}]", name, n))));
  }
  return out;
}

// IFNAMSIZ - 1: the longest interface name the kernel accepts.
constexpr std::size_t kMaxInterfaceName = 15;
// Long enough for any IPv6 address with a prefix ("ffff:...:ffff/128").
constexpr std::size_t kMaxAddressText = 64;

}  // namespace

json NetworkInterface::to_json() const {
  json out = {{"mac", mac}, {"name", name}, {"mtu", mtu}, {"addresses", addresses}};
  if (!device_mac.empty()) out["device_mac"] = device_mac;
  return out;
}
Result<NetworkInterface> NetworkInterface::from_json(const json& json) {
  NetworkInterface out;
  out.mac = KATA_TRY(get_string(json, "mac", 17));
  if (out.mac.size() != 17) return make_error(ErrorKind::protocol, "field \"mac\": expected aa:bb:cc:dd:ee:ff");
  if (json.contains("device_mac")) {
    out.device_mac = KATA_TRY(get_string(json, "device_mac", 17));
    if (out.device_mac.size() != 17)
      return make_error(ErrorKind::protocol, "field \"device_mac\": expected aa:bb:cc:dd:ee:ff");
  }
  out.name = KATA_TRY(get_string(json, "name", kMaxInterfaceName));
  if (out.name.empty()) return make_error(ErrorKind::protocol, "field \"name\": must not be empty");
  out.mtu = KATA_TRY(get_u32(json, "mtu", 65535));
  if (out.mtu < 68) return make_error(ErrorKind::protocol, "field \"mtu\": {} is below 68", out.mtu);
  out.addresses = KATA_TRY(get_string_array(json, "addresses", kMaxNetworkInterfaces));
  for (const auto& address : out.addresses) {
    if (address.size() > kMaxAddressText)
      return make_error(ErrorKind::protocol, "field \"addresses\": an address is too long");
  }
  return out;
}

json NetworkRoute::to_json() const {
  return {{"dest", dest}, {"gateway", gateway}, {"device", device}, {"source", source}, {"scope", scope}};
}
Result<NetworkRoute> NetworkRoute::from_json(const json& json) {
  NetworkRoute out;
  out.dest = KATA_TRY(get_string(json, "dest", kMaxAddressText));
  if (out.dest.empty()) return make_error(ErrorKind::protocol, "field \"dest\": must not be empty");
  out.gateway = KATA_TRY(get_string(json, "gateway", kMaxAddressText));
  out.device = KATA_TRY(get_string(json, "device", kMaxInterfaceName));
  out.source = KATA_TRY(get_string(json, "source", kMaxAddressText));
  out.scope = KATA_TRY(get_u32(json, "scope", 255));
  return out;
}

json ConfigureNetwork::to_json() const {
  json interfaces_json = json::array();
  for (const auto& interface : interfaces) interfaces_json.push_back(interface.to_json());
  json routes_json = json::array();
  for (const auto& route : routes) routes_json.push_back(route.to_json());
  json out = {{"interfaces", interfaces_json}, {"routes", routes_json}};
  if (!container_id.empty()) out["container_id"] = container_id;
  return out;
}
Result<ConfigureNetwork> ConfigureNetwork::from_json(const json& json) {
  ConfigureNetwork out;
  out.interfaces = KATA_TRY(get_object_array<NetworkInterface>(json, "interfaces", kMaxNetworkInterfaces));
  out.routes = KATA_TRY(get_object_array<NetworkRoute>(json, "routes", kMaxNetworkRoutes));
  if (json.contains("container_id")) out.container_id = KATA_TRY(get_container_id(json));
  return out;
}

json ProcessExited::to_json() const {
  return {{"container_id", container_id}, {"exec_id", exec_id}, {"status", status}};
}
Result<ProcessExited> ProcessExited::from_json(const json& json) {
  ProcessExited out;
  out.container_id = KATA_TRY(get_container_id(json));
  out.exec_id = KATA_TRY(get_string(json, "exec_id"));
  out.status = static_cast<std::int32_t>(KATA_TRY(get_int(json, "status", 0, 255)));
  return out;
}

json Oom::to_json() const { return {{"container_id", container_id}}; }
Result<Oom> Oom::from_json(const json& json) { return Oom{KATA_TRY(get_container_id(json))}; }

std::string_view op_name(const Request& request) {
  return std::visit([](const auto& r) -> std::string_view { return std::decay_t<decltype(r)>::kOp; }, request);
}

Result<std::string> encode_request(std::uint32_t request_id, const Request& request) {
  json envelope = {{"op", op_name(request)},
                   {"args", std::visit([](const auto& r) { return r.to_json(); }, request)}};
  return encode_frame(FrameType::request, request_id, dump_json(envelope));
}

Result<IncomingRequest> decode_request(const Frame& frame) {
  auto envelope = KATA_TRY(payload_json(frame, FrameType::request).wrap("request"));
  auto op = KATA_TRY(get_string(envelope, "op").wrap("request"));
  auto args = KATA_TRY(get_object(envelope, "args").wrap("request"));
  auto request = KATA_TRY(variant_from_json<Request>(op, args, "request"));
  return IncomingRequest{frame.id, std::move(request)};
}

Result<std::string> encode_response(std::uint32_t request_id, const json& body) {
  json envelope = {{"ok", body}};
  return encode_frame(FrameType::response, request_id, dump_json(envelope));
}

Result<std::string> encode_error_response(std::uint32_t request_id, const Error& error) {
  // Cut an absurdly long message rather than fail to report the error at all.
  constexpr std::size_t kMaxMessage = 64 * 1024;
  std::string_view message = error.message;
  if (message.size() > kMaxMessage) message = message.substr(0, kMaxMessage);
  json envelope = {
      {"error", {{"kind", to_string(error.kind)}, {"errno", error.errno_value}, {"message", message}}}};
  return encode_frame(FrameType::response, request_id, dump_json(envelope));
}

Result<IncomingResponse> decode_response(const Frame& frame) {
  auto envelope = KATA_TRY(payload_json(frame, FrameType::response).wrap("response"));
  bool has_ok = envelope.contains("ok");
  bool has_error = envelope.contains("error");
  if (has_ok == has_error) {
    return make_error(ErrorKind::protocol, "response: needs exactly one of \"ok\" and \"error\"");
  }
  IncomingResponse response;
  response.id = frame.id;
  if (has_ok) {
    response.outcome = KATA_TRY(get_object(envelope, "ok").wrap("response"));
    return response;
  }
  auto error = KATA_TRY(get_object(envelope, "error").wrap("response"));
  auto kind = KATA_TRY(get_string(error, "kind").wrap("response error"));
  auto errno_value = KATA_TRY(get_int(error, "errno", 0, 4095).wrap("response error"));
  auto message = KATA_TRY(get_string(error, "message", kMaxFramePayload).wrap("response error"));
  response.outcome = Error{error_kind_from_string(kind), static_cast<int>(errno_value), std::move(message)};
  return response;
}

Result<std::string> encode_event(const Event& event) {
  std::string_view name =
      std::visit([](const auto& e) -> std::string_view { return std::decay_t<decltype(e)>::kEvent; }, event);
  json envelope = {{"event", name}, {"data", std::visit([](const auto& e) { return e.to_json(); }, event)}};
  return encode_frame(FrameType::event, 0, dump_json(envelope));
}

Result<Event> decode_event(const Frame& frame) {
  auto envelope = KATA_TRY(payload_json(frame, FrameType::event).wrap("event"));
  auto name = KATA_TRY(get_string(envelope, "event").wrap("event"));
  auto data = KATA_TRY(get_object(envelope, "data").wrap("event"));
  return variant_from_json<Event>(name, data, "event");
}

}  // namespace kata::agent_client
