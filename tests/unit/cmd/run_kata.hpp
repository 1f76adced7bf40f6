#pragma once
// Runs the built `kata` as an engine does, capturing exit code, stdout and
// stderr; shared by the black-box tests of tests/unit/cmd.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "common/fs.hpp"
#include "common/unique_fd.hpp"

namespace kata::testing {

namespace fs = std::filesystem;

/// What one run of kata did.
struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// A fresh directory under the system temp dir; the caller removes it.
inline fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "kata-cmd-test-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

/// Runs kata with `args` in `dir` (stdout and stderr go to files there).
inline Outcome run_kata(const fs::path& dir, const std::vector<std::string>& args) {
  std::string out_path = (dir / "stdout").string();
  std::string err_path = (dir / "stderr").string();
  UniqueFd out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  UniqueFd err(::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  REQUIRE(out.valid());
  REQUIRE(err.valid());
  std::vector<std::string> argv;
  argv.reserve(args.size() + 1);
  argv.push_back(std::string(KATA_BINARY_DIR) + "/cmd/kata");
  for (const auto& arg : args) argv.push_back(arg);
  auto child = ChildProcess::spawn({.argv = argv, .fds = {{out.get(), 1}, {err.get(), 2}}, .cwd = dir.string()});
  REQUIRE(child.ok());
  auto status = child->wait();
  REQUIRE(status.ok());
  return Outcome{exit_code_from_wait_status(*status), *read_file(out_path, 1 << 20), *read_file(err_path, 1 << 20)};
}

/// `text` split into lines, without their newlines.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

}  // namespace kata::testing
