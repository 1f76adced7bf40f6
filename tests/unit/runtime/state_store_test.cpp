#include "runtime/state_store.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "common/fs.hpp"
#include "common/scope_exit.hpp"

using namespace kata;
using namespace kata::runtime;
namespace fs = std::filesystem;

namespace {

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "kata-state-test-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

ContainerRecord record_for(const std::string& id) {
  ContainerRecord record;
  record.oci_version = "1.0.2";
  record.id = id;
  record.status = oci::Status::created;
  record.pid = 1234;
  record.bundle = "/bundles/" + id;
  record.created = *oci::parse_rfc3339("2026-02-03T04:05:06Z");
  return record;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

// Exit codes children use to report a Result's outcome to the parent.
int code_for(const Error& error) {
  switch (error.kind) {
    case ErrorKind::already_exists: return 1;
    case ErrorKind::not_found: return error.message == "container does not exist" ? 2 : 12;
    case ErrorKind::timeout: return 3;
    default: return 9;
  }
}

}  // namespace

TEST_CASE("open creates the root 0700 with its parents") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  fs::path root = dir / "a" / "b" / "root";
  auto store = StateStore::open(root.string() + "/");
  REQUIRE(store.ok());
  CHECK(store->root() == root.string());
  CHECK(mode_of(root) == 0700);
  CHECK(mode_of(dir / "a") == 0700);
  CHECK(store->container_dir("x") == (root / "x").string());

  REQUIRE(::chmod(root.c_str(), 0711) == 0);
  REQUIRE(StateStore::open(root.string()).ok());
  CHECK(mode_of(root) == 0711);  // an existing root keeps its mode

  std::ofstream(dir / "file") << "x";
  auto not_dir = StateStore::open((dir / "file").string());
  CHECK_FALSE(not_dir.ok());
}

TEST_CASE("reserve, save, load, list and remove round trip") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto store = StateStore::open((dir / "root").string());
  REQUIRE(store.ok());

  {
    auto lock = store->reserve("one");
    REQUIRE(lock.ok());
    CHECK(lock->id() == "one");
    CHECK(lock->dir() == (dir / "root" / "one").string());
    CHECK(mode_of(dir / "root" / "one") == 0700);
    // Reserved but not saved: not loadable yet.
    auto early = store->load("one");
    REQUIRE_FALSE(early.ok());
    CHECK(early.error().kind == ErrorKind::not_found);

    ContainerRecord record = record_for("one");
    REQUIRE(store->save(*lock, record).ok());
    CHECK(mode_of(dir / "root" / "one" / "state.json") == 0600);
    auto loaded = store->load("one");
    REQUIRE(loaded.ok());
    CHECK(*loaded == record);

    record.status = oci::Status::running;
    record.exit_status = 3;
    REQUIRE(store->save(*lock, record).ok());
    CHECK(store->load("one")->status == oci::Status::running);
    CHECK(store->load("one")->exit_status == 3);

    auto wrong = store->save(*lock, record_for("two"));
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().kind == ErrorKind::internal);
  }
  {
    auto lock = store->reserve("two");
    REQUIRE(lock.ok());
    REQUIRE(store->save(*lock, record_for("two")).ok());
  }
  auto again = store->reserve("one");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == ErrorKind::already_exists);
  CHECK(again.error().message == "container with id exists: one");

  auto ids = store->list_ids();
  REQUIRE(ids.ok());
  CHECK(*ids == std::vector<std::string>{"one", "two"});

  {
    auto lock = store->lock("one");
    REQUIRE(lock.ok());
    REQUIRE(store->remove(*lock).ok());
  }
  CHECK_FALSE(fs::exists(dir / "root" / "one"));
  CHECK(*store->list_ids() == std::vector<std::string>{"two"});
  auto gone = store->load("one");
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().kind == ErrorKind::not_found);
  // The ID is free again after remove.
  CHECK(store->reserve("one").ok());
}

