// parse_spec / parse_process / validate_spec behaviour on small documents.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "oci/spec.hpp"

namespace {

using nlohmann::json;

json minimal_spec() {
  return json::parse(R"({
    "ociVersion": "1.0.0",
    "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
    "root": {"path": "rootfs"}
  })");
}

bool names_path(const std::vector<kata::oci::Problem>& problems, const std::string& path) {
  return std::any_of(problems.begin(), problems.end(), [&](const auto& p) { return p.path == path; });
}

}  // namespace

TEST_CASE("ociVersion: any 1.x is accepted, 0.x, 2.x, empty and missing are refused") {
  for (const char* version : {"1.0.0", "1.2.1", "1.3.0", "1.0.2-dev", "1.1.0-rc.1", "1.10.0+build5"}) {
    CAPTURE(version);
    auto document = minimal_spec();
    document["ociVersion"] = version;
    CHECK(kata::oci::validate_spec(document).empty());
    CHECK(kata::oci::is_supported_oci_version(version));
  }
  for (const char* version : {"0.9.0", "2.0.0", "", "1", "1.0", "1.x.0", "1.0.0-", "10.0.0"}) {
    CAPTURE(version);
    auto document = minimal_spec();
    document["ociVersion"] = version;
    auto problems = kata::oci::validate_spec(document);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].path == "ociVersion");
  }
  auto document = minimal_spec();
  document["ociVersion"] = "2.0.0";
  auto problems = kata::oci::validate_spec(document);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].message == "unsupported version \"2.0.0\" (kata supports 1.x)");
  document.erase("ociVersion");
  problems = kata::oci::validate_spec(document);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].path == "ociVersion");
  CHECK(problems[0].message == "required");
}

TEST_CASE("every problem of a document is reported, each once, with its path") {
  auto document = minimal_spec();
  document["process"]["args"] = json::array();
  document["process"]["cwd"] = "relative";
  document["mounts"] = json::parse(R"([{"destination": "/proc"}, {"destination": "/a"}, {"destination": "/b"},
                                       {"destination": "tmp"}])");
  document["linux"] = json::parse(R"({"namespaces": [{"type": "pid"}, {"type": "foo"}]})");
  auto problems = kata::oci::validate_spec(document);
  CHECK(problems.size() == 4);
  CHECK(names_path(problems, "process.args"));
  CHECK(names_path(problems, "process.cwd"));
  CHECK(names_path(problems, "mounts[3].destination"));
  CHECK(names_path(problems, "linux.namespaces[1].type"));

  auto result = kata::oci::parse_spec(document.dump());
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == kata::ErrorKind::invalid_argument);
  const auto& message = result.error().message;
  CHECK(message.starts_with("config.json: 4 problems:"));
  CHECK(message.find("process.args: must not be empty") != std::string::npos);
  CHECK(message.find("mounts[3].destination: must be an absolute path") != std::string::npos);
  CHECK(message.find("linux.namespaces[1].type: unknown namespace type \"foo\"") != std::string::npos);
}

TEST_CASE("spec_from_json validates a parsed document as parse_spec does its text") {
  auto document = minimal_spec();
  auto from_json = kata::oci::spec_from_json(document, "config.json");
  REQUIRE(from_json.ok());
  CHECK(kata::oci::to_json(*from_json) == kata::oci::to_json(*kata::oci::parse_spec(document.dump())));
  document["process"]["cwd"] = "relative";
  auto refused = kata::oci::spec_from_json(document, "guest spec");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.starts_with("guest spec: process.cwd: must be an absolute path"));
  CHECK_FALSE(kata::oci::spec_from_json(json::array(), "config.json").ok());
}

