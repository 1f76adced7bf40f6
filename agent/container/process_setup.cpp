#include "agent/container/process_setup.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

#include "common/fs.hpp"
#include "common/unique_fd.hpp"
#include "seccomp/precompiled.hpp"

namespace kata::agent {
namespace {

struct RlimitName {
  std::string_view name;
  int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::optional<std::string_view> env_value(const std::vector<std::string>& env, std::string_view key) {
  // The last definition wins, as with a shell's environment.
  std::optional<std::string_view> value;
  for (const auto& entry : env) {
    if (entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 && entry[key.size()] == '=') {
      value = std::string_view(entry).substr(key.size() + 1);
    }
  }
  return value;
}

// Home directory of `uid` from the container's /etc/passwd, "/" if none.
std::string home_of(uid_t uid) {
  auto passwd = read_file("/etc/passwd", 1 << 20);
  if (!passwd) return "/";
  std::string_view text = *passwd;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    std::string_view fields[7];
    std::size_t count = 0, start = 0;
    while (count < 7) {
      auto colon = line.find(':', start);
      fields[count++] = line.substr(start, colon == std::string_view::npos ? colon : colon - start);
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
    if (count == 7 && fields[2] == std::to_string(uid) && !fields[5].empty()) return std::string(fields[5]);
  }
  return "/";
}

bool is_executable_file(const std::string& path, int& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = errno;
    return false;
  }
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    error = EACCES;
    return false;
  }
  return true;
}

Result<void> apply_identity(const ProcessPlan& plan) {
  KATA_TRY(drop_bounding_set(plan.capabilities));
  // runc tries the cwd as root first (it may be unreadable by the user) and
  // again as the user if that failed.
  bool in_cwd = ::chdir(plan.cwd.c_str()) == 0;
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return sys_error(errno, "set keepcaps");
  if (::setgroups(plan.additional_gids.size(), plan.additional_gids.data()) != 0) {
    return sys_error(errno, "setgroups");
  }
  if (::setresgid(plan.gid, plan.gid, plan.gid) != 0) return sys_error(errno, "setgid {}", plan.gid);
  if (::setresuid(plan.uid, plan.uid, plan.uid) != 0) return sys_error(errno, "setuid {}", plan.uid);
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return sys_error(errno, "clear keepcaps");
  KATA_TRY(apply_capability_sets(plan.capabilities));
  ::umask(plan.umask);
  if (!in_cwd && ::chdir(plan.cwd.c_str()) != 0) return sys_error(errno, "chdir to cwd {}", plan.cwd);
  if (plan.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return sys_error(errno, "set no_new_privs");
  }
  return ok();
}

Result<std::string> find_executable(const ProcessPlan& plan) {
  const std::string& name = plan.args.front();
  int error = ENOENT;
  if (name.find('/') != std::string::npos) {
    if (is_executable_file(name, error)) return name;
    return sys_error(error, "exec \"{}\"", name);
  }
  std::string_view path = env_value(plan.env, "PATH").value_or(kDefaultPath);
  int first_error = ENOENT;
  while (true) {
    auto colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, name);
    if (is_executable_file(candidate, error)) return candidate;
    if (error == EACCES) first_error = EACCES;
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  if (first_error == EACCES) return sys_error(EACCES, "exec \"{}\"", name);
  return sys_error(ENOENT, "exec \"{}\": executable file not found in $PATH", name);
}

Result<void> reset_signals_and_fds() {
  sigset_t all;
  sigfillset(&all);
  if (::sigprocmask(SIG_UNBLOCK, &all, nullptr) != 0) return sys_error(errno, "unblock signals");
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction action {};
    if (::sigaction(sig, nullptr, &action) == 0 && action.sa_handler == SIG_IGN) ::signal(sig, SIG_DFL);
  }
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) return sys_error(errno, "mark fds close-on-exec");
  return ok();
}

}  // namespace

