// `kata run`: create + start; in the foreground it waits and exits with the
// container's status.
#include "cmd/cli11.hpp"

#include <signal.h>

#include <optional>

#include "cmd/config_loading.hpp"
#include "cmd/create_params.hpp"
#include "cmd/shared_flags.hpp"
#include "runtime/exec.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/terminal.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, RunOptions& options) {
  declare_bundle_flags(app, options.bundle);
  declare_preserve_fds(app, options.preserve_fds);
  app.add_flag("-d,--detach", options.detach, "detach from the container's process");
  app.add_flag("--keep", options.keep, "do not delete the container after it exits");
  app.add_flag("--no-subreaper", options.no_subreaper,
               "disable the use of the subreaper used to reap reparented processes");
  declare_container_id(app, options.id);
}

namespace {

// The foreground monitor, for forwarding the signals a terminal or an engine
// sends to `run` (the monitor is in its own session and gets none itself).
volatile sig_atomic_t foreground_monitor = 0;
void forward_signal(int signal) {
  if (foreground_monitor > 0) ::kill(static_cast<pid_t>(foreground_monitor), signal);
}

}  // namespace

Result<int> run_verb(const GlobalOptions& global, const RunOptions& options) {
  auto params = KATA_TRY(create_params(global, options.bundle, options.preserve_fds, options.id));
  params.detached = options.detach;
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  auto monitor = KATA_TRY(runtime::create_container(store, params));
  if (auto started = runtime::start_container(store, options.id); !started) {
    monitor = ChildProcess();  // kills it; delete cleans up the rest
    (void)runtime::delete_container(store, options.id, true);
    return std::move(started).error();
  }
  if (options.detach) {
    monitor.release();
    return 0;
  }
  // A terminal proxied in the foreground: the caller's terminal goes raw
  // (the guest's pty does the line discipline) until the container exits.
  std::optional<runtime::RawMode> raw;
  if (auto process = runtime::container_process(store, options.id);
      process && process->value("terminal", false) == true)
    raw.emplace(0);
  foreground_monitor = monitor.pid();
  struct sigaction action {};
  action.sa_handler = forward_signal;
  ::sigemptyset(&action.sa_mask);
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) ::sigaction(signal, &action, nullptr);
  auto waited = monitor.wait();
  foreground_monitor = 0;
  KATA_TRY(waited);
  int status = exit_code_from_wait_status(*waited);
  if (!options.keep) KATA_TRY(runtime::delete_container(store, options.id, false).wrap("delete after exit"));
  return status;
}

}  // namespace kata::cmd