TEST_CASE("a wrong JSON type is a problem at its path, and rules below it stay quiet") {
  auto document = minimal_spec();
  document["process"]["args"] = "sh -c true";
  document["process"]["user"]["uid"] = "0";
  document["linux"] = json::parse(R"({"resources": {"memory": {"limit": {"bytes": 5}}}})");
  auto problems = kata::oci::validate_spec(document);
  CHECK(problems.size() == 3);
  CHECK(names_path(problems, "process.args"));
  CHECK(names_path(problems, "process.user.uid"));
  CHECK(names_path(problems, "linux.resources.memory.limit"));
  for (const auto& problem : problems) CHECK(problem.message.starts_with("must be"));

  // An unreadable linux.namespaces does not also make the hostname "lack" a uts namespace.
  auto with_hostname = minimal_spec();
  with_hostname["hostname"] = "h";
  with_hostname["linux"] = json::parse(R"({"namespaces": {"type": "uts"}})");
  problems = kata::oci::validate_spec(with_hostname);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].path == "linux.namespaces");
}

TEST_CASE("invalid JSON syntax names the line and column") {
  auto result = kata::oci::parse_spec("{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": }\n");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == kata::ErrorKind::invalid_argument);
  CHECK(result.error().message.find("line 3, column 11") != std::string::npos);

  auto empty = kata::oci::parse_spec("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message.starts_with("config.json: invalid JSON"));
}

TEST_CASE("absurdly deep nesting is refused while parsing, ordinary nesting is not") {
  auto nested = [](int depth) {
    std::string raw = std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']');
    return R"({"ociVersion": "1.0.0", "process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "r"},
              "vendor": )" + raw + "}";
  };
  CHECK(kata::oci::parse_spec(nested(20)).ok());
  auto deep = kata::oci::parse_spec(nested(100000));
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().kind == kata::ErrorKind::invalid_argument);
  CHECK(deep.error().message.find("nested deeper") != std::string::npos);
}

TEST_CASE("invalid UTF-8 in a problem's value does not throw") {
  auto document = minimal_spec();
  document["process"]["cwd"] = std::string("rel\xff");
  document["linux"]["sysctl"] = {{std::string("bad\xfe"), "1"}};
  auto problems = kata::oci::validate_spec(document);
  CHECK(names_path(problems, "process.cwd"));
  CHECK(problems.size() == 2);
}

TEST_CASE("a single problem fits on one line") {
  auto document = minimal_spec();
  document["root"]["path"] = "";
  auto result = kata::oci::parse_spec(document.dump());
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message == "config.json: root.path: must not be empty");
}

TEST_CASE("consoleSize without terminal is ignored, as runtime-spec requires") {
  auto document = minimal_spec();
  document["process"]["consoleSize"] = {{"height", 24}, {"width", 80}};
  CHECK(kata::oci::validate_spec(document).empty());
}

TEST_CASE("memory swap may be -1 or above the limit, not below it") {
  auto document = minimal_spec();
  document["linux"]["resources"]["memory"] = {{"limit", 1000000}, {"swap", -1}};
  CHECK(kata::oci::validate_spec(document).empty());
  document["linux"]["resources"]["memory"] = {{"limit", 1000000}, {"swap", 2000000}};
  CHECK(kata::oci::validate_spec(document).empty());
  document["linux"]["resources"]["memory"] = {{"limit", 1000000}, {"swap", 999999}};
  CHECK(names_path(kata::oci::validate_spec(document), "linux.resources.memory.swap"));
}

TEST_CASE("a user namespace joined by path needs no mappings; a new one does") {
  auto document = minimal_spec();
  document["linux"]["namespaces"] = json::parse(R"([{"type": "user", "path": "/proc/42/ns/user"}])");
  CHECK(kata::oci::validate_spec(document).empty());
  document["linux"]["namespaces"] = json::parse(R"([{"type": "user"}])");
  auto problems = kata::oci::validate_spec(document);
  CHECK(names_path(problems, "linux.uidMappings"));
  CHECK(names_path(problems, "linux.gidMappings"));
}

TEST_CASE("devices: a FIFO needs no major/minor, character devices do") {
  auto document = minimal_spec();
  document["linux"]["devices"] = json::parse(R"([{"path": "/dev/fifo", "type": "p"},
                                                 {"path": "/dev/null", "type": "c", "major": 1, "minor": 3}])");
  CHECK(kata::oci::validate_spec(document).empty());
  document["linux"]["devices"][1].erase("minor");
  CHECK(names_path(kata::oci::validate_spec(document), "linux.devices[1].minor"));
}

