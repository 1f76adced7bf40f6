#include "cmd/shared_flags.hpp"

#include "cmd/cli11.hpp"

namespace kata::cmd {

void declare_container_id(CLI::App& app, std::string& id) {
  app.add_option("container-id", id, "the name of the container instance")->required();
}

void declare_bundle_flags(CLI::App& app, BundleFlags& flags) {
  app.add_option("-b,--bundle", flags.bundle,
                 "path to the root of the bundle directory, defaults to the current directory");
  app.add_option("--console-socket", flags.console_socket,
                 "path to an AF_UNIX socket which will receive a file descriptor referencing the "
                 "master end of the console's pseudoterminal");
  app.add_option("--pid-file", flags.pid_file, "specify the file to write the process id to");
  app.add_flag("--no-pivot", flags.no_pivot,
               "do not use pivot root to jail process inside rootfs (for a rootfs on a ramdisk)");
  app.add_flag("--no-new-keyring", flags.no_new_keyring,
               "do not create a new session keyring for the container");
}

void declare_preserve_fds(CLI::App& app, unsigned& count) {
  app.add_option("--preserve-fds", count,
                 "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)");
}

void declare_table_format(CLI::App& app, TableFormat& format) {
  declare_choice(app, "-f,--format", format, {{"table", TableFormat::table}, {"json", TableFormat::json}},
                 "select one of: table or json (default: \"table\")");
}

void declare_criu_flags(CLI::App& app, CriuFlags& flags) {
  app.add_option("--image-path", flags.image_path, "path for criu image files");
  app.add_option("--work-path", flags.work_path, "path for saving work files and logs");
  app.add_flag("--tcp-established", flags.tcp_established, "allow open tcp connections");
  app.add_flag("--ext-unix-sk", flags.ext_unix_sk, "allow external unix sockets");
  app.add_flag("--shell-job", flags.shell_job, "allow shell jobs");
  app.add_flag("--lazy-pages", flags.lazy_pages, "use userfaultfd to lazily restore memory pages");
  app.add_flag("--file-locks", flags.file_locks, "handle file locks, for safety");
  app.add_option("--manage-cgroups-mode", flags.manage_cgroups_mode,
                 "cgroups mode: 'soft' (default), 'full' and 'strict'");
  app.add_option("--empty-ns", flags.empty_ns,
                 "create a namespace, but don't restore its properties")
      ->allow_extra_args(false);
  app.add_flag("--auto-dedup", flags.auto_dedup, "enable auto deduplication of memory images");
}

}  // namespace kata::cmd
