// libFuzzer target: arbitrary bytes from a hostile agent (or host) go
// through the frame decoder and every message decoder. Must never crash,
// hang, leak or allocate beyond the decoder's bound; a decoded message must
// survive re-encoding unchanged.
//
// Input layout: byte 0 picks the chunk size the bytes are fed in (1..256),
// so that splits inside headers and payloads are explored; the rest is the
// byte stream.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent-client/protocol.hpp"

namespace {

using namespace kata;
using namespace kata::agent_client;

// A broken invariant is a bug; abort so that libFuzzer records the input.
void require(bool condition) {
  if (!condition) std::abort();
}

Hello local_hello() {
  Hello hello;
  hello.role = Role::host;
  hello.build_version = "fuzz";
  hello.capabilities = {"pty", "stats"};
  return hello;
}

void check_request_round_trip(const IncomingRequest& request) {
  auto bytes = encode_request(request.id, request.request);
  if (!bytes) return;  // e.g. an id-sized payload grown past the limit by escaping
  FrameDecoder decoder;
  require(decoder.feed(*bytes).ok());
  auto frame = decoder.next();
  require(frame.ok() && frame->has_value());
  auto again = decode_request(**frame);
  require(again.ok());
  require(again->request.index() == request.request.index());
}

// Handles one frame as the host would; false means "drop the connection".
bool handle(const Frame& frame, StreamTable& streams, bool& greeted) {
  if (!greeted) {
    auto hello = decode_hello(frame);
    if (!hello) return false;
    auto session = negotiate(local_hello(), *hello);
    if (!session) return false;
    require(session->max_payload <= kMaxFramePayload);
    greeted = true;
    return true;
  }
  switch (frame.type) {
    case FrameType::hello:
      (void)decode_hello(frame);  // exercised, but a second hello is not allowed
      return false;
    case FrameType::request: {
      auto request = decode_request(frame);
      if (request) check_request_round_trip(*request);
      return request.ok();
    }
    case FrameType::response: {
      auto response = decode_response(frame);
      if (!response) return false;
      // Try the typed bodies a client would ask for.
      (void)response_body<ProcessStarted>(*response);
      (void)response_body<ProcessStatus>(*response);
      (void)response_body<ProcessList>(*response);
      (void)response_body<ContainerStats>(*response);
      return true;
    }
    case FrameType::event:
      return decode_event(frame).ok();
    case FrameType::stream_data:
    case FrameType::stream_close:
    case FrameType::stream_credit: {
      auto event = streams.on_frame(frame);
      if (!event) return false;
      if (event->kind == StreamEvent::Kind::data) {
        auto grant = streams.consume(event->id, event->bytes);
        require(grant.ok());
      }
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t chunk = static_cast<std::size_t>(data[0]) + 1;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  FrameDecoder decoder(64 * 1024);
  StreamTable streams(kDefaultStreamWindow, kDefaultStreamWindow, 16);
  // Odd ids: streams we receive; even ids: streams we send on.
  for (std::uint32_t id = 1; id <= 8; ++id) {
    require(streams.open(id, id % 2 == 1 ? StreamDirection::inbound : StreamDirection::outbound).ok());
  }
  bool greeted = false;

  while (!input.empty()) {
    std::size_t n = std::min({chunk, input.size(), decoder.space()});
    require(n > 0);  // space() is never 0 after frames are drained
    if (!decoder.feed(input.substr(0, n))) return 0;
    input.remove_prefix(n);
    require(decoder.buffered() <= kFrameHeaderSize + 64 * 1024);
    while (true) {
      auto frame = decoder.next();
      if (!frame) return 0;
      if (!frame->has_value()) break;
      if (!handle(**frame, streams, greeted)) return 0;
    }
  }
  (void)decoder.finish();
  return 0;
}
