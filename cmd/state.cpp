// `kata state`: print the container's OCI state JSON on stdout (and nothing on stderr).
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, StateOptions& options) { declare_container_id(app, options.id); }

Result<int> run_verb(const GlobalOptions& /*global*/, const StateOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
