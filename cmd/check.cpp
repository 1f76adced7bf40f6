// `kata check` (alias kata-check): can this host run kata containers?
#include "cmd/cli11.hpp"

#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, CheckOptions& options) {
  app.add_flag("-v,--verbose", options.verbose, "display the result of every check");
  app.add_flag("--json", options.json, "print the results as JSON");
  app.add_flag("-s,--strict", options.strict, "fail on warnings as well as errors");
  app.add_flag("-n,--no-network-checks", options.no_network_checks,
               "do not contact the network (kata never does; accepted for Kata compatibility)");
  app.add_flag("--boot", options.boot, "also boot a VM to its agent and back");
}

Result<int> run_verb(const GlobalOptions& /*global*/, const CheckOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
