#pragma once
// Running code inside another network namespace and coming back.
//
// Decision: kata enters the container's namespace with setns(2) on the
// calling thread and returns to its own afterwards, instead of forking a
// helper and passing fds back: a network namespace is per thread, so this is
// safe even if some library started a thread, and a tap fd opened inside
// stays bound to its device there after the thread leaves.

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::runtime::network {

/// A namespace's identity: the device and inode of its nsfs file, the same
/// whichever path names it (/proc/<pid>/ns/net, a bind mount in /run/netns).
struct NamespaceId {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  bool operator==(const NamespaceId&) const = default;
};

/// Opens a network namespace file (/run/netns/x, /proc/<pid>/ns/net);
/// nullopt when it does not exist (nothing to tear down there).
Result<std::optional<UniqueFd>> open_netns(const std::string& path);

/// The identity of the namespace open on `fd`; `path` only names it in errors.
Result<NamespaceId> namespace_id(int fd, const std::string& path);

/// The identity of the namespace file `path` (/proc/<pid>/ns/ipc, a pinned
/// file, any type); with `keep`, the opened file is handed back there.
Result<NamespaceId> namespace_id_of(const std::string& path, UniqueFd* keep = nullptr);

/// Opens the network namespace an engine gave a container and proves it is
/// one kata may change: a network namespace (invalid_argument otherwise),
/// and neither kata's own nor the host's initial one (unsupported, as a
/// spec without a network namespace: taps and filters there would take over
/// the host's traffic). not_found when it does not exist.
Result<UniqueFd> open_container_netns(const std::string& path);

/// While alive, the calling thread is in another network namespace; the
/// destructor returns it to the one it was in before.
class NetnsEntry {
 public:
  /// Enters the namespace of `netns_fd` (an open namespace file) and checks
  /// that the thread is now in exactly that one; `path` only names it in
  /// errors. invalid_argument when it is not a network namespace.
  static Result<NetnsEntry> enter(int netns_fd, const std::string& path);
  NetnsEntry(NetnsEntry&&) noexcept = default;
  NetnsEntry& operator=(NetnsEntry&&) = delete;
  ~NetnsEntry();

 private:
  explicit NetnsEntry(UniqueFd original) : original_(std::move(original)) {}
  UniqueFd original_;
};

}  // namespace kata::runtime::network
