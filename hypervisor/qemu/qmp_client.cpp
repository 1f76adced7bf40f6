#include "hypervisor/qemu/qmp_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "common/fd_passing.hpp"
#include "common/fs.hpp"
#include "common/unix_socket.hpp"

namespace kata::hypervisor::qemu {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

Result<QmpClient> QmpClient::connect(const std::string& socket_path, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto socket = connect_unix_socket(socket_path);
    if (socket) return attach(std::move(socket).value(), timeout);
    // QemuVm binds the socket before QEMU starts; one that QEMU binds itself
    // is missing (ENOENT) or not yet listening (ECONNREFUSED) for a moment.
    int error = socket.error().errno_value;
    if ((error != ENOENT && error != ECONNREFUSED) || Clock::now() >= deadline) {
      return std::move(socket).error().wrap("qmp");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<QmpClient> QmpClient::attach(UniqueFd socket, std::chrono::milliseconds timeout) {
  QmpClient client(std::move(socket), timeout);
  auto greeting = KATA_TRY(client.read_message().wrap("qmp: greeting"));
  if (!greeting.is_object() || !greeting.contains("QMP")) {
    return make_error(ErrorKind::protocol, "qmp: expected a greeting, got {}", greeting.dump());
  }
  KATA_TRY(client.execute("qmp_capabilities").wrap("qmp"));
  return client;
}

Result<nlohmann::json> QmpClient::read_message() {
  auto deadline = Clock::now() + timeout_;
  for (;;) {
    auto newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      auto message = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (message.is_discarded()) {
        return make_error(ErrorKind::protocol, "invalid JSON from QEMU: {}", line.substr(0, 200));
      }
      return message;
    }
    if (pending_.size() > max_message_bytes) {
      return make_error(ErrorKind::protocol, "QEMU sent a message longer than {} bytes", max_message_bytes);
    }
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0) {
      return make_error(ErrorKind::timeout, "no answer from QEMU within {} ms", timeout_.count());
    }
    pollfd ready{socket_.get(), POLLIN, 0};
    int polled = ::poll(&ready, 1, static_cast<int>(remaining.count()));
    if (polled < 0 && errno != EINTR) return sys_error(errno, "poll");
    if (polled <= 0) continue;
    char buffer[8192];
    ssize_t got = ::read(socket_.get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return sys_error(errno, "read");
    }
    if (got == 0) return make_error(ErrorKind::protocol, "QEMU closed the connection");
    pending_.append(buffer, static_cast<std::size_t>(got));
  }
}

Result<nlohmann::json> QmpClient::execute(std::string_view command, const nlohmann::json& arguments) {
  return execute_with_fd(command, arguments, -1);
}

Result<void> QmpClient::pass_fd(const std::string& name, int fd) {
  KATA_TRY(execute_with_fd("getfd", {{"fdname", name}}, fd));
  return ok();
}

Result<nlohmann::json> QmpClient::execute_with_fd(std::string_view command, const nlohmann::json& arguments, int fd) {
  nlohmann::json request = {{"execute", command}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  std::string line = request.dump() + "\n";
  if (fd >= 0) {
    // The fd rides on the command's bytes (SCM_RIGHTS); QEMU takes it as
    // the command's.
    int fds[] = {fd};
    KATA_TRY(send_with_fds(socket_.get(), line, fds).wrap(fmt::format("qmp {}", command)));
  } else {
    // send with MSG_NOSIGNAL: a QEMU that is exiting must cost an error,
    // not a SIGPIPE that kills kata.
    for (std::size_t sent = 0; sent < line.size();) {
      ssize_t n = ::send(socket_.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error(errno, "qmp {}: write", command);
      sent += static_cast<std::size_t>(n);
    }
  }
  for (;;) {
    auto message = KATA_TRY(read_message().wrap(fmt::format("qmp {}", command)));
    if (!message.is_object() || message.contains("event")) continue;  // asynchronous event
    if (auto error = message.find("error"); error != message.end()) {
      std::string error_class = error->is_object() ? error->value("class", "") : "";
      std::string description = error->is_object() ? error->value("desc", "") : error->dump();
      return make_error(ErrorKind::system, "qmp {}: {}: {}", command, error_class, description);
    }
    if (auto result = message.find("return"); result != message.end()) return *result;
    return make_error(ErrorKind::protocol, "qmp {}: unexpected reply {}", command, message.dump().substr(0, 200));
  }
}

Result<std::string> QmpClient::query_status() {
  auto status = KATA_TRY(execute("query-status"));
  if (!status.is_object() || !status.contains("status") || !status["status"].is_string()) {
    return make_error(ErrorKind::protocol, "qmp query-status: unexpected reply {}", status.dump().substr(0, 200));
  }
  return status["status"].get<std::string>();
}

Result<void> QmpClient::stop() {
  KATA_TRY(execute("stop"));
  return ok();
}

Result<void> QmpClient::cont() {
  KATA_TRY(execute("cont"));
  return ok();
}

Result<void> QmpClient::migrate_to(const std::string& uri, std::chrono::milliseconds timeout) {
  KATA_TRY(execute("migrate-set-capabilities",
                   {{"capabilities", {{{"capability", "x-ignore-shared"}, {"state", true}}}}}));
  KATA_TRY(execute("migrate", {{"uri", uri}}));
  return wait_for_migration(timeout);
}

Result<void> QmpClient::migrate_from(const std::string& uri, std::chrono::milliseconds timeout) {
  KATA_TRY(execute("migrate-set-capabilities",
                   {{"capabilities", {{{"capability", "x-ignore-shared"}, {"state", true}}}}}));
  KATA_TRY(execute("migrate-incoming", {{"uri", uri}}));
  // The destination's run state leaves "inmigrate" once the stream is in.
  for (auto deadline = std::chrono::steady_clock::now() + timeout;;) {
    auto status = KATA_TRY(query_status());
    if (status != "inmigrate") {
      if (status == "paused" || status == "prelaunch") return ok();
      return make_error(ErrorKind::system, "qmp migrate-incoming {}: the VM is {} after the restore", uri, status);
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(ErrorKind::timeout, "qmp migrate-incoming {}: not restored within {} ms", uri, timeout.count());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<void> QmpClient::wait_for_migration(std::chrono::milliseconds timeout) {
  for (auto deadline = std::chrono::steady_clock::now() + timeout;;) {
    auto info = KATA_TRY(execute("query-migrate"));
    std::string status = info.is_object() ? info.value("status", "") : "";
    if (status == "completed") return ok();
    if (status == "failed" || status == "cancelled")
      return make_error(ErrorKind::system, "qmp migrate: {}: {}", status, info.value("error-desc", "no reason given"));
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(ErrorKind::timeout, "qmp migrate: not completed within {} ms (status {})", timeout.count(),
                        status.empty() ? "unknown" : status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<void> QmpClient::quit() {
  KATA_TRY(execute("quit"));
  return ok();
}

}  // namespace kata::hypervisor::qemu
