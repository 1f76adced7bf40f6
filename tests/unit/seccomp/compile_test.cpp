#include <doctest/doctest.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "seccomp/compile.hpp"
#include "seccomp/newer_syscalls.hpp"

namespace kata::seccomp {
namespace {

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

oci::Seccomp allow_list(std::string default_action, std::vector<std::string> allowed) {
  oci::Seccomp seccomp;
  seccomp.default_action = std::move(default_action);
  seccomp.architectures = std::vector<std::string>{"SCMP_ARCH_X86_64"};
  oci::SeccompSyscall rule;
  rule.names = std::move(allowed);
  rule.action = "SCMP_ACT_ALLOW";
  seccomp.syscalls = std::vector<oci::SeccompSyscall>{rule};
  return seccomp;
}

// What the probing child below calls, all numbered 231 (exit_group) or less.
const std::vector<std::string> kProbeSyscalls = {"read", "write", "close", "exit", "exit_group", "getpid"};

// Forks a child with no_new_privs that loads `seccomp` and returns the errno
// of `nr` called with arguments that fail at once (or 0 if it succeeded).
int errno_under(const oci::Seccomp& seccomp, long nr) {
  auto program = compile(seccomp);
  REQUIRE_MESSAGE(program.ok(), (program.ok() ? "" : program.error().message));
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || !load(*program)) ::_exit(255);
    // Bad pointers: a permitted call fails with EFAULT, never runs.
    long rc = ::syscall(nr, -1L, reinterpret_cast<void*>(1), reinterpret_cast<void*>(1), 0L);
    ::_exit(rc >= 0 ? 0 : errno);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) != 255);
  return WEXITSTATUS(status);
}

// Forks a child with no_new_privs that loads `seccomp` compiled for `abis`
// and returns what `call` returned: its result, or minus the errno.
long result_under(const oci::Seccomp& seccomp, const GuestAbis& abis, long (*call)()) {
  auto program = compile(seccomp, abis);
  REQUIRE_MESSAGE(program.ok(), (program.ok() ? "" : program.error().message));
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || !load(*program)) ::_exit(255);
    long rc = call();
    ::_exit(::write(pipe_fds[1], &rc, sizeof rc) == sizeof rc ? 0 : 255);
  }
  ::close(pipe_fds[1]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK_MESSAGE(WIFEXITED(status), "the child was killed by signal " << WTERMSIG(status));
  long rc = 0;
  CHECK(::read(pipe_fds[0], &rc, sizeof rc) == sizeof rc);
  ::close(pipe_fds[0]);
  return rc;
}

// getpid through the i386 ABI (int 0x80, its number 20) and the x32 ABI.
long i386_getpid() {
  long rc = 20;
  asm volatile("int $0x80" : "+a"(rc) : : "memory");
  return rc;
}
long x32_getpid() {
  long rc = ::syscall(SYS_getpid | 0x40000000L);
  return rc < 0 ? -errno : rc;
}

}  // namespace

TEST_CASE("seccomp: an ABI the guest kernel lacks is left out of the program and its syscalls get ENOSYS") {
  auto profile = allow_list("SCMP_ACT_ERRNO", kProbeSyscalls);
  profile.architectures = std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  auto all = compile(profile);
  auto native = compile(profile, GuestAbis{false, false});
  REQUIRE(all.ok());
  REQUIRE(native.ok());
  CHECK(native->program.size() < all->program.size());

  // This host's kernel serves i386 (Debian's has IA32_EMULATION): the full
  // program lets its getpid through; left out, it is ENOSYS, not a kill.
  CHECK(result_under(profile, GuestAbis{}, i386_getpid) > 0);
  CHECK(result_under(profile, GuestAbis{false, true}, i386_getpid) == -ENOSYS);
  // x32 numbers: ENOSYS whether the kernel or the filter says it.
  CHECK(result_under(profile, GuestAbis{true, false}, x32_getpid) == -ENOSYS);
  // The native ABI is untouched.
  CHECK(result_under(profile, GuestAbis{false, false}, [] { return static_cast<long>(::syscall(SYS_getpid)); }) > 0);
}

