// `kata env` (alias kata-env): the effective configuration and host facts,
// TOML by default, JSON with --json.
#include "cmd/cli11.hpp"

#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, EnvOptions& options) {
  app.add_flag("--json", options.json, "format output as JSON");
}

Result<int> run_verb(const GlobalOptions& /*global*/, const EnvOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
