#include "tests/support/busybox_rootfs.hpp"

#include <filesystem>
#include <system_error>

namespace kata::test_support {

namespace fs = std::filesystem;

const std::vector<std::string>& default_busybox_applets() {
  static const std::vector<std::string> applets = {
      "sh", "echo", "cat", "id", "hostname", "sleep", "ls", "grep", "mkdir", "kill",
      "pwd", "env", "mount", "touch", "true", "false", "wc", "head", "stat",
  };
  return applets;
}

const std::vector<std::string>& busybox_old_syscalls() {
  // From strace of `sh -c 'echo; touch; mkdir'` plus what glibc may call.
  static const std::vector<std::string> syscalls = {
      "read", "write", "close", "open", "openat", "stat", "fstat", "lstat", "newfstatat", "lseek",
      "mmap", "mprotect", "munmap", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl",
      "access", "pipe", "dup", "dup2", "getpid", "getppid", "getuid", "geteuid", "getgid", "getegid",
      "clone", "fork", "vfork", "execve", "exit", "exit_group", "wait4", "uname", "fcntl", "getcwd",
      "chdir", "readlink", "arch_prctl", "prctl", "set_tid_address", "futex", "getdents64", "kill",
      "setpgid", "getpgrp", "sigaltstack", "poll", "umask", "capget", "capset", "setgroups",
      "setresuid", "setresgid", "set_robust_list"};
  return syscalls;
}

Result<void> make_busybox_rootfs(const std::string& dir, const std::vector<std::string>& applets,
                                 const std::string& busybox) {
  std::error_code error;
  if (!fs::exists(busybox, error)) {
    return make_error(ErrorKind::not_found, "{} is missing (install busybox-static)", busybox);
  }
  const fs::path root(dir);
  for (const char* sub : {"bin", "proc", "sys", "dev", "tmp", "etc"}) {
    fs::create_directories(root / sub, error);
    if (error) return Error{ErrorKind::system, error.value(), "create " + (root / sub).string() + ": " + error.message()};
  }
  fs::copy_file(busybox, root / "bin" / "busybox", fs::copy_options::overwrite_existing, error);
  if (error) return Error{ErrorKind::system, error.value(), "copy " + busybox + ": " + error.message()};
  for (const auto& applet : applets) {
    const fs::path link = root / "bin" / applet;
    fs::remove(link, error);
    fs::create_symlink("busybox", link, error);
    if (error) return Error{ErrorKind::system, error.value(), "symlink " + link.string() + ": " + error.message()};
  }
  return ok();
}

}  // namespace kata::test_support
