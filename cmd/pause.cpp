// `kata pause`: freeze every process of the container.
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, PauseOptions& options) { declare_container_id(app, options.id); }

Result<int> run_verb(const GlobalOptions& /*global*/, const PauseOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
