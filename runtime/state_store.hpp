#pragma once
// The state store: one directory per container under the state root.
//
//   <root>/            mode 0700 when kata creates it (runc does the same)
//   <root>/<id>/       mode 0700; created by reserve(), the container's lock
//   <root>/<id>/state.json   ContainerRecord, replaced atomically by save()
//
// Locking: each verb's critical section holds an exclusive flock on the
// container directory itself (an O_DIRECTORY fd), not on a lock file inside
// it: then the lock and the container are one inode and no lock file can be
// left behind or be recreated by a late waiter. remove() deletes the
// directory while holding the lock; a process that was waiting for that lock
// wakes up holding a lock on a deleted directory, sees it is unlinked, and
// gets "container does not exist" — it never recreates anything, because
// only reserve() creates directories.
//
// Readers (load, list_ids) take no lock: saves are atomic renames, so a
// reader sees the old or the new state.json, never a torn one.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "runtime/container_record.hpp"

namespace kata::runtime {

/// How long lock() waits for another kata process by default. A verb holds
/// the lock for seconds at most (create boots a VM: ~4 s under TCG), so
/// 30 s means the holder is stuck; failing then keeps every later call on
/// that container from hanging forever behind it.
inline constexpr std::chrono::milliseconds default_lock_timeout{30'000};

/// Exclusive lock on one container, held until this object is destroyed
/// (closing the fd releases the flock). Move-only. Owns the fd of the
/// container directory, which later code can use with openat() and for
/// socket paths that must stay short (see container_id.hpp).
class ContainerLock {
 public:
  ContainerLock(ContainerLock&&) noexcept = default;
  ContainerLock& operator=(ContainerLock&&) noexcept = default;

  /// The locked container's ID.
  const std::string& id() const { return id_; }
  /// Absolute path of the container directory (<root>/<id>).
  const std::string& dir() const { return dir_; }
  /// fd of the container directory (O_DIRECTORY, close-on-exec), owned here.
  int dir_fd() const { return fd_.get(); }

 private:
  friend class StateStore;
  ContainerLock(std::string id, std::string dir, UniqueFd fd)
      : id_(std::move(id)), dir_(std::move(dir)), fd_(std::move(fd)) {}

  std::string id_;
  std::string dir_;
  UniqueFd fd_;
};

/// The state root and the containers in it. Move-only (owns the root's fd).
class StateStore {
 public:
  /// Opens the state root `root` (made absolute against the cwd), creating it
  /// and missing parents with mode 0700 if absent; an existing root keeps its
  /// mode. Fails if `root` exists but is not a directory.
  static Result<StateStore> open(std::string root);

  /// Absolute path of the state root.
  const std::string& root() const { return root_; }
  /// <root>/<id>; `id` must already be valid.
  std::string container_dir(std::string_view id) const;

  /// Claims a new container ID: creates <root>/<id> (0700) and returns its
  /// lock. Exactly one of any number of concurrent callers wins; the others
  /// get already_exists "container with id exists: <id>". invalid_argument
  /// for a bad ID. The directory holds no state.json until save().
  Result<ContainerLock> reserve(std::string_view id);

  /// Takes the container's exclusive lock, waiting up to `timeout` for other
  /// holders (then a `timeout` error). not_found "container does not exist"
  /// when the container is missing or was removed while this call waited.
  Result<ContainerLock> lock(std::string_view id, std::chrono::milliseconds timeout = default_lock_timeout);

  /// Reads <root>/<id>/state.json. not_found "container does not exist" when
  /// the container or its state.json is missing; invalid_argument naming the
  /// file and the key when the file is corrupted or was edited badly.
  Result<ContainerRecord> load(std::string_view id) const;

  /// Atomically replaces the state.json of the locked container with
  /// `record`. The lock is a parameter so a save outside the critical section
  /// does not compile; record.id must equal lock.id() (internal error if not).
  Result<void> save(const ContainerLock& lock, const ContainerRecord& record);

  /// IDs of the container directories in the root, sorted. Entries that are
  /// not directories (symlinks included) or whose names are not valid IDs
  /// are skipped. A listed container may still lack state.json (mid-create)
  /// or vanish before load(); callers skip not_found from load().
  Result<std::vector<std::string>> list_ids() const;

  /// Deletes the locked container's directory and everything in it, without
  /// following symlinks and without descending into mount points (a bind
  /// mount left in share/ would otherwise let this delete a user's rootfs:
  /// such a directory is an error, and nothing beneath it is touched). The
  /// lock stays held until `lock` is destroyed; waiters then see not_found.
  Result<void> remove(ContainerLock& lock);

 private:
  StateStore(std::string root, UniqueFd root_fd) : root_(std::move(root)), root_fd_(std::move(root_fd)) {}

  Result<ContainerLock> lock_opened(std::string_view id, UniqueFd dir_fd, std::chrono::milliseconds timeout);

  std::string root_;
  UniqueFd root_fd_;
};

}  // namespace kata::runtime
