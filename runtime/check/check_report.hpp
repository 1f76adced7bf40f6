#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kata::runtime {

/// Outcome of one check.
enum class CheckStatus { pass, warn, fail };

/// "pass", "warn", "fail".
std::string_view to_string(CheckStatus status);

/// One thing `kata check` looked at.
struct CheckResult {
  std::string id;       ///< stable name, e.g. "kvm.create_vm"
  CheckStatus status = CheckStatus::pass;
  std::string fact;     ///< what was seen, e.g. "/dev/kvm: API version 12"
  std::string fix;      ///< one line telling how to fix a warn or fail; empty on pass
};

/// The verdict drawn from all checks.
struct CheckVerdict {
  bool capable = false;     ///< the host can run kata containers at all
  bool uses_kvm = false;    ///< with hardware virtualisation (else TCG software emulation)
  bool can_create = false;  ///< the configured setup can create containers now (root only)
  bool checked_create = false;  ///< can_create was evaluated (the caller is root)
};

/// Every check and the verdict.
struct CheckReport {
  std::vector<CheckResult> checks;
  CheckVerdict verdict;
  /// The configuration file the checks were run against, or "built-in
  /// defaults"; empty leaves it out of the report.
  std::string config_source;

  /// Number of checks with `status`.
  std::size_t count(CheckStatus status) const;
  /// Exit code of `kata check`: 0 when the configured setup can create
  /// containers (and, with `strict`, nothing warned), 1 otherwise.
  int exit_code(bool strict) const;
};

/// The verdict lines, in Kata's words where they fit ("System is capable of
/// running kata containers (with KVM)").
std::vector<std::string> verdict_lines(const CheckReport& report);

/// Human-readable report: every check with `verbose`, otherwise only warnings
/// and failures; then the configuration file in use and the verdict.
std::string render_text(const CheckReport& report, bool verbose);

/// One JSON document with every check, the configuration file in use
/// ("configuration": {"path": ...}) and the verdict.
nlohmann::json to_json(const CheckReport& report);

}  // namespace kata::runtime
