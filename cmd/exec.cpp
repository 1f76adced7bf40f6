// `kata exec`: run a new process in a running container. Its errors exit 255
// (cmd/error_report.cpp), as runc's do.
#include "cmd/cli11.hpp"

#include "cmd/config_loading.hpp"
#include "cmd/shared_flags.hpp"
#include "runtime/exec.hpp"
#include "runtime/exec_process.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, ExecOptions& options) {
  app.add_option("--console-socket", options.console_socket,
                 "path to an AF_UNIX socket which will receive a file descriptor referencing the "
                 "master end of the console's pseudoterminal");
  app.add_option("--cwd", options.cwd, "current working directory in the container");
  // Repeatable options take one value per occurrence, like Go's StringSlice.
  app.add_option("-e,--env", options.env, "set environment variables")->allow_extra_args(false);
  app.add_flag("-t,--tty", options.tty, "allocate a pseudo-TTY");
  app.add_option("-u,--user", options.user, "UID (format: <uid>[:<gid>])");
  app.add_option("-g,--additional-gids", options.additional_gids, "additional gids")
      ->allow_extra_args(false);
  app.add_option("-p,--process", options.process_file, "path to the process.json");
  app.add_flag("-d,--detach", options.detach, "detach from the container's process");
  app.add_option("--pid-file", options.pid_file, "specify the file to write the process id to");
  app.add_option("--process-label", options.process_label,
                 "set the asm process label for the process commonly used with selinux");
  app.add_option("--apparmor", options.apparmor, "set the apparmor profile for the process");
  app.add_flag("--no-new-privs", options.no_new_privs, "set the no new privileges value for the process");
  app.add_option("-c,--cap", options.caps, "add a capability to the bounding set for the process")
      ->allow_extra_args(false);
  declare_preserve_fds(app, options.preserve_fds);
  app.add_option("--cgroup", options.cgroups,
                 "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>")
      ->allow_extra_args(false);
  app.add_flag("--ignore-paused", options.ignore_paused, "allow exec in a paused container");
  declare_container_id(app, options.id);
  // Words after the ID are the command's own, flags included (CLI11's
  // positionals_at_end). A "--" right after the ID is dropped, so
  // `kata exec ID -- sh -c x` works as people expect.
  app.add_option_function<std::vector<std::string>>(
      "command",
      [&options](const std::vector<std::string>& words) {
        auto first = words.begin();
        if (first != words.end() && *first == "--") ++first;
        options.command.assign(first, words.end());
      },
      "the command and its arguments (unless -p is given)");
}

Result<int> run_verb(const GlobalOptions& global, const ExecOptions& options) {
  if (options.preserve_fds > 0)
    return make_error(ErrorKind::unsupported,
                      "--preserve-fds is not supported: host file descriptors cannot be passed into a VM");
  if (!options.cgroups.empty())
    return make_error(ErrorKind::unsupported, "--cgroup is not supported: the container's cgroups are in its VM");
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  runtime::ExecParams params;
  params.id = options.id;
  params.console_socket = options.console_socket;
  params.detach = options.detach;
  params.pid_file = options.pid_file;
  params.ignore_paused = options.ignore_paused;
  // -p wins over the flags, as with runc.
  if (!options.process_file.empty()) {
    params.process = KATA_TRY(runtime::load_exec_process_file(options.process_file));
  } else {
    runtime::ExecFlags flags{options.command, options.env,  options.cwd,  options.tty,
                             options.user,    options.additional_gids, options.no_new_privs,
                             options.caps,    options.apparmor,        options.process_label};
    auto base = KATA_TRY(runtime::container_process(store, options.id));
    params.process = KATA_TRY(runtime::exec_process_from_flags(base, flags));
  }
  return runtime::exec_in_container(store, params);
}

}  // namespace kata::cmd
