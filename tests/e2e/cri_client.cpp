#include "tests/e2e/cri_client.hpp"

#include <doctest/doctest.h>

#include "common/fs.hpp"

namespace kata::e2e {

CriClient::CriClient(std::string socket, std::string work) : socket_(std::move(socket)), work_(std::move(work)) {
  auto generated = run_program({kSystemPython, "-m", "grpc_tools.protoc", "-I", KATA_E2E_CRI_DIR,
                                "--python_out=" + work_, "--grpc_python_out=" + work_, "runtime_v1.proto"});
  REQUIRE_MESSAGE(generated.status == 0,
                  "generating the CRI stubs (Debian's python3-grpc-tools): " << describe(generated));
}

CriReply CriClient::call(const std::string& method, const nlohmann::json& request, std::chrono::seconds timeout) {
  CriReply reply;
  std::string request_path = work_ + "/request." + std::to_string(++serial_) + ".json";
  if (!write_file_atomic(request_path, request.dump(), 0600).ok()) {
    reply.program.err = "cannot write " + request_path;
    return reply;
  }
  RunOptions options;
  options.stdin_path = request_path;
  options.timeout = timeout + std::chrono::seconds(10);  // the call's own deadline ends it first
  reply.program = run_program({kSystemPython, std::string(KATA_E2E_CRI_DIR) + "/cri_client.py", "--socket", socket_,
                               "--stubs", work_, "--timeout", std::to_string(timeout.count()), method},
                              options);
  if (reply.ok()) reply.body = nlohmann::json::parse(reply.program.out, nullptr, false);
  return reply;
}

nlohmann::json CriClient::must(const std::string& method, const nlohmann::json& request,
                               std::chrono::seconds timeout) {
  auto reply = call(method, request, timeout);
  REQUIRE_MESSAGE(reply.ok(), method << " " << request.dump() << ": " << describe(reply.program));
  REQUIRE_MESSAGE(!reply.body.is_discarded(), method << " printed no JSON: " << reply.program.out);
  return reply.body;
}

}  // namespace kata::e2e
