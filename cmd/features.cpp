// `kata features`: print the runtime-spec features document (JSON) on stdout.
#include "cmd/cli11.hpp"

#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& /*app*/, FeaturesOptions& /*options*/) {}

Result<int> run_verb(const GlobalOptions& /*global*/, const FeaturesOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
