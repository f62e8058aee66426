// libFuzzer target of the daemon protocol's decoders: the input (after a first byte that chooses how
// the stream is cut into reads) is a byte stream fed to a FrameDecoder; Hello frames go through
// decodeHello/checkHello, every other frame's body through one ObjectDecoder (so class records of
// earlier frames are in play). Any object the decoder accepts must encode again, and decode from
// that to an equal object. Rejecting input with wbem::Error is fine; a crash, a sanitizer report,
// another exception, a leak or a timeout is a bug.

#include <wbem/classobject.hpp>
#include <wbem/status.hpp>
#include <wbem/wire.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>

namespace {

using namespace wbem;

// Re-encoding on a fresh connection and decoding again must give the same object.
void checkRoundTrip(const ClassObject& object) {
  try {
    wire::ObjectEncoder encoder;
    wire::ObjectDecoder decoder;
    if (decoder.decode(encoder.encode(object)) == object) return;
    std::fprintf(stderr, "round trip changed the object:\n%s\n", object.getObjectText().c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "an accepted object does not round-trip: %s\n", e.what());
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t read = data[0] % 17;  // bytes per read; 0: the whole stream at once
  const std::span<const std::uint8_t> stream(data + 1, size - 1);
  wire::FrameDecoder frames;
  wire::ObjectDecoder objects;
  try {
    for (std::size_t at = 0; at < stream.size();) {
      const std::size_t n = read == 0 ? stream.size() : std::min(read, stream.size() - at);
      frames.feed(stream.subspan(at, n));
      at += n;
      while (std::optional<wire::Frame> frame = frames.next()) {
        try {
          if (frame->type() == wire::kHelloMessage) {
            wire::checkHello(wire::decodeHello(*frame));
            continue;
          }
          checkRoundTrip(objects.decode(frame->body()));
        } catch (const Error&) {
          // refused: the next frame is still decoded, with whatever classes were accepted
        }
      }
    }
    frames.finish();
  } catch (const Error&) {
    // a bad frame: the stream ends here
  }
  return 0;
}
