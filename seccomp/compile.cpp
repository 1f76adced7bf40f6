#include "seccomp/compile.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <string>

#include "seccomp/newer_syscalls.hpp"
#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"

namespace kata::seccomp {
namespace {

Result<std::uint32_t> action_of(const std::string& name, std::optional<std::uint32_t> errno_ret) {
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
  if (name == "SCMP_ACT_NOTIFY") {
    return make_error(ErrorKind::unsupported,
                      "seccomp action SCMP_ACT_NOTIFY is not supported (no listener inside the VM)");
  }
  return make_error(ErrorKind::invalid_argument, "unknown seccomp action \"{}\"", name);
}

Result<scmp_compare> operator_of(const std::string& name) {
  if (name == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (name == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (name == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (name == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (name == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (name == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (name == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return make_error(ErrorKind::invalid_argument, "unknown seccomp operator \"{}\"", name);
}

Result<std::uint32_t> arch_of(const std::string& name) {
  // SCMP_ARCH_X86_64 -> "x86_64", the name libseccomp resolves.
  constexpr std::string_view prefix = "SCMP_ARCH_";
  if (name.rfind(prefix, 0) != 0) {
    return make_error(ErrorKind::invalid_argument, "unknown seccomp architecture \"{}\"", name);
  }
  std::string lower;
  for (char c : name.substr(prefix.size())) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::uint32_t arch = seccomp_arch_resolve_name(lower.c_str());
  if (arch == 0) return make_error(ErrorKind::invalid_argument, "unknown seccomp architecture \"{}\"", name);
  return arch;
}

Result<unsigned int> flag_of(const std::string& name) {
  if (name == "SECCOMP_FILTER_FLAG_TSYNC") return SECCOMP_FILTER_FLAG_TSYNC;
  if (name == "SECCOMP_FILTER_FLAG_LOG") return SECCOMP_FILTER_FLAG_LOG;
  if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  return make_error(ErrorKind::invalid_argument, "unknown seccomp flag \"{}\"", name);
}

Result<scmp_arg_cmp> condition_of(const oci::SeccompArg& arg) {
  auto op = KATA_TRY(operator_of(arg.op));
  if (arg.index >= 6) return make_error(ErrorKind::invalid_argument, "seccomp argument index {} >= 6", arg.index);
  return scmp_arg_cmp{arg.index, op, arg.value, arg.value_two.value_or(0)};
}

Result<void> add_rule(scmp_filter_ctx ctx, std::uint32_t action, int syscall_nr,
                      const std::vector<scmp_arg_cmp>& conditions, const std::string& name) {
  int rc = seccomp_rule_add_array(ctx, action, syscall_nr, static_cast<unsigned>(conditions.size()),
                                  conditions.empty() ? nullptr : conditions.data());
  if (rc != 0) return sys_error(-rc, "seccomp rule for {}", name);
  return ok();
}

Result<void> add_syscall(scmp_filter_ctx ctx, std::uint32_t default_action, const oci::SeccompSyscall& rule) {
  auto action = KATA_TRY(action_of(rule.action, rule.errno_ret));
  if (action == default_action) return ok();  // libseccomp refuses a no-op rule
  std::vector<scmp_arg_cmp> conditions;
  bool same_index = true;
  if (rule.args) {
    for (const auto& arg : *rule.args) {
      conditions.push_back(KATA_TRY(condition_of(arg)));
      same_index = same_index && arg.index == rule.args->front().index;
    }
  }
  for (const auto& name : rule.names) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;
    // Several conditions on one argument cannot all hold in one rule; runc
    // reads them as alternatives, one rule each.
    if (conditions.size() > 1 && same_index) {
      for (const auto& condition : conditions) KATA_TRY(add_rule(ctx, action, nr, {condition}, name));
    } else {
      KATA_TRY(add_rule(ctx, action, nr, conditions, name));
    }
  }
  return ok();
}

// ENOSYS for the syscalls newer than any the profile names, so that libc
// falls back to their older forms. Newer is judged by x86_64's numbers (the
// guest's); libseccomp adds each rule by name to every architecture of the
// filter. From Linux 5.1 (424, pidfd_send_signal) on every architecture
// numbers new syscalls alike, so for a profile naming one of those this is
// runc's per-architecture rule; for an older profile another architecture
// gets the syscalls newer on x86_64. Syscalls this libseccomp does not know
// keep the default action.
Result<void> add_newer_syscalls(scmp_filter_ctx ctx, const std::vector<std::string>& named) {
  for (const auto& name : syscalls_newer_than(named)) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;
    KATA_TRY(add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, {}, name));
  }
  return ok();
}

}  // namespace

Result<unsigned int> filter_flags(const oci::Seccomp& seccomp) {
  unsigned int flags = 0;
  if (seccomp.flags) {
    for (const auto& flag : *seccomp.flags) flags |= KATA_TRY(flag_of(flag));
  }
  return flags;
}

Result<Program> compile(const oci::Seccomp& seccomp, const GuestAbis& abis) {
  Program result;
  auto default_action = KATA_TRY(action_of(seccomp.default_action, seccomp.default_errno_ret));
  result.flags = KATA_TRY(filter_flags(seccomp));
  scmp_filter_ctx ctx = seccomp_init(default_action);
  if (ctx == nullptr) return make_error(ErrorKind::system, "seccomp_init failed");
  ScopeExit release([&] { seccomp_release(ctx); });
  // no_new_privs is the caller's business (process.noNewPrivileges).
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (seccomp.architectures) {
    bool left_out = false;
    for (const auto& name : *seccomp.architectures) {
      auto arch = KATA_TRY(arch_of(name));
      if ((arch == SCMP_ARCH_X86 && !abis.ia32) || (arch == SCMP_ARCH_X32 && !abis.x32)) {
        left_out = true;
        continue;
      }
      int rc = seccomp_arch_add(ctx, arch);
      if (rc != 0 && rc != -EEXIST) return sys_error(-rc, "seccomp architecture {}", name);
    }
    if (left_out) {
      if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS)); rc != 0)
        return sys_error(-rc, "seccomp: action for architectures the guest lacks");
    }
  }
  std::vector<std::string> named;
  if (seccomp.syscalls) {
    for (const auto& rule : *seccomp.syscalls) {
      KATA_TRY(add_syscall(ctx, default_action, rule));
      named.insert(named.end(), rule.names.begin(), rule.names.end());
    }
  }
  if (refuses_unknown_syscalls(default_action)) KATA_TRY(add_newer_syscalls(ctx, named));
  int fd = ::memfd_create("kata-seccomp", MFD_CLOEXEC);
  if (fd < 0) return sys_error(errno, "memfd_create");
  UniqueFd memfd(fd);
  if (int rc = seccomp_export_bpf(ctx, fd); rc != 0) return sys_error(-rc, "export seccomp filter");
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0 || ::lseek(fd, 0, SEEK_SET) != 0) return sys_error(errno, "seek seccomp filter");
  result.program.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
  ssize_t n = ::pread(fd, result.program.data(), static_cast<std::size_t>(size), 0);
  if (n != size) return sys_error(n < 0 ? errno : EIO, "read seccomp filter");
  return result;
}

}  // namespace kata::seccomp
