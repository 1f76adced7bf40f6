#pragma once
// Running code inside another network namespace and coming back.
//
// Decision: kata enters the container's namespace with setns(2) on the
// calling thread and returns to its own afterwards, instead of forking a
// helper and passing fds back: a network namespace is per thread, so this is
// safe even if some library started a thread, and a tap fd opened inside
// stays bound to its device there after the thread leaves.

#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::runtime::network {

/// Opens a network namespace file (/run/netns/x, /proc/<pid>/ns/net);
/// nullopt when it does not exist (nothing to tear down there).
Result<std::optional<UniqueFd>> open_netns(const std::string& path);

/// While alive, the calling thread is in another network namespace; the
/// destructor returns it to the one it was in before.
class NetnsEntry {
 public:
  /// Enters the namespace of `netns_fd` (an open namespace file); `path`
  /// only names it in errors. invalid_argument when it is not a network namespace.
  static Result<NetnsEntry> enter(int netns_fd, const std::string& path);
  NetnsEntry(NetnsEntry&&) noexcept = default;
  NetnsEntry& operator=(NetnsEntry&&) = delete;
  ~NetnsEntry();

 private:
  explicit NetnsEntry(UniqueFd original) : original_(std::move(original)) {}
  UniqueFd original_;
};

}  // namespace kata::runtime::network
