#pragma once

#include <utility>

namespace kata {

/// Runs a callable when the scope ends, unless dismiss() was called. Used for
/// rollback: arm it after each side effect, dismiss it once all succeeded.
template <typename F>
class ScopeExit {
 public:
  explicit ScopeExit(F action) : action_(std::move(action)) {}
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  ~ScopeExit() {
    if (armed_) action_();
  }
  /// Keeps the action from running.
  void dismiss() { armed_ = false; }

 private:
  F action_;
  bool armed_ = true;
};

}  // namespace kata
