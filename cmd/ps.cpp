// `kata ps ID [PS-ARGS...]`: the container's processes, as host PIDs (json)
// or as the host ps(1) table.
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, PsOptions& options) {
  declare_table_format(app, options.format);
  declare_container_id(app, options.id);
  app.add_option("ps-args", options.ps_args, "arguments for ps(1) in the table format (default: -ef)");
}

Result<int> run_verb(const GlobalOptions& /*global*/, const PsOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