TEST_CASE("seccomp: only refusing default actions get ENOSYS for newer syscalls") {
  CHECK(refuses_unknown_syscalls(SCMP_ACT_ERRNO(EPERM)));
  CHECK(refuses_unknown_syscalls(SCMP_ACT_ERRNO(0)));
  CHECK(refuses_unknown_syscalls(SCMP_ACT_KILL_THREAD));
  CHECK(refuses_unknown_syscalls(SCMP_ACT_KILL_PROCESS));
  CHECK(refuses_unknown_syscalls(SCMP_ACT_TRAP));
  CHECK_FALSE(refuses_unknown_syscalls(SCMP_ACT_ERRNO(ENOSYS)));
  CHECK_FALSE(refuses_unknown_syscalls(SCMP_ACT_ALLOW));
  CHECK_FALSE(refuses_unknown_syscalls(SCMP_ACT_LOG));
  CHECK_FALSE(refuses_unknown_syscalls(SCMP_ACT_TRACE(1)));
}

TEST_CASE("seccomp: the syscalls newer than a profile's newest, by x86_64 number") {
  // set_robust_list is 273: utimensat (280), clone3 (435) and close_range
  // (436) are newer; mkdir (83) and the named ones are not.
  auto newer = syscalls_newer_than({"read", "set_robust_list", "write"});
  CHECK(has(newer, "utimensat"));
  CHECK(has(newer, "clone3"));
  CHECK(has(newer, "close_range"));
  CHECK_FALSE(has(newer, "set_robust_list"));
  CHECK_FALSE(has(newer, "mkdir"));
  CHECK_FALSE(has(newer, "read"));
  CHECK(newer.front() == "get_robust_list");  // 274

  // A profile that knows close_range (436) is older than openat2 (437) only.
  newer = syscalls_newer_than({"close_range", "clone"});
  CHECK(has(newer, "openat2"));
  CHECK(has(newer, "faccessat2"));
  CHECK_FALSE(has(newer, "clone3"));
  CHECK_FALSE(has(newer, "close_range"));

  // Names x86_64 lacks, or nobody knows, set no bound.
  CHECK(syscalls_newer_than({"no_such_syscall"}).empty());
  CHECK(syscalls_newer_than({}).empty());
  newer = syscalls_newer_than({"socketcall", "set_robust_list"});
  CHECK(newer.front() == "get_robust_list");
}

TEST_CASE("seccomp: a loaded errno-default filter answers newer syscalls ENOSYS, older ones its errno") {
  auto profile = allow_list("SCMP_ACT_ERRNO", kProbeSyscalls);  // errnoRet unset: EPERM
  CHECK(errno_under(profile, SYS_clone3) == ENOSYS);
  CHECK(errno_under(profile, SYS_utimensat) == ENOSYS);
  CHECK(errno_under(profile, SYS_mkdir) == EPERM);       // 83 < 231
  CHECK(errno_under(profile, SYS_getpid) == 0);          // allowed
  CHECK(errno_under(profile, SYS_read) == EBADF);        // allowed, fd -1

  // A profile naming clone3 decides about it itself.
  auto with_clone3 = allow_list("SCMP_ACT_ERRNO", kProbeSyscalls);
  oci::SeccompSyscall deny;
  deny.names = {"clone3"};
  deny.action = "SCMP_ACT_ERRNO";
  deny.errno_ret = EACCES;
  with_clone3.syscalls->push_back(deny);
  CHECK(errno_under(with_clone3, SYS_clone3) == EACCES);
  CHECK(errno_under(with_clone3, SYS_utimensat) == EPERM);  // older than clone3 now
  CHECK(errno_under(with_clone3, SYS_openat2) == ENOSYS);
}

TEST_CASE("seccomp: allow-default profiles get no ENOSYS rules") {
  oci::Seccomp deny_mkdir;
  deny_mkdir.default_action = "SCMP_ACT_ALLOW";
  oci::SeccompSyscall rule;
  rule.names = {"mkdir"};
  rule.action = "SCMP_ACT_ERRNO";
  deny_mkdir.syscalls = std::vector<oci::SeccompSyscall>{rule};
  CHECK(errno_under(deny_mkdir, SYS_mkdir) == EPERM);
  CHECK(errno_under(deny_mkdir, SYS_clone3) != ENOSYS);  // the kernel's own answer (EFAULT)
}

}  // namespace kata::seccomp
