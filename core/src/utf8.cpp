#include "atlas/utf8.hpp"

#include <cstdint>

namespace atlas {
namespace {

constexpr bool is_continuation(std::uint8_t byte) { return (byte & 0xC0u) == 0x80u; }

}  // namespace

std::string Utf8Error::describe() const {
  return "invalid UTF-8 at byte " + std::to_string(offset) + ": " + std::string(reason);
}

std::optional<Utf8Error> validate_utf8(std::string_view bytes) {
  const std::size_t size = bytes.size();
  std::size_t i = 0;
  while (i < size) {
    const auto lead = static_cast<std::uint8_t>(bytes[i]);
    if (lead < 0x80u) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    std::uint32_t minimum = 0;
    if (lead >= 0xC2u && lead <= 0xDFu) {
      length = 2;
      code_point = lead & 0x1Fu;
      minimum = 0x80;
    } else if ((lead & 0xF0u) == 0xE0u) {
      length = 3;
      code_point = lead & 0x0Fu;
      minimum = 0x800;
    } else if (lead >= 0xF0u && lead <= 0xF4u) {
      length = 4;
      code_point = lead & 0x07u;
      minimum = 0x10000;
    } else if (is_continuation(lead)) {
      return Utf8Error{i, "continuation byte without a lead byte"};
    } else if (lead == 0xC0u || lead == 0xC1u) {
      return Utf8Error{i, "overlong encoding"};
    } else {
      return Utf8Error{i, "byte 0xF5..0xFF never appears in UTF-8"};
    }
    for (std::size_t k = 1; k < length; ++k) {
      if (i + k >= size) return Utf8Error{i, "truncated sequence at end of input"};
      const auto next = static_cast<std::uint8_t>(bytes[i + k]);
      if (!is_continuation(next)) return Utf8Error{i, "truncated sequence"};
      code_point = (code_point << 6) | (next & 0x3Fu);
    }
    if (code_point < minimum) return Utf8Error{i, "overlong encoding"};
    if (code_point >= 0xD800u && code_point <= 0xDFFFu) {
      return Utf8Error{i, "UTF-16 surrogate code point"};
    }
    if (code_point > 0x10FFFFu) return Utf8Error{i, "code point above U+10FFFF"};
    i += length;
  }
  return std::nullopt;
}

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
    if (!is_continuation(static_cast<std::uint8_t>(text[pos + i]))) return 1;
  }
  return len;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  if (!is_continuation(static_cast<std::uint8_t>(text[max_bytes]))) {
    return text.substr(0, max_bytes);  // the cut falls between two sequences
  }
  // text[max_bytes] continues a sequence: find its lead byte (at most 3 back).
  std::size_t lead = max_bytes;
  while (lead > 0 && max_bytes - lead < 3 &&
         is_continuation(static_cast<std::uint8_t>(text[lead]))) {
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


}  // namespace atlas
