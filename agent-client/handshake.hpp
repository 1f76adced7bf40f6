#pragma once
// Versioned handshake: the first frame each side sends is a hello frame; no
// other frame may precede it in either direction.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent-client/frame.hpp"
#include "common/error.hpp"

namespace kata::agent_client {

/// Protocol version. Peers with different majors refuse each other; a
/// minor bump adds optional fields, messages flagged ignorable or
/// capabilities, never changes the meaning of existing ones.
struct ProtocolVersion {
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  bool operator==(const ProtocolVersion&) const = default;
};

// 1.1: restore_sandbox; 1.2: linux.seccomp may carry the host's compiled
// program (seccomp/precompiled.hpp); a 1.1 agent would ignore it and load
// the default action alone, which fails closed.
/// The version this tree speaks.
inline constexpr ProtocolVersion kProtocolVersion{1, 2};

/// A string the agent binary carries verbatim (it logs it at boot), so that
/// `kata check` can tell, by searching the uncompressed initramfs, whether
/// the installed guest speaks this host's protocol major version.
inline constexpr char kProtocolMarker[] = "kata-agent-protocol=1";
static_assert(kProtocolVersion.major == 1, "update kProtocolMarker with the major version");

/// Smallest and largest per-stream receive window a hello may announce.
inline constexpr std::uint32_t kMinStreamWindow = 4096;
inline constexpr std::uint32_t kMaxStreamWindow = 16U << 20;
/// Default per-stream receive window (64 KiB, like a pipe buffer).
inline constexpr std::uint32_t kDefaultStreamWindow = 64U << 10;
/// Most capabilities a hello may list.
inline constexpr std::size_t kMaxCapabilities = 64;

/// Which end of the connection a peer is.
enum class Role { host, agent };

/// Name of a role ("host", "agent").
std::string_view to_string(Role role);

/// Contents of a hello frame.
struct Hello {
  Role role = Role::host;
  ProtocolVersion version = kProtocolVersion;
  std::string build_version;              ///< e.g. the project version and git describe
  std::vector<std::string> capabilities;  ///< optional features the sender supports
  std::uint32_t stream_window = kDefaultStreamWindow;  ///< initial credit the sender grants per stream
  std::uint32_t max_payload = kMaxFramePayload;         ///< largest payload the sender accepts

  nlohmann::json to_json() const;
  /// Validates every field (protocol error otherwise).
  static Result<Hello> from_json(const nlohmann::json& json);
};

/// A hello frame.
Result<std::string> encode_hello(const Hello& hello);
/// Decodes a hello frame; protocol error on any other frame or invalid content.
Result<Hello> decode_hello(const Frame& frame);

/// What both sides agreed on.
struct Session {
  ProtocolVersion peer_version;
  std::string peer_build_version;
  std::vector<std::string> capabilities;  ///< supported by both, in `local`'s order
  std::uint32_t send_window = 0;     ///< initial credit for streams we send on (peer's window)
  std::uint32_t receive_window = 0;  ///< initial credit we grant on streams we receive
  std::uint32_t max_payload = 0;     ///< largest payload either side may send (minimum of both)
};

/// Checks `peer` against `local`: roles must differ and majors match. Fails
/// with unsupported and a message naming both versions on a major mismatch
/// ("incompatible agent protocol: agent speaks 2.0, host speaks 1.0"), with
/// protocol on a same-role peer.
Result<Session> negotiate(const Hello& local, const Hello& peer);

}  // namespace kata::agent_client
