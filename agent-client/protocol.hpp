#pragma once
// The host <-> guest agent wire protocol. Include this header for all of it.
//
// One byte stream (virtio-serial port, later vsock) carries control RPCs,
// events and the containers' stdio. It is a contract between two binaries
// built from the same tree, but the guest is untrusted: every length, id and
// field received is checked against fixed limits before anything is sized
// or looked up from it.
//
// Frame (frame.hpp), all integers big-endian:
//
//   offset size field
//   0      1    magic        0x4b ('K')
//   1      1    version      1 (layout of this header)
//   2      1    type         FrameType
//   3      1    flags        bit 0: ignorable; bits 1-7 reserved, must be 0
//   4      4    id           request id / stream id / 0
//   8      4    length       payload bytes, <= 1 MiB (kMaxFramePayload)
//   12     len  payload
//
// Frame types:
//   0x01 hello          id 0, JSON Hello                        both ways, first frame
//   0x02 request        id = request id != 0, JSON {"op","args"}   host -> agent
//   0x03 response       id = that request's id, JSON {"ok": body} or
//                       {"error": {"kind","errno","message"}}      agent -> host
//   0x04 event          id 0, JSON {"event","data"}                agent -> host
//   0x10 stream_data    id = stream id != 0, raw bytes, length >= 1
//   0x11 stream_close   id = stream id, length 0: sender's EOF
//   0x12 stream_credit  id = stream id, 4-byte increment != 0
// A header with a bad magic, version, reserved flag, a length over the limit
// or breaking its type's id/length rule is a protocol error detected from
// the 12 header bytes alone, before any payload is buffered; the decoder is
// then poisoned and the connection must be dropped. An unknown type is a
// protocol error unless flagged ignorable, in which case it is skipped.
// Limits: 1 MiB payload, JSON nesting depth 64, 1 KiB ids, 4096 open streams.
//
// Handshake (handshake.hpp): on connect each side sends a hello frame at
// once: {"role", "version": {"major","minor"}, "build_version",
// "capabilities": [...], "stream_window", "max_payload"}. The first frame
// each side receives must be hello; the host sends no request before it
// has the agent's hello. Different major versions fail on both sides with
// an error naming both versions; minors may differ.
//
// Requests (messages.hpp): the host numbers requests (non-zero, unique
// among those in flight) and may pipeline them; the agent answers each with
// exactly one response frame carrying the same id, in any order. Unknown ops,
// missing fields and wrong types are protocol errors. Unknown JSON fields
// are ignored (minor-version additions). An error response keeps the agent's
// kind, errno and message, so the host reports e.g. "create container:
// mount proc on /proc: Operation not permitted".
//
// Streams (stream_table.hpp): the host picks stream ids for a process's
// stdin/stdout/stderr and sends them in CreateContainer/ExecProcess. A
// stream flows one way; its sender ends it with stream_close (EOF per
// stream, hence per direction). Flow control is by credit: each stream
// starts with the receiver's hello stream_window as credit; the sender never
// sends beyond its credit (more is a protocol error); the receiver returns
// credit with stream_credit as its application consumes data, so in-flight
// plus buffered bytes never exceed the window. Credit for an unknown stream
// is ignored (it may cross a stream_close). The agent sends the EOF of a
// process's stdout and stderr before its process_exited event. A stream's
// receiver cannot abort it: a host that stops caring about output keeps
// reading and discards it, so the agent never blocks on a dead reader.

#include "agent-client/frame.hpp"         // IWYU pragma: export
#include "agent-client/handshake.hpp"     // IWYU pragma: export
#include "agent-client/json_fields.hpp"   // IWYU pragma: export
#include "agent-client/messages.hpp"      // IWYU pragma: export
#include "agent-client/stream_table.hpp"  // IWYU pragma: export
