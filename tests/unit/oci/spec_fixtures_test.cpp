// Fixture corpora: malformed config.json documents, each with the JSON path
// its problem must name (invalid/expected.tsv), and real documents written by
// runc and podman plus a 1.3.0 document full of fields kata does not model.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "common/fs.hpp"
#include "oci/spec.hpp"

namespace {

const std::string kFixtures = std::string(KATA_FIXTURES_DIR) + "/oci";

std::string fixture_text(const std::string& relative) {
  auto text = kata::read_file(kFixtures + "/" + relative, 16 * 1024 * 1024);
  REQUIRE_MESSAGE(text.ok(), relative);
  return *text;
}

struct ExpectedProblem {
  std::string file;
  std::string path;
};

std::vector<ExpectedProblem> expected_problems() {
  std::istringstream lines(fixture_text("invalid/expected.tsv"));
  std::vector<ExpectedProblem> expected;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#') continue;
    auto tab = line.find('\t');
    REQUIRE_MESSAGE(tab != std::string::npos, line);
    expected.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return expected;
}

}  // namespace

TEST_CASE("every malformed document is rejected and its problem names the expected JSON path") {
  auto expected = expected_problems();
  CHECK(expected.size() >= 40);
  for (const auto& [file, path] : expected) {
    CAPTURE(file);
    auto text = fixture_text("invalid/" + file);
    auto problems = kata::oci::validate_spec(nlohmann::json::parse(text));
    std::string listed;
    for (const auto& problem : problems) listed += problem.path + ": " + problem.message + "\n";
    CAPTURE(listed);
    CHECK(std::any_of(problems.begin(), problems.end(), [&](const auto& p) { return p.path == path; }));

    auto spec = kata::oci::parse_spec(text);
    REQUIRE_FALSE(spec.ok());
    CHECK(spec.error().kind == kata::ErrorKind::invalid_argument);
    CHECK(spec.error().message.find(path) != std::string::npos);
  }
}

TEST_CASE("the valid documents parse and round-trip to equal JSON") {
  for (const char* file : {"runc-spec.json", "runc-spec-rootless.json", "podman-4.3.1.json", "everything-1.3.0.json"}) {
    CAPTURE(file);
    auto text = fixture_text(std::string("valid/") + file);
    auto original = nlohmann::json::parse(text);
    auto problems = kata::oci::validate_spec(original);
    for (const auto& problem : problems) MESSAGE(problem.path << ": " << problem.message);
    CHECK(problems.empty());
    auto spec = kata::oci::parse_spec(text);
    REQUIRE(spec.ok());
    auto written = kata::oci::to_json(*spec);
    CHECK_MESSAGE(written == original, nlohmann::json::diff(original, written).dump());
  }
}

TEST_CASE("the 1.3.0 document keeps its unmodelled fields where it found them") {
  auto spec = kata::oci::parse_spec(fixture_text("valid/everything-1.3.0.json"));
  REQUIRE(spec.ok());
  CHECK(spec->extra.contains("vm"));
  CHECK(spec->extra.contains("org.example.vendor"));
  CHECK(spec->extra["windows"].is_null());
  REQUIRE(spec->linux_config.has_value());
  CHECK(spec->linux_config->extra.contains("timeOffsets"));
  CHECK(spec->linux_config->extra.contains("memoryPolicy"));
  REQUIRE(spec->linux_config->intel_rdt.has_value());
  CHECK((*spec->linux_config->intel_rdt)["closID"] == "guaranteed");
  CHECK(spec->process->extra.contains("ioPriority"));
  CHECK((*spec->mounts)[2].extra["x-vendor-note"] == "kept");
  // Typed fields hold the document's values.
  CHECK(spec->process->user->additional_gids == std::vector<std::uint32_t>{5, 100});
  CHECK((*spec->process->rlimits)[1].hard == 18446744073709551615ull);
  CHECK(spec->linux_config->resources->memory->limit == 536870912);
  CHECK(spec->linux_config->resources->cpu->cpus == "0-3,6");
  CHECK(spec->linux_config->resources->pids->limit == 512);
  CHECK((*spec->linux_config->seccomp->syscalls)[1].args->at(1).value_two == 8u);
}

TEST_CASE("podman's document is typed as podman wrote it") {
  auto spec = kata::oci::parse_spec(fixture_text("valid/podman-4.3.1.json"));
  REQUIRE(spec.ok());
  CHECK(spec->oci_version == "1.0.2-dev");
  CHECK(spec->process->args == std::vector<std::string>{"true"});
  REQUIRE(spec->linux_config->seccomp.has_value());
  CHECK(spec->linux_config->seccomp->default_action == "SCMP_ACT_ERRNO");
  CHECK(spec->annotations->at("io.container.manager") == "libpod");
}

TEST_CASE("load_bundle_spec reads <bundle>/config.json") {
  auto dir = std::string(KATA_BINARY_DIR) + "/unit_oci_bundle";
  std::filesystem::create_directories(dir);
  REQUIRE(kata::write_file_atomic(dir + "/config.json", fixture_text("valid/runc-spec.json")).ok());
  auto spec = kata::oci::load_bundle_spec(dir);
  REQUIRE(spec.ok());
  CHECK(spec->root->path == "rootfs");

  auto missing = kata::oci::load_bundle_spec(dir + "/nonexistent");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == kata::ErrorKind::not_found);

  REQUIRE(kata::write_file_atomic(dir + "/config.json", R"({"ociVersion": "1.0.0", "root": {"path": ""},
                                                                    "process": {"args": ["sh"], "cwd": "/"}})").ok());
  auto invalid = kata::oci::load_bundle_spec(dir);
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().kind == kata::ErrorKind::invalid_argument);
  CHECK(invalid.error().message == dir + "/config.json: root.path: must not be empty");
  std::filesystem::remove_all(dir);
}
