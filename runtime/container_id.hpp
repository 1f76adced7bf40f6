#pragma once
// Container IDs name directories under the state root and appear in every
// error message, so they are validated before anything touches the disk.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kata::runtime {

/// Longest accepted ID. An ID becomes one path component (<root>/<id>), so it
/// can be at most NAME_MAX (255) bytes; anything shorter would reject IDs that
/// runc accepts (engines use 64 hex characters, people use names).
/// Note for later code: a unix socket path (sun_path) holds only 108 bytes,
/// and "<root>/<id>/monitor.sock" with a long root or ID does not fit. Never
/// bind or connect to a path built from the ID directly: go through the
/// container directory's fd (e.g. "/proc/self/fd/<dirfd>/monitor.sock" or
/// chdir into it) or derive a short name. The same holds for other
/// length-limited names (tap devices: 15 bytes, QEMU -name).
inline constexpr std::size_t max_container_id_length = 255;

/// Checks `id` with runc's rules: one or more of [A-Za-z0-9_+.-], not "." or
/// "..", at most max_container_id_length bytes. Fails with invalid_argument:
/// `invalid container id "a/b": ...`.
Result<void> validate_container_id(std::string_view id);

/// `id` made safe to print inside quotes: non-printable bytes become \xNN and
/// very long IDs are shortened, so error messages stay readable.
std::string printable_container_id(std::string_view id);

}  // namespace kata::runtime
