#include "cmd/create_params.hpp"

#include "cmd/config_loading.hpp"

namespace kata::cmd {

Result<runtime::CreateParams> create_params(const GlobalOptions& global, const BundleFlags& bundle,
                                            unsigned preserve_fds, const std::string& id) {
  runtime::CreateParams params;
  params.id = id;
  params.bundle = bundle.bundle;
  params.pid_file = bundle.pid_file;
  params.console_socket = bundle.console_socket;
  params.preserve_fds = preserve_fds;
  params.systemd_cgroup = global.systemd_cgroup;
  params.config = KATA_TRY(load_configuration(global));
  return params;
}

}  // namespace kata::cmd
