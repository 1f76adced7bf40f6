#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/child_process.hpp"
#include "common/fs.hpp"
#include "common/unique_fd.hpp"

namespace kata::runtime {

using Clock = std::chrono::steady_clock;

Result<void> run_hook(const oci::Hook& hook, std::string_view kind, const std::string& state_json) {
  auto context = fmt::format("{} hook {}", kind, hook.path);
  int state_pipe[2];
  if (::pipe2(state_pipe, O_CLOEXEC) < 0) return sys_error(errno, "{}: pipe", context);
  UniqueFd read_end(state_pipe[0]);
  UniqueFd write_end(state_pipe[1]);
  SpawnOptions options;
  // ChildProcess executes argv[0], so the hook's path comes first and args[0]
  // (its conventional argv[0]) is replaced by it.
  options.argv.push_back(hook.path);
  if (hook.args && hook.args->size() > 1) options.argv.insert(options.argv.end(), hook.args->begin() + 1, hook.args->end());
  options.env = hook.env.value_or(std::vector<std::string>{});
  options.fds = {{read_end.get(), 0}};
  // Its own session (and process group), so a timeout kills what it started too.
  options.new_session = true;
  auto child = KATA_TRY(ChildProcess::spawn(options).wrap(context));
  read_end.reset();
  // The state is far smaller than a pipe's buffer; a hook that never reads
  // it costs nothing. EPIPE (a hook that exited at once) is not an error.
  // SIGPIPE is ignored only for this write: a disposition set before spawn
  // would be inherited by the hook.
  auto previous = ::signal(SIGPIPE, SIG_IGN);
  (void)write_all(write_end.get(), state_json);
  ::signal(SIGPIPE, previous);
  write_end.reset();

  std::optional<Clock::time_point> deadline;
  if (hook.timeout && *hook.timeout > 0) deadline = Clock::now() + std::chrono::seconds(*hook.timeout);
  while (true) {
    auto status = KATA_TRY(child.try_wait().wrap(context));
    if (status) {
      int code = exit_code_from_wait_status(*status);
      if (code != 0) return make_error(ErrorKind::system, "{}: exited with status {}", context, code);
      return ok();
    }
    if (deadline && Clock::now() > *deadline) {
      ::kill(-child.pid(), SIGKILL);
      return make_error(ErrorKind::timeout, "{}: still running after its timeout of {} s", context, *hook.timeout);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<void> run_hooks(const std::optional<std::vector<oci::Hook>>& hooks, std::string_view kind,
                       const std::string& state_json) {
  if (!hooks) return ok();
  for (const auto& hook : *hooks) KATA_TRY(run_hook(hook, kind, state_json));
  return ok();
}

void run_hooks_warn(const std::optional<std::vector<oci::Hook>>& hooks, std::string_view kind,
                    const std::string& state_json) {
  if (!hooks) return;
  for (const auto& hook : *hooks) {
    if (auto result = run_hook(hook, kind, state_json); !result) spdlog::warn("{}", result.error().message);
  }
}

Result<void> run_creation_hooks(const oci::Spec& spec, ContainerRecord record) {
  if (!spec.hooks) return ok();
  record.status = oci::Status::creating;
  auto state_json = oci::to_json(to_oci_state(record)).dump();
  KATA_TRY(run_hooks(spec.hooks->prestart, "prestart", state_json));
  KATA_TRY(run_hooks(spec.hooks->create_runtime, "createRuntime", state_json));
  return run_hooks(spec.hooks->create_container, "createContainer", state_json);
}

}  // namespace kata::runtime
