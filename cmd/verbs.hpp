#pragma once
// The two entry points of every verb, each pair defined in cmd/<verb>.cpp:
// declare_options() tells CLI11 the verb's flags and positionals, bound to
// the fields of its options struct; run_verb() carries the verb out and
// returns the process exit code (0 on success; exec and run in the
// foreground return the container process's status).

#include "cmd/global_options.hpp"
#include "cmd/verb_options.hpp"
#include "common/error.hpp"

namespace CLI {
class App;
}

namespace kata::cmd {

#define KATA_CMD_DECLARE_VERB(Options)                          \
  /** Declares the flags and positionals of Options' verb. */ \
  void declare_options(CLI::App& app, Options& options);       \
  /** Runs the verb; the exit code, or the error to report. */ \
  Result<int> run_verb(const GlobalOptions& global, const Options& options);

KATA_CMD_DECLARE_VERB(CreateOptions)
KATA_CMD_DECLARE_VERB(RunOptions)
KATA_CMD_DECLARE_VERB(StartOptions)
KATA_CMD_DECLARE_VERB(StateOptions)
KATA_CMD_DECLARE_VERB(KillOptions)
KATA_CMD_DECLARE_VERB(DeleteOptions)
KATA_CMD_DECLARE_VERB(ExecOptions)
KATA_CMD_DECLARE_VERB(PsOptions)
KATA_CMD_DECLARE_VERB(ListOptions)
KATA_CMD_DECLARE_VERB(PauseOptions)
KATA_CMD_DECLARE_VERB(ResumeOptions)
KATA_CMD_DECLARE_VERB(UpdateOptions)
KATA_CMD_DECLARE_VERB(EventsOptions)
KATA_CMD_DECLARE_VERB(SpecOptions)
KATA_CMD_DECLARE_VERB(FeaturesOptions)
KATA_CMD_DECLARE_VERB(CheckpointOptions)
KATA_CMD_DECLARE_VERB(RestoreOptions)
KATA_CMD_DECLARE_VERB(EnvOptions)
KATA_CMD_DECLARE_VERB(CheckOptions)
KATA_CMD_DECLARE_VERB(TimingsOptions)
KATA_CMD_DECLARE_VERB(FactoryOptions)

#undef KATA_CMD_DECLARE_VERB

/// The error of a verb that a later release implements: kind `unsupported`,
/// message "not implemented yet". The reporter puts "kata <verb>: " in front.
Error not_implemented();

}  // namespace kata::cmd
