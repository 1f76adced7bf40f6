#include "runtime/check/check_report.hpp"

#include <doctest/doctest.h>

using namespace kata::runtime;

namespace {

CheckReport sample() {
  CheckReport report;
  report.checks = {{"cpu.vendor", CheckStatus::pass, "GenuineIntel", ""},
                   {"kvm.device", CheckStatus::warn, "/dev/kvm does not exist", "modprobe kvm_intel"}};
  report.verdict = {true, false, true, true};
  return report;
}

}  // namespace

TEST_CASE("text report: verbose lists every check, terse only problems, both end with the verdict") {
  auto report = sample();
  std::string verbose = render_text(report, true);
  CHECK(verbose.find("PASS  cpu.vendor") != std::string::npos);
  CHECK(verbose.find("WARN  kvm.device") != std::string::npos);
  CHECK(verbose.find("fix: modprobe kvm_intel") != std::string::npos);
  std::string terse = render_text(report, false);
  CHECK(terse.find("cpu.vendor") == std::string::npos);
  CHECK(terse.find("kvm.device") != std::string::npos);
  CHECK(terse.find("System is capable of running kata containers (with TCG software emulation, much slower)\n"
                   "System can currently create kata containers\n") != std::string::npos);
}

TEST_CASE("JSON report holds every check and the verdict") {
  auto json = to_json(sample());
  REQUIRE(json["checks"].size() == 2);
  CHECK(json["checks"][1]["status"] == "warn");
  CHECK(json["checks"][1]["fix"] == "modprobe kvm_intel");
  CHECK_FALSE(json["checks"][0].contains("fix"));
  CHECK(json["verdict"]["capable"] == true);
  CHECK(json["verdict"]["accelerator"] == "tcg");
  CHECK(json["verdict"]["can_create"] == true);
}

TEST_CASE("text and JSON reports name the configuration file in use") {
  auto report = sample();
  CHECK(render_text(report, false).find("Configuration:") == std::string::npos);
  CHECK_FALSE(to_json(report).contains("configuration"));

  report.config_source = "/etc/kata-containers/configuration.toml";
  // Shown without --verbose too, right before the verdict.
  CHECK(render_text(report, false).find("Configuration: /etc/kata-containers/configuration.toml\n"
                                        "System is capable") != std::string::npos);
  CHECK(to_json(report)["configuration"]["path"] == "/etc/kata-containers/configuration.toml");
}

TEST_CASE("exit code: failures always fail, warnings only under strict") {
  auto report = sample();
  CHECK(report.exit_code(false) == 0);
  CHECK(report.exit_code(true) == 1);
  report.checks[1].status = CheckStatus::fail;
  CHECK(report.exit_code(false) == 1);
}
