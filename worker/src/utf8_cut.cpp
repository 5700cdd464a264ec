#include "atlas/worker/utf8_cut.hpp"

namespace atlas::worker {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0U) == 0x80U; }

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t len = 1;
  if (lead >= 0xF0U && lead <= 0xF4U) {
    len = 4;
  } else if (lead >= 0xE0U) {
    len = lead <= 0xEFU ? 3 : 1;
  } else if (lead >= 0xC2U) {
    len = 2;
  }
  if (pos + len > text.size()) return 1;
  for (std::size_t i = 1; i < len; ++i) {
    if (!is_continuation(static_cast<unsigned char>(text[pos + i]))) return 1;
  }
  return len;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  if (!is_continuation(static_cast<unsigned char>(text[max_bytes]))) {
    return text.substr(0, max_bytes);  // the cut falls between two sequences
  }
  // text[max_bytes] continues a sequence: find its lead byte (at most 3 back).
  std::size_t lead = max_bytes;
  while (lead > 0 && max_bytes - lead < 3 &&
         is_continuation(static_cast<unsigned char>(text[lead]))) {
    --lead;
  }
  const auto byte = static_cast<unsigned char>(text[lead]);
  const std::size_t declared = byte >= 0xF0U && byte <= 0xF4U ? 4
                               : byte >= 0xE0U && byte <= 0xEFU ? 3
                               : byte >= 0xC2U && byte <= 0xDFU ? 2
                                                                : 1;
  // A real lead whose sequence reaches past the cut: cut before it. Anything
  // else is stray continuation bytes (invalid input): cut where asked.
  if (declared > 1 && lead + declared > max_bytes) return text.substr(0, lead);
  return text.substr(0, max_bytes);
}

}  // namespace atlas::worker
