#pragma once
// A kubelet's side of the CRI for the e2e tests: runtime.v1 calls on
// containerd's CRI plugin through tests/e2e/cri/cri_client.py (Debian's
// python3-grpcio), one process per call, JSON in and out.

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/e2e/engine_host.hpp"

namespace kata::e2e {

/// One CRI call's outcome.
struct CriReply {
  ProgramResult program;  ///< the client's run: status 0 ok, 2 a gRPC error (code and details on stderr)
  nlohmann::json body;    ///< the response message as JSON (proto field names); null unless ok()
  bool ok() const { return program.status == 0; }
};

/// Calls the CRI of the containerd listening on a socket.
class CriClient {
 public:
  /// Generates the Python stubs of tests/e2e/cri/runtime_v1.proto into
  /// `work` (grpc_tools.protoc), where request files go too. REQUIREs it.
  CriClient(std::string socket, std::string work);

  /// `method` (an rpc of runtime_v1.proto) with `request` (its request
  /// message as JSON), allowed `timeout`. No doctest assertion: the
  /// fixture's teardown calls it after doctest ended.
  CriReply call(const std::string& method, const nlohmann::json& request,
                std::chrono::seconds timeout = std::chrono::seconds(150));

  /// call() that must succeed (REQUIRE): the response.
  nlohmann::json must(const std::string& method, const nlohmann::json& request,
                      std::chrono::seconds timeout = std::chrono::seconds(150));

 private:
  std::string socket_;
  std::string work_;
  int serial_ = 0;
};

/// The interpreter that has Debian's grpc modules (PATH may hold another).
inline constexpr const char* kSystemPython = "/usr/bin/python3";

}  // namespace kata::e2e
