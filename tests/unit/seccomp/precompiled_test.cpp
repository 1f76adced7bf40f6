#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "common/fs.hpp"
#include "oci/spec.hpp"
#include "seccomp/precompiled.hpp"

namespace kata::seccomp {
namespace {

// podman 4.3.1's config.json for `podman run --rm busybox true`: its default
// profile of about 400 syscalls on three architectures.
oci::Spec podman_spec() {
  auto text = read_file(std::string(KATA_FIXTURES_DIR) + "/oci/valid/podman-4.3.1.json", 1 << 20);
  REQUIRE(text.ok());
  auto spec = oci::parse_spec(*text);
  REQUIRE(spec.ok());
  REQUIRE(spec->linux_config);
  REQUIRE(spec->linux_config->seccomp);
  return *spec;
}

oci::Seccomp podman_profile() { return *podman_spec().linux_config->seccomp; }

bool same_program(const std::vector<sock_filter>& a, const std::vector<sock_filter>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(sock_filter)) == 0;
}

// A profile whose guest copy carries `text` as its program.
oci::Seccomp carrying(nlohmann::json text) {
  oci::Seccomp seccomp;
  seccomp.default_action = "SCMP_ACT_ERRNO";
  seccomp.extra[precompiled_key] = std::move(text);
  return seccomp;
}

}  // namespace

TEST_CASE("precompiled: the guest spec carries the host's program, which the agent loads as its own compile") {
  auto profile = podman_profile();
  profile.flags = std::vector<std::string>{"SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  auto native = compile(profile);
  REQUIRE(native.ok());
  CHECK(native->program.size() > 100);

  auto guest = precompile(profile);
  REQUIRE(guest.ok());
  CHECK_FALSE(guest->syscalls);  // the rule lists stay on the host
  CHECK_FALSE(guest->architectures);
  CHECK(guest->default_action == "SCMP_ACT_ERRNO");

  // Through the guest spec's JSON, as the agent gets it.
  auto spec = podman_spec();
  spec.linux_config->seccomp = *guest;
  auto decoded = oci::parse_spec(oci::to_json(spec).dump());
  REQUIRE_MESSAGE(decoded.ok(), (decoded.ok() ? "" : decoded.error().message));
  auto loaded = program_for(*decoded->linux_config->seccomp);
  REQUIRE(loaded.ok());
  CHECK(same_program(loaded->program, native->program));
  CHECK(loaded->flags == native->flags);
  CHECK(loaded->flags != 0);
}

TEST_CASE("precompiled: for a guest kernel without compat ABIs, podman's program covers x86_64 alone") {
  auto profile = podman_profile();
  auto all = precompile(profile);
  auto native = precompile(profile, GuestAbis{false, false});
  REQUIRE(all.ok());
  REQUIRE(native.ok());
  auto text_size = [](const oci::Seccomp& guest) { return guest.extra.at(precompiled_key).get<std::string>().size(); };
  // One architecture's rules of three.
  CHECK(text_size(*native) * 2 < text_size(*all));
}

TEST_CASE("precompiled: a spec without a program is compiled where it is loaded") {
  auto profile = podman_profile();
  auto loaded = program_for(profile);
  auto native = compile(profile);
  REQUIRE(loaded.ok());
  REQUIRE(native.ok());
  CHECK(same_program(loaded->program, native->program));
}

TEST_CASE("precompiled: a bad profile fails on the host, naming what is wrong") {
  auto profile = podman_profile();
  profile.default_action = "SCMP_ACT_BOGUS";
  auto guest = precompile(profile);
  REQUIRE_FALSE(guest.ok());
  CHECK(guest.error().kind == ErrorKind::invalid_argument);
  CHECK(guest.error().message.find("SCMP_ACT_BOGUS") != std::string::npos);
}

TEST_CASE("precompiled: a malformed program is refused, naming the key") {
  const std::string insn(16, '0');  // one instruction: 8 bytes
  for (const auto& bad : {nlohmann::json(42), nlohmann::json(""), nlohmann::json(insn.substr(1)),
                          nlohmann::json(insn + "00"), nlohmann::json(std::string(15, '0') + "g"),
                          nlohmann::json(std::string(15, '0') + "A"),
                          nlohmann::json(std::string(16 * (BPF_MAXINSNS + 1), '0'))}) {
    CAPTURE(bad.dump().substr(0, 40));
    auto loaded = program_for(carrying(bad));
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().kind == ErrorKind::invalid_argument);
    CHECK(loaded.error().message.find(precompiled_key) != std::string::npos);
  }
  auto one = program_for(carrying(insn));
  REQUIRE(one.ok());
  CHECK(one->program.size() == 1);
}

TEST_CASE("precompiled: program_text is the instructions' bytes in order") {
  std::vector<sock_filter> program{{0x0006, 0x01, 0x02, 0x7fff0000}};
  // code (u16), jt, jf (u8), k (u32), little-endian on x86_64.
  CHECK(program_text(program) == "060001020000ff7f");
}

}  // namespace kata::seccomp
