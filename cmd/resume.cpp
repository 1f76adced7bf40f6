// `kata resume`: thaw a paused container.
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, ResumeOptions& options) { declare_container_id(app, options.id); }

Result<int> run_verb(const GlobalOptions& /*global*/, const ResumeOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
