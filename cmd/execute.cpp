#include "cmd/execute.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <string>

#include "cmd/error_report.hpp"
#include "cmd/logging.hpp"
#include "cmd/verbs.hpp"
#include "cmd/version.hpp"
#include "common/fs.hpp"

namespace kata::cmd {
namespace {

int print_stdout(std::string_view text, int exit_code) {
  if (!write_all(STDOUT_FILENO, text)) return 1;
  return exit_code;
}

int run(const GlobalOptions& global, const VerbOptions& options) {
  std::string_view verb = verb_name(options);
  spdlog::debug("kata {} (commit {}): {} with root {}", kVersion, kGitCommit, verb, global.root);
  auto result = std::visit([&](const auto& verb_options) { return run_verb(global, verb_options); }, options);
  if (result) return *result;
  report_error(global, fmt::format("kata {}: {}", verb, result.error().message));
  return failure_exit_code(verb);
}

}  // namespace

int execute(const Invocation& invocation) {
  const GlobalOptions& global = invocation.global;
  if (auto logging = setup_logging(global); !logging) {
    // runc refuses to run without the log it was told to write.
    (void)write_all(STDERR_FILENO, "kata: " + logging.error().message + "\n");
    return 1;
  }
  return std::visit(
      [&](const auto& command) -> int {
        using Kind = std::decay_t<decltype(command)>;
        if constexpr (std::is_same_v<Kind, HelpRequest>) {
          int code = print_stdout(command.text, command.exit_code);
          if (!command.text.ends_with('\n')) (void)write_all(STDOUT_FILENO, "\n");
          return code;
        } else if constexpr (std::is_same_v<Kind, VersionRequest>) {
          return print_stdout(version_text(), 0);
        } else if constexpr (std::is_same_v<Kind, UsageError>) {
          std::string prefix = command.verb.empty() ? "kata: " : "kata " + command.verb + ": ";
          report_error(global, prefix + command.message);
          return command.exit_code;
        } else {
          return run(global, command);
        }
      },
      invocation.command);
}

}  // namespace kata::cmd
