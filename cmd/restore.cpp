// `kata restore`: would restore a checkpoint; since kata makes none
// (cmd/checkpoint.cpp), this reports that, after parsing every runc flag.
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, RestoreOptions& options) {
  declare_criu_flags(app, options.criu);
  // restore has no --no-new-keyring in runc; accepting it too is harmless.
  declare_bundle_flags(app, options.bundle);
  app.add_flag("-d,--detach", options.detach, "detach from the container's process");
  app.add_flag("--no-subreaper", options.no_subreaper,
               "disable the use of the subreaper used to reap reparented processes");
  app.add_option("--lsm-profile", options.lsm_profile,
                 "specify an LSM profile to be used during restore in the form of TYPE:NAME");
  app.add_option("--lsm-mount-context", options.lsm_mount_context,
                 "specify an LSM mount context to be used during restore");
  declare_container_id(app, options.id);
}

Result<int> run_verb(const GlobalOptions& /*global*/, const RestoreOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
