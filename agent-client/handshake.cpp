#include "agent-client/handshake.hpp"

#include <algorithm>

#include "agent-client/json_fields.hpp"

namespace kata::agent_client {

using nlohmann::json;

std::string_view to_string(Role role) { return role == Role::host ? "host" : "agent"; }

json Hello::to_json() const {
  return {
      {"role", to_string(role)},
      {"version", {{"major", version.major}, {"minor", version.minor}}},
      {"build_version", build_version},
      {"capabilities", capabilities},
      {"stream_window", stream_window},
      {"max_payload", max_payload},
  };
}

Result<Hello> Hello::from_json(const json& object) {
  Hello hello;
  auto role = KATA_TRY(get_string(object, "role"));
  if (role == "host") {
    hello.role = Role::host;
  } else if (role == "agent") {
    hello.role = Role::agent;
  } else {
    return make_error(ErrorKind::protocol, "field \"role\": unknown role \"{}\"", role);
  }
  auto version = KATA_TRY(get_object(object, "version"));
  hello.version.major = static_cast<std::uint32_t>(KATA_TRY(get_uint(version, "major", UINT32_MAX).wrap("version")));
  hello.version.minor = static_cast<std::uint32_t>(KATA_TRY(get_uint(version, "minor", UINT32_MAX).wrap("version")));
  hello.build_version = KATA_TRY(get_string(object, "build_version"));
  hello.capabilities = KATA_TRY(get_string_array(object, "capabilities", kMaxCapabilities));
  hello.stream_window = static_cast<std::uint32_t>(KATA_TRY(get_uint(object, "stream_window", kMaxStreamWindow)));
  if (hello.stream_window < kMinStreamWindow) {
    return make_error(ErrorKind::protocol, "field \"stream_window\": {} is below the minimum of {}",
                      hello.stream_window, kMinStreamWindow);
  }
  hello.max_payload = static_cast<std::uint32_t>(KATA_TRY(get_uint(object, "max_payload", UINT32_MAX)));
  if (hello.max_payload < kMinStreamWindow) {
    return make_error(ErrorKind::protocol, "field \"max_payload\": {} is below the minimum of {}", hello.max_payload,
                      kMinStreamWindow);
  }
  return hello;
}

Result<std::string> encode_hello(const Hello& hello) {
  return encode_frame(FrameType::hello, 0, dump_json(hello.to_json()));
}

Result<Hello> decode_hello(const Frame& frame) {
  if (frame.type != FrameType::hello) {
    return make_error(ErrorKind::protocol, "handshake: expected a hello frame, got {}", to_string(frame.type));
  }
  auto object = KATA_TRY(parse_json_object(frame.payload).wrap("handshake"));
  return Hello::from_json(object).wrap("handshake");
}

Result<Session> negotiate(const Hello& local, const Hello& peer) {
  if (peer.version.major != local.version.major) {
    return make_error(ErrorKind::unsupported,
                      "incompatible agent protocol: {} {} speaks {}.{}, {} {} speaks {}.{}", to_string(peer.role),
                      peer.build_version, peer.version.major, peer.version.minor, to_string(local.role),
                      local.build_version, local.version.major, local.version.minor);
  }
  if (peer.role == local.role) {
    return make_error(ErrorKind::protocol, "handshake: peer claims to be the {} as well", to_string(peer.role));
  }
  Session session;
  session.peer_version = peer.version;
  session.peer_build_version = peer.build_version;
  for (const auto& capability : local.capabilities) {
    if (std::find(peer.capabilities.begin(), peer.capabilities.end(), capability) != peer.capabilities.end()) {
      session.capabilities.push_back(capability);
    }
  }
  session.send_window = peer.stream_window;
  session.receive_window = local.stream_window;
  session.max_payload = std::min({local.max_payload, peer.max_payload, kMaxFramePayload});
  return session;
}

}  // namespace kata::agent_client
