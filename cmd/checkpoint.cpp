// `kata checkpoint`: not supported. runc checkpoints with CRIU, which dumps
// host processes; a kata container's processes live inside a guest kernel
// that CRIU cannot see, and saving the whole VM is a different feature. The
// flags are still parsed so engines get a clear error rather than a usage
// error, and `--help` exits non-zero so podman's probe reads "unsupported".
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, CheckpointOptions& options) {
  declare_criu_flags(app, options.criu);
  app.add_option("--parent-path", options.parent_path, "path for previous criu image files in pre-dump");
  app.add_flag("--leave-running", options.leave_running, "leave the process running after checkpointing");
  app.add_option("--status-fd", options.status_fd,
                 "criu writes \\0 to this FD once lazy-pages is ready");
  app.add_option("--page-server", options.page_server, "ADDRESS:PORT of the page server");
  app.add_flag("--pre-dump", options.pre_dump,
               "dump container's memory information only, leave the container running after this");
  app.footer(
      "kata does not support checkpointing: CRIU cannot dump processes that run inside a "
      "virtual machine's kernel.");
  declare_container_id(app, options.id);
}

Result<int> run_verb(const GlobalOptions& /*global*/, const CheckpointOptions& /*options*/) {
  return make_error(ErrorKind::unsupported,
                    "checkpointing is not supported by kata: the container runs inside a virtual "
                    "machine, whose processes CRIU cannot dump");
}

}  // namespace kata::cmd