TEST_CASE("missing containers and bad IDs") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto store = StateStore::open(dir.string());
  REQUIRE(store.ok());

  auto load = store->load("nope");
  REQUIRE_FALSE(load.ok());
  CHECK(load.error().kind == ErrorKind::not_found);
  CHECK(load.error().message == "container does not exist");

  auto lock = store->lock("nope");
  REQUIRE_FALSE(lock.ok());
  CHECK(lock.error().kind == ErrorKind::not_found);
  CHECK(lock.error().message == "container does not exist");

  for (const char* bad : {"../x", "a/b", "", ".."}) {
    CHECK(store->reserve(bad).error().kind == ErrorKind::invalid_argument);
    CHECK(store->lock(bad).error().kind == ErrorKind::invalid_argument);
    CHECK(store->load(bad).error().kind == ErrorKind::invalid_argument);
  }
  CHECK_FALSE(fs::exists(dir.parent_path() / "x"));
}

TEST_CASE("a corrupted state.json gives an error naming the file") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto store = StateStore::open(dir.string());
  REQUIRE(store.ok());
  auto lock = store->reserve("c");
  REQUIRE(lock.ok());
  fs::path state = dir / "c" / "state.json";

  std::ofstream(state) << "{\"ociVersion\": \"1.0.2\", \"id\": \"c\", \"stat";
  auto truncated = store->load("c");
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.error().kind == ErrorKind::invalid_argument);
  CHECK(truncated.error().message.rfind(state.string() + ": not valid JSON", 0) == 0);

  std::ofstream(state, std::ios::trunc) << "";
  CHECK(store->load("c").error().message == state.string() + ": empty file");

  auto other = record_to_json(record_for("someone-else")).dump();
  std::ofstream(state, std::ios::trunc) << other;
  auto mismatch = store->load("c");
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().message.find("does not match the directory name") != std::string::npos);
}

TEST_CASE("list_ids skips what is not a container directory") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto store = StateStore::open((dir / "root").string());
  REQUIRE(store.ok());
  for (const char* id : {"zeta", "alpha", "m.id"}) REQUIRE(store->reserve(id).ok());
  fs::create_directory(dir / "root" / "bad name");
  fs::create_directory(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", dir / "root" / "link");
  std::ofstream(dir / "root" / "plainfile") << "x";
  auto ids = store->list_ids();
  REQUIRE(ids.ok());
  CHECK(*ids == std::vector<std::string>{"alpha", "m.id", "zeta"});

  // A symlink named like an ID is not a container either.
  auto link = store->lock("link");
  REQUIRE_FALSE(link.ok());
  CHECK(link.error().kind == ErrorKind::not_found);
}

TEST_CASE("remove deletes nested content but never follows symlinks out") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto store = StateStore::open((dir / "root").string());
  REQUIRE(store.ok());
  fs::create_directory(dir / "outside");
  std::ofstream(dir / "outside" / "precious") << "keep me";

  auto lock = store->reserve("r");
  REQUIRE(lock.ok());
  REQUIRE(store->save(*lock, record_for("r")).ok());
  fs::path container = dir / "root" / "r";
  fs::create_directories(container / "share" / "deep" / "er");
  std::ofstream(container / "share" / "deep" / "er" / "file") << "x";
  std::ofstream(container / "console.log") << "boot";
  fs::create_directory_symlink(dir / "outside", container / "share" / "escape");
  fs::create_symlink(dir / "outside" / "precious", container / "link-to-file");

  REQUIRE(store->remove(*lock).ok());
  CHECK_FALSE(fs::exists(container));
  CHECK(fs::exists(dir / "outside" / "precious"));
  std::ifstream precious(dir / "outside" / "precious");
  std::string content;
  std::getline(precious, content);
  CHECK(content == "keep me");
}

