// The `kata` binary: parse, then execute. Everything else lives in the
// kata_cmd library so tests can drive it without a process.
#include <string>
#include <vector>

#include "cmd/command_line.hpp"
#include "cmd/execute.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto invocation = kata::cmd::parse_command_line(args, kata::cmd::current_host_identity());
  return kata::cmd::execute(invocation);
}