Result<ProcessPlan> plan_process(const oci::Process& process, const oci::Spec& container_spec) {
  ProcessPlan plan;
  if (!process.args || process.args->empty()) {
    return make_error(ErrorKind::invalid_argument, "process.args must not be empty");
  }
  plan.args = *process.args;
  plan.env = process.env.value_or(std::vector<std::string>{});
  plan.cwd = process.cwd.empty() ? "/" : process.cwd;
  if (process.user) {
    plan.uid = process.user->uid;
    plan.gid = process.user->gid;
    if (process.user->additional_gids) {
      plan.additional_gids.assign(process.user->additional_gids->begin(), process.user->additional_gids->end());
    }
    if (process.user->umask) plan.umask = static_cast<mode_t>(*process.user->umask);
  }
  if (process.rlimits) {
    for (const auto& limit : *process.rlimits) {
      ResolvedRlimit resolved;
      resolved.name = limit.type;
      resolved.resource = -1;
      for (const auto& known : kRlimits) {
        if (known.name == limit.type) resolved.resource = known.resource;
      }
      if (resolved.resource < 0) {
        return make_error(ErrorKind::invalid_argument, "unknown rlimit \"{}\"", limit.type);
      }
      resolved.limit.rlim_cur = limit.soft;
      resolved.limit.rlim_max = limit.hard;
      plan.rlimits.push_back(std::move(resolved));
    }
  }
  plan.no_new_privileges = process.no_new_privileges.value_or(false);
  plan.oom_score_adj = process.oom_score_adj;
  plan.capabilities = KATA_TRY(plan_capabilities(process));
  if (container_spec.linux_config && container_spec.linux_config->seccomp) {
    plan.seccomp = KATA_TRY(seccomp::program_for(*container_spec.linux_config->seccomp).wrap("seccomp"));
  }
  return plan;
}

Result<void> setup_stdio(const ProcessStdio& stdio, bool terminal) {
  // Copy the sources above 2 first: one of them may sit on 0, 1 or 2 already.
  UniqueFd copies[3];
  int sources[3] = {stdio.stdin_fd, stdio.stdout_fd, stdio.stderr_fd};
  for (int i = 0; i < 3; ++i) {
    int fd = sources[i] >= 0 ? ::fcntl(sources[i], F_DUPFD_CLOEXEC, 3)
                             : ::open("/dev/null", i == 0 ? O_RDONLY | O_CLOEXEC : O_WRONLY | O_CLOEXEC);
    if (fd < 0) return sys_error(errno, "duplicate stdio fd {}", i);
    copies[i].reset(fd);
  }
  for (int i = 0; i < 3; ++i) {
    if (::dup2(copies[i].get(), i) < 0) return sys_error(errno, "dup2 stdio fd {}", i);
  }
  if (::setsid() < 0) return sys_error(errno, "setsid");
  if (terminal && ::ioctl(0, TIOCSCTTY, 0) != 0) return sys_error(errno, "set the controlling terminal");
  return ok();
}

Result<void> apply_limits(const ProcessPlan& plan, pid_t pid) {
  if (plan.oom_score_adj) {
    auto path = pid == 0 ? std::string("/proc/self/oom_score_adj") : fmt::format("/proc/{}/oom_score_adj", pid);
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return sys_error(errno, "open {}", path);
    UniqueFd owner(fd);
    KATA_TRY(write_all(fd, std::to_string(*plan.oom_score_adj)).wrap("set oom_score_adj"));
  }
  for (const auto& limit : plan.rlimits) {
    if (::prlimit(pid, static_cast<__rlimit_resource>(limit.resource), &limit.limit, nullptr) != 0) {
      return sys_error(errno, "setrlimit {}", limit.name);
    }
  }
  return ok();
}

Result<ExecImage> prepare_exec(ProcessPlan& plan) {
  KATA_TRY(reset_signals_and_fds());
  if (!plan.no_new_privileges) KATA_TRY(seccomp::load(plan.seccomp));
  KATA_TRY(apply_identity(plan));
  ExecImage image;
  image.path = KATA_TRY(find_executable(plan));
  if (!env_value(plan.env, "HOME")) plan.env.push_back("HOME=" + home_of(plan.uid));
  for (auto& arg : plan.args) image.argv.push_back(arg.data());
  image.argv.push_back(nullptr);
  for (auto& entry : plan.env) image.envp.push_back(entry.data());
  image.envp.push_back(nullptr);
  return image;
}

Error exec_image(const ExecImage& image, const ProcessPlan& plan) {
  if (plan.no_new_privileges) {
    if (auto loaded = seccomp::load(plan.seccomp); !loaded) return std::move(loaded).error();
  }
  ::execve(image.path.c_str(), image.argv.data(), image.envp.data());
  return sys_error(errno, "exec \"{}\"", plan.args.front());
}

}  // namespace kata::agent