TEST_CASE("50 processes reserving one ID: exactly one wins") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto store = StateStore::open((dir / "root").string());
  REQUIRE(store.ok());

  int barrier[2];
  REQUIRE(::pipe2(barrier, O_CLOEXEC) == 0);
  constexpr int contenders = 50;
  std::vector<pid_t> children;
  for (int i = 0; i < contenders; ++i) {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(barrier[1]);
      char byte;
      // Every child blocks here until the parent closes the write end.
      while (::read(barrier[0], &byte, 1) < 0 && errno == EINTR) {
      }
      auto lock = store->reserve("contested");
      ::_exit(lock.ok() ? 0 : code_for(lock.error()));
    }
    children.push_back(child);
  }
  ::close(barrier[0]);
  ::close(barrier[1]);  // start them all at once

  int winners = 0, already_exists = 0;
  for (pid_t child : children) {
    int code = wait_exit_code(child);
    if (code == 0) ++winners;
    if (code == 1) ++already_exists;
  }
  CHECK(winners == 1);
  CHECK(already_exists == contenders - 1);
  CHECK(*store->list_ids() == std::vector<std::string>{"contested"});
}

TEST_CASE("a writer killed mid-save never leaves a torn state.json") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto store = StateStore::open((dir / "root").string());
  REQUIRE(store.ok());
  auto lock = store->reserve("w");
  REQUIRE(lock.ok());
  REQUIRE(store->save(*lock, record_for("w")).ok());

  for (int round = 0; round < 25; ++round) {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // The child shares the parent's lock (same open file description).
      ContainerRecord record = record_for("w");
      for (int i = 0;; ++i) {
        record.pid = 1000 + i;
        // Large annotations make each write long enough to be interrupted.
        record.annotations["filler"] = std::string(static_cast<std::size_t>(20000 + (i % 7) * 3000), 'x');
        if (!store->save(*lock, record)) ::_exit(9);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200 + round * 397));
    REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    auto loaded = store->load("w");
    REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message));
    CHECK(loaded->id == "w");
  }
  // Leftover temporary files of killed writers go away with the container.
  REQUIRE(store->remove(*lock).ok());
  CHECK_FALSE(fs::exists(dir / "root" / "w"));
}

TEST_CASE("lock excludes other processes and times out") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto store = StateStore::open((dir / "root").string());
  REQUIRE(store.ok());
  { REQUIRE(store->reserve("l").ok()); }
  fs::path journal = dir / "journal";

  auto append = [&](const char* line) {
    int fd = ::open(journal.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(write_all(fd, std::string(line) + "\n").ok());
    ::close(fd);
  };

  auto held = store->lock("l");
  REQUIRE(held.ok());

  SUBCASE("a second process waits for the holder") {
    int ready[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(ready[0]);
      held = Error{};  // drop the inherited fd: the child must wait like a stranger
      (void)::write(ready[1], "r", 1);
      auto lock = store->lock("l");
      if (!lock) ::_exit(code_for(lock.error()));
      append("child acquired");
      ::_exit(0);
    }
    ::close(ready[1]);
    char byte;
    REQUIRE(::read(ready[0], &byte, 1) == 1);
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    append("parent releases");
    held = Error{};  // release
    CHECK(wait_exit_code(child) == 0);
    auto journal_text = read_file(journal.string(), 1000);
    REQUIRE(journal_text.ok());
    CHECK(*journal_text == "parent releases\nchild acquired\n");
  }

  SUBCASE("a waiter whose container was removed gets not_found") {
    int ready[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(ready[0]);
      held = Error{};
      (void)::write(ready[1], "r", 1);
      auto lock = store->lock("l");
      ::_exit(lock.ok() ? 0 : code_for(lock.error()));
    }
    ::close(ready[1]);
    char byte;
    REQUIRE(::read(ready[0], &byte, 1) == 1);
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    REQUIRE(store->remove(*held).ok());
    held = Error{};
    CHECK(wait_exit_code(child) == 2);  // not_found, "container does not exist"
    CHECK_FALSE(fs::exists(dir / "root" / "l"));
  }

  SUBCASE("a bounded wait ends with a timeout error") {
    // flock is per open file: a second lock() in this process conflicts too.
    auto second = store->lock("l", std::chrono::milliseconds(100));
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().kind == ErrorKind::timeout);
    held = Error{};
    CHECK(store->lock("l", std::chrono::milliseconds(100)).ok());
  }
}
