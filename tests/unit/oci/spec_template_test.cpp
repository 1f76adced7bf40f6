// `kata spec`: runc's template, validated by kata's own rules.

#include <doctest/doctest.h>

#include "common/fs.hpp"
#include "oci/spec.hpp"
#include "oci/spec_template.hpp"

namespace {

nlohmann::json runc_fixture(const char* name) {
  auto text = kata::read_file(std::string(KATA_FIXTURES_DIR) + "/oci/valid/" + name, 1 << 20);
  REQUIRE(text.ok());
  return nlohmann::json::parse(*text);
}

}  // namespace

TEST_CASE("default_spec passes validation, rootful and rootless") {
  for (bool rootless : {false, true}) {
    CAPTURE(rootless);
    auto document = kata::oci::default_spec(rootless);
    auto problems = kata::oci::validate_spec(document);
    for (const auto& problem : problems) MESSAGE(problem.path << ": " << problem.message);
    CHECK(problems.empty());
    auto spec = kata::oci::parse_spec(document.dump());
    REQUIRE(spec.ok());
    CHECK(kata::oci::to_json(*spec) == document);
  }
}

TEST_CASE("default_spec is runc's template apart from version and hostname") {
  // The fixtures are the output of Debian's runc 1.1.5 `runc spec` and
  // `runc spec --rootless`, run as root (so the rootless mapping is to 0).
  struct Case {
    bool rootless;
    const char* fixture;
  };
  for (auto [rootless, fixture] : {Case{false, "runc-spec.json"}, Case{true, "runc-spec-rootless.json"}}) {
    CAPTURE(fixture);
    auto ours = kata::oci::default_spec(rootless, 0, 0);
    auto runc = runc_fixture(fixture);
    CHECK(ours["ociVersion"] == kata::oci::kSpecVersion);
    CHECK(ours["hostname"] == "kata");
    ours["ociVersion"] = runc["ociVersion"];
    ours["hostname"] = runc["hostname"];
    CHECK_MESSAGE(ours == runc, nlohmann::json::diff(runc, ours).dump());
  }
}

TEST_CASE("the rootless template maps container root to the given host ids") {
  auto document = kata::oci::default_spec(true, 1000, 1001);
  CHECK(document["linux"]["uidMappings"][0]["hostID"] == 1000);
  CHECK(document["linux"]["gidMappings"][0]["hostID"] == 1001);
  CHECK(document["linux"]["uidMappings"][0]["containerID"] == 0);
  CHECK(document["linux"]["uidMappings"][0]["size"] == 1);
  auto rootful = kata::oci::default_spec(false, 1000, 1001);
  CHECK_FALSE(rootful["linux"].contains("uidMappings"));
}
