// OCI hooks on the host: state on stdin, exact env, failures and timeouts.
#include "runtime/hooks.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "common/fs.hpp"

using namespace kata;
using namespace kata::runtime;
namespace fs = std::filesystem;

namespace {

struct HookDir {
  HookDir() {
    std::string pattern = (fs::temp_directory_path() / "kata-hooks-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~HookDir() { fs::remove_all(path); }
  std::string path;
};

oci::Hook shell_hook(const std::string& script) {
  oci::Hook hook;
  hook.path = "/bin/sh";
  hook.args = std::vector<std::string>{"sh", "-c", script};
  return hook;
}

std::string read_or_empty(const std::string& path) {
  auto text = read_file(path, 1 << 20);
  return text ? *text : std::string();
}

}  // namespace

TEST_CASE("a hook gets the state on stdin and exactly its own env") {
  HookDir dir;
  auto hook = shell_hook("cat > " + dir.path + "/state; /usr/bin/env > " + dir.path + "/env");
  hook.env = std::vector<std::string>{"HOOK_VAR=1"};
  REQUIRE(run_hook(hook, "prestart", R"({"id":"c1"})").ok());
  CHECK(read_or_empty(dir.path + "/state") == R"({"id":"c1"})");
  auto env = read_or_empty(dir.path + "/env");
  CHECK(env.find("HOOK_VAR=1") != std::string::npos);
  CHECK(env.find("HOME=") == std::string::npos);
}

TEST_CASE("a failing hook is an error naming it; run_hooks stops there") {
  HookDir dir;
  auto failing = run_hook(shell_hook("exit 3"), "createRuntime", "{}");
  REQUIRE_FALSE(failing.ok());
  CHECK(failing.error().message == "createRuntime hook /bin/sh: exited with status 3");

  std::vector<oci::Hook> hooks{shell_hook("touch " + dir.path + "/first"), shell_hook("exit 1"),
                               shell_hook("touch " + dir.path + "/third")};
  CHECK_FALSE(run_hooks(hooks, "prestart", "{}").ok());
  CHECK(fs::exists(dir.path + "/first"));
  CHECK_FALSE(fs::exists(dir.path + "/third"));

  // The warning form runs them all.
  run_hooks_warn(hooks, "poststop", "{}");
  CHECK(fs::exists(dir.path + "/third"));

  oci::Hook missing;
  missing.path = dir.path + "/no-such-hook";
  CHECK_FALSE(run_hook(missing, "poststart", "{}").ok());
}

TEST_CASE("a hook outliving its timeout fails, promptly") {
  HookDir dir;
  // The hook's shell starts another shell (whose argv carries the marker)
  // and waits for it: that grandchild must die with the hook.
  auto hook = shell_hook("/bin/sh -c 'sleep 30; true' " + dir.path + "/marker; true");
  hook.timeout = 1;
  auto begin = std::chrono::steady_clock::now();
  auto result = run_hook(hook, "prestart", "{}");
  auto took = std::chrono::steady_clock::now() - begin;
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::timeout);
  CHECK(took < std::chrono::seconds(5));
  auto survivors = [&] {
    int count = 0;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      auto cmdline = read_or_empty(entry.path().string() + "/cmdline");
      if (cmdline.find(dir.path + "/marker") != std::string::npos) ++count;
    }
    return count;
  };
  int left = survivors();
  for (int i = 0; i < 100 && left > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = survivors();
  }
  CHECK(left == 0);
}
