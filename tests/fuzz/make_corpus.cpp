// Writes the fuzzer's seed corpus: one file per frame type and message,
// each a valid hello followed by the frame, with a leading chunk-size byte
// (see protocol_decoder_fuzz.cpp). Usage: protocol_fuzz_corpus DIR

#include <cstdio>
#include <string>
#include <vector>

#include "agent-client/protocol.hpp"
#include "common/fs.hpp"

using namespace kata;
using namespace kata::agent_client;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  Hello agent;
  agent.role = Role::agent;
  agent.build_version = "0.1.0";
  agent.capabilities = {"pty"};
  std::string hello = *encode_hello(agent);

  std::vector<std::pair<std::string, Result<std::string>>> seeds;
  nlohmann::json spec = {{"ociVersion", "1.1.0"}, {"process", {{"args", {"sh"}}, {"terminal", false}}}};
  seeds.emplace_back("create", encode_request(1, CreateContainer{"c1", spec, {1, 3, 5}, false}));
  seeds.emplace_back("exec", encode_request(2, ExecProcess{"c1", "e1", {{"args", {"ls"}}}, {7, 9, 0}}));
  seeds.emplace_back("signal", encode_request(3, SignalProcess{"c1", "", 9, true}));
  seeds.emplace_back("resize", encode_request(4, ResizeTty{"c1", "e1", 24, 80}));
  seeds.emplace_back("update", encode_request(5, UpdateContainer{"c1", {{"pids", {{"limit", 10}}}}}));
  seeds.emplace_back("ok", encode_response(1, ProcessStarted{42}.to_json()));
  seeds.emplace_back("list", encode_response(2, ProcessList{{1, 2, 3}}.to_json()));
  ContainerStats stats;
  stats.memory.usage_bytes = 1000;
  seeds.emplace_back("stats", encode_response(3, stats.to_json()));
  seeds.emplace_back("error", encode_error_response(4, sys_error(1, "mount proc")));
  seeds.emplace_back("exited", encode_event(ProcessExited{"c1", "", 0}));
  seeds.emplace_back("oom", encode_event(Oom{"c1"}));
  std::string stream = *encode_stream_data(1, "hello\n") + *encode_stream_close(1) + *encode_stream_credit(2, 4096);
  seeds.emplace_back("stream", stream);

  for (auto& [name, frame] : seeds) {
    if (!frame) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), frame.error().message.c_str());
      return 1;
    }
    for (char chunk : {'\x00', '\x07', '\xff'}) {
      std::string bytes = std::string(1, chunk) + hello + *frame;
      std::string path = dir + "/" + name + "-" + std::to_string(static_cast<unsigned char>(chunk));
      auto written = write_file_atomic(path, bytes, 0644);
      if (!written) {
        std::fprintf(stderr, "%s\n", written.error().message.c_str());
        return 1;
      }
    }
  }
  return 0;
}
