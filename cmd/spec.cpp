// `kata spec`: write a template config.json into the bundle directory.
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"
#include "runtime/spec_file.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, SpecOptions& options) {
  app.add_option("-b,--bundle", options.bundle, "path to the root of the bundle directory");
  app.add_flag("--rootless", options.rootless, "generate a configuration for a rootless container");
}

Result<int> run_verb(const GlobalOptions& /*global*/, const SpecOptions& options) {
  KATA_TRY(runtime::write_default_spec(options.bundle, options.rootless));
  return 0;
}

}  // namespace kata::cmd
