#pragma once
// Errors as values: every fallible call returns Result<T>. The error is made
// where the call fails and gains context on the way up, so the message a user
// finally reads is a chain: "start vm: qmp: connect /x: No such file or directory".

#include <fmt/format.h>

#include <cassert>
#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kata {

/// What went wrong, coarse enough for callers to branch on and for the CLI to
/// tell a user's mistake (bad input, unknown container) from a host failure.
enum class ErrorKind {
  invalid_argument,  ///< the caller's input is wrong (flags, config.json, IDs)
  not_found,         ///< a named thing (container, file, process) does not exist
  already_exists,    ///< a thing that must be new exists already
  wrong_state,       ///< the thing exists but the operation is not allowed now
  system,            ///< a syscall or host resource failed; errno says which
  protocol,          ///< a peer (guest agent, QMP) sent something invalid
  timeout,           ///< a bounded wait ran out
  unsupported,       ///< asked for something kata does not (or cannot) do
  internal,          ///< a bug in kata
};

/// Name of an ErrorKind, for logs and JSON ("not_found").
std::string_view to_string(ErrorKind kind);

/// A failure: its kind, the errno that caused it (0 if none) and a message
/// that already includes every context added with wrap().
struct Error {
  ErrorKind kind = ErrorKind::internal;
  int errno_value = 0;
  std::string message;

  /// Returns this error with "context: " put in front of the message.
  [[nodiscard]] Error wrap(std::string_view context) const&;
  /// Same, reusing this error's storage.
  [[nodiscard]] Error wrap(std::string_view context) &&;
};

/// An error of `kind` with a formatted message and no errno.
template <typename... Args>
[[nodiscard]] Error make_error(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  return Error{kind, 0, fmt::format(format, std::forward<Args>(args)...)};
}

/// Message for an errno value ("No such file or directory"), thread-safe.
std::string errno_message(int errno_value);

/// A failed syscall: kind `system` (or `not_found` for ENOENT), the errno,
/// and "<formatted message>: <strerror>".
template <typename... Args>
[[nodiscard]] Error sys_error(int errno_value, fmt::format_string<Args...> format, Args&&... args) {
  auto message = fmt::format(format, std::forward<Args>(args)...);
  message += ": ";
  message += errno_message(errno_value);
  ErrorKind kind = errno_value == ENOENT ? ErrorKind::not_found : ErrorKind::system;
  return Error{kind, errno_value, std::move(message)};
}

/// Either a value of type T or an Error. Construct from either; test with
/// `if (!r)`; take the value with value() or `*r`, the error with error().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  /// True when this holds a value.
  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  /// The value; calling it on an error is a bug.
  T& value() & { assert(ok()); return std::get<0>(data_); }
  const T& value() const& { assert(ok()); return std::get<0>(data_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; calling it on a value is a bug.
  const Error& error() const& { assert(!ok()); return std::get<1>(data_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(data_)); }

  /// Adds context to the error, if any; a value passes through unchanged.
  Result wrap(std::string_view context) && {
    if (ok()) return std::move(*this);
    return std::move(*this).error().wrap(context);
  }

 private:
  std::variant<T, Error> data_;
};

/// Result of an operation that yields nothing but may fail.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit on purpose

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  void value() const { assert(ok()); }
  const Error& error() const& { assert(!ok()); return error_; }
  Error&& error() && { assert(!ok()); return std::move(error_); }

  Result wrap(std::string_view context) && {
    if (ok()) return {};
    return std::move(error_).wrap(context);
  }

 private:
  Error error_;
  bool failed_ = false;
};

/// A successful Result<void>.
inline Result<void> ok() { return {}; }

}  // namespace kata

/// Evaluates a Result expression; on error returns the error from the
/// enclosing function, otherwise yields the value (GNU statement expression,
/// supported by GCC and Clang).
#define KATA_TRY(expr)                                      \
  ({                                                        \
    auto kata_try_result_ = (expr);                         \
    if (!kata_try_result_) return std::move(kata_try_result_).error(); \
    std::move(kata_try_result_).value();                    \
  })