TEST_CASE("to_json reflects edits of typed fields and keeps unknown keys") {
  auto document = minimal_spec();
  document["mounts"] = json::parse(R"([{"destination": "/x", "vendor": {"a": 1}}])");
  document["linux"] = json::parse(R"({"intelRdt": {"closID": "x"}, "futureField": 7})");
  auto spec = kata::oci::parse_spec(document.dump());
  REQUIRE(spec.ok());
  CHECK(kata::oci::to_json(*spec) == document);

  spec->process->args = std::vector<std::string>{"/bin/true"};
  spec->mounts->push_back(kata::oci::Mount{.destination = "/y"});
  spec->hostname.reset();
  auto written = kata::oci::to_json(*spec);
  CHECK(written["process"]["args"] == json::array({"/bin/true"}));
  CHECK(written["mounts"].size() == 2);
  CHECK(written["mounts"][0]["vendor"]["a"] == 1);
  CHECK(written["mounts"][1] == json{{"destination", "/y"}});
  CHECK(written["linux"]["futureField"] == 7);
  CHECK(kata::oci::validate_spec(written).empty());
}

TEST_CASE("null members count as absent and survive the round trip") {
  auto document = minimal_spec();
  document["hostname"] = nullptr;
  document["process"]["env"] = nullptr;
  auto spec = kata::oci::parse_spec(document.dump());
  REQUIRE(spec.ok());
  CHECK_FALSE(spec->hostname.has_value());
  CHECK_FALSE(spec->process->env.has_value());
  CHECK(kata::oci::to_json(*spec) == document);
}

TEST_CASE("parse_process: exec's process document") {
  auto process = kata::oci::parse_process(
      R"({"args": ["ps", "aux"], "cwd": "/root", "env": ["A=b"], "terminal": true,
          "consoleSize": {"height": 30, "width": 100}, "user": {"uid": 5, "gid": 6, "additionalGids": [7]},
          "capabilities": {"bounding": ["CAP_KILL"]}, "oomScoreAdj": 100, "apparmorProfile": "p",
          "selinuxLabel": "l", "noNewPrivileges": true, "ioPriority": {"class": "IOPRIO_CLASS_IDLE"}})");
  REQUIRE(process.ok());
  CHECK(process->args == std::vector<std::string>{"ps", "aux"});
  CHECK(process->cwd == "/root");
  CHECK(process->terminal == true);
  CHECK(process->console_size->width == 100u);
  CHECK(process->user->uid == 5u);
  CHECK(process->oom_score_adj == 100);
  CHECK(process->extra.contains("ioPriority"));
  CHECK(kata::oci::to_json(*process)["ioPriority"]["class"] == "IOPRIO_CLASS_IDLE");

  auto bad = kata::oci::parse_process(R"({"args": [], "cwd": "tmp", "env": ["NOEQUALS"], "oomScoreAdj": 2000,
                                          "rlimits": [{"type": "RLIMIT_NPROC", "hard": 1, "soft": 2}]})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == kata::ErrorKind::invalid_argument);
  CHECK(bad.error().message.starts_with("process.json: 5 problems:"));
  auto problems = kata::oci::validate_process(json::parse(R"({"args": [], "cwd": "tmp", "env": ["NOEQUALS"],
      "oomScoreAdj": 2000, "rlimits": [{"type": "RLIMIT_NPROC", "hard": 1, "soft": 2}]})"));
  CHECK(names_path(problems, "args"));
  CHECK(names_path(problems, "cwd"));
  CHECK(names_path(problems, "env[0]"));
  CHECK(names_path(problems, "oomScoreAdj"));
  CHECK(names_path(problems, "rlimits[0].soft"));

  CHECK_FALSE(kata::oci::parse_process(R"({"cwd": "/"})").ok());
  CHECK_FALSE(kata::oci::parse_process(R"(["sh"])").ok());
  CHECK_FALSE(kata::oci::parse_process("{").ok());
}
