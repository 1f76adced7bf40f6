// `kata ps ID`: the container's processes. They run in the VM, so the pids
// are the guest's (no host process has them), and the agent reports pids
// only: `-f json` prints the array of guest pids (what containerd's shim
// reads), the table a single PID column. runc's table runs the host ps(1)
// with PS-ARGS and keeps the container's rows; the host ps cannot see guest
// processes, so PS-ARGS are refused rather than silently ignored.
#include "cmd/cli11.hpp"

#include <cstdio>

#include "cmd/config_loading.hpp"
#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"
#include "runtime/container_control.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, PsOptions& options) {
  declare_table_format(app, options.format);
  declare_container_id(app, options.id);
  app.add_option("ps-args", options.ps_args,
                 "not supported: the processes live in the VM, where kata cannot run ps(1)");
}

Result<int> run_verb(const GlobalOptions& global, const PsOptions& options) {
  if (!options.ps_args.empty())
    return make_error(ErrorKind::unsupported,
                      "ps arguments are not supported: the container's processes run inside its VM and the agent "
                      "reports their guest PIDs only");
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  auto pids = KATA_TRY(runtime::list_container_processes(store, options.id));
  std::string output;
  if (options.format == TableFormat::json) {
    output = nlohmann::json(pids).dump() + "\n";
  } else {
    output = "PID\n";
    for (auto pid : pids) output += std::to_string(pid) + "\n";
  }
  std::fputs(output.c_str(), stdout);
  return 0;
}

}  // namespace kata::cmd
