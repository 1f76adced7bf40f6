#pragma once
// The seccomp program compiled on the host and carried to the agent in the
// guest spec. libseccomp's compile of a runtime's default profile (about 400
// syscalls) takes some 37 million instructions: 13 ms on the host, where it
// took 60-100 ms of a container's create inside a VM under TCG. Compiling it
// on the host also fails a bad profile before the VM boots.
//
// The guest spec's linux.seccomp then keeps defaultAction and flags, drops
// the rule lists, and carries the program under precompiled_key as lower-case
// hex of the struct sock_filter array (8 bytes per instruction, host byte
// order: the guest is the host's architecture).

#include <string>
#include <string_view>
#include <vector>

#include "seccomp/compile.hpp"

namespace kata::seccomp {

/// The linux.seccomp key of the host-compiled program (agent protocol 1.2).
inline constexpr const char* precompiled_key = "kata.bpf";

/// `seccomp` compiled (compile()) and rewritten for the guest spec: the
/// program under precompiled_key, defaultAction, flags and the listener
/// fields kept, architectures and syscalls dropped. Compile errors are the
/// profile's. `abis`: what the guest kernel serves (compile()).
Result<oci::Seccomp> precompile(const oci::Seccomp& seccomp, const GuestAbis& abis = {});

/// What a container's process loads for linux.seccomp: the host's program
/// when the spec carries one, else `seccomp` compiled here. A program that
/// is not hex of whole instructions, is empty or longer than BPF_MAXINSNS is
/// an error naming precompiled_key.
Result<Program> program_for(const oci::Seccomp& seccomp);

/// Lower-case hex of `program`'s instructions, as precompiled_key holds them.
std::string program_text(const std::vector<sock_filter>& program);

}  // namespace kata::seccomp
