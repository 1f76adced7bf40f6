// `kata exec`: run a new process in a running container. Its errors exit 255
// (cmd/error_report.cpp), as runc's do.
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
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

Result<int> run_verb(const GlobalOptions& /*global*/, const ExecOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
