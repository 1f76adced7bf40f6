#pragma once
// Turns argv into a typed Invocation without executing anything: no output,
// no files opened, no environment read except through the HostIdentity the
// caller passes. main() then sets up logging from the global options and
// dispatches (cmd/execute.hpp).

#include <string>
#include <variant>
#include <vector>

#include "cmd/global_options.hpp"
#include "cmd/verb_options.hpp"

namespace kata::cmd {

/// --help / `help [VERB]` / no arguments: print `text` on stdout and exit
/// with `exit_code` (0, except for verbs kata does not support).
struct HelpRequest {
  std::string text;
  int exit_code = 0;
};

/// --version / -v.
struct VersionRequest {};

/// The command line is wrong. `verb` is the verb it was for, empty when the
/// mistake came before (or was) the verb.
struct UsageError {
  std::string message;
  std::string verb;
  int exit_code = 1;  ///< 3 for an unknown verb, as runc 1.1 does
};

/// What the command line asks for.
using Command = std::variant<HelpRequest, VersionRequest, UsageError, VerbOptions>;

/// A parsed command line. `global` is filled as far as parsing got, even on
/// a UsageError, so the error can still be written to --log in --log-format.
struct Invocation {
  GlobalOptions global;
  Command command;
};

/// Parses `args` (argv without argv[0]). The default --root comes from
/// `identity`. Accepts `--opt value`, `--opt=value`, short forms, and Go
/// flag style single-dash long options (`-no-subreaper`, `-bundle=B`).
Invocation parse_command_line(const std::vector<std::string>& args, const HostIdentity& identity);

/// The verb name of a parsed verb ("create").
std::string_view verb_name(const VerbOptions& options);

}  // namespace kata::cmd
