#include "runtime/check/check_report.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kata::runtime {

std::string_view to_string(CheckStatus status) {
  switch (status) {
    case CheckStatus::pass: return "pass";
    case CheckStatus::warn: return "warn";
    case CheckStatus::fail: return "fail";
  }
  return "unknown";
}

std::size_t CheckReport::count(CheckStatus status) const {
  return static_cast<std::size_t>(
      std::count_if(checks.begin(), checks.end(), [status](const CheckResult& check) { return check.status == status; }));
}

int CheckReport::exit_code(bool strict) const {
  if (count(CheckStatus::fail) > 0 || !verdict.capable) return 1;
  if (strict && count(CheckStatus::warn) > 0) return 1;
  return 0;
}

std::vector<std::string> verdict_lines(const CheckReport& report) {
  std::vector<std::string> lines;
  const auto& verdict = report.verdict;
  if (!verdict.capable) {
    lines.push_back("ERROR: System is not capable of running kata containers");
    return lines;
  }
  lines.push_back(verdict.uses_kvm
                      ? "System is capable of running kata containers (with KVM)"
                      : "System is capable of running kata containers (with TCG software emulation, much slower)");
  if (verdict.checked_create) {
    lines.push_back(verdict.can_create ? "System can currently create kata containers"
                                       : "ERROR: System cannot currently create kata containers");
  }
  return lines;
}

std::string render_text(const CheckReport& report, bool verbose) {
  std::string text;
  for (const auto& check : report.checks) {
    if (!verbose && check.status == CheckStatus::pass) continue;
    const char* label = check.status == CheckStatus::pass ? "PASS" : check.status == CheckStatus::warn ? "WARN" : "FAIL";
    text += fmt::format("{:<4}  {:<24} {}\n", label, check.id, check.fact);
    if (!check.fix.empty()) text += fmt::format("{:<4}  {:<24} fix: {}\n", "", "", check.fix);
  }
  if (!text.empty()) text += "\n";
  // Always shown, not only under --verbose: which file was read is the first
  // question when a setting seems to be ignored.
  if (!report.config_source.empty()) text += fmt::format("Configuration: {}\n", report.config_source);
  for (const auto& line : verdict_lines(report)) text += line + "\n";
  return text;
}

nlohmann::json to_json(const CheckReport& report) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& check : report.checks) {
    nlohmann::json entry = {{"id", check.id}, {"status", std::string(to_string(check.status))}, {"fact", check.fact}};
    if (!check.fix.empty()) entry["fix"] = check.fix;
    checks.push_back(std::move(entry));
  }
  nlohmann::json verdict = {
      {"capable", report.verdict.capable},
      {"accelerator", report.verdict.uses_kvm ? "kvm" : "tcg"},
      {"messages", verdict_lines(report)},
  };
  if (report.verdict.checked_create) verdict["can_create"] = report.verdict.can_create;
  nlohmann::json document = {{"checks", std::move(checks)}, {"verdict", std::move(verdict)}};
  if (!report.config_source.empty()) document["configuration"] = {{"path", report.config_source}};
  return document;
}

}  // namespace kata::runtime
