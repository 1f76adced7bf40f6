// `kata list`: the containers under --root.
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, ListOptions& options) {
  declare_table_format(app, options.format);
  app.add_flag("-q,--quiet", options.quiet, "display only container IDs");
}

Result<int> run_verb(const GlobalOptions& /*global*/, const ListOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
