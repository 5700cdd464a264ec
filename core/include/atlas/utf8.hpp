#pragma once
// Strict UTF-8 validation (RFC 3629): the envelope is UTF-8 JSON, and bytes
// from the bus or a webhook are checked before anything parses them.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace atlas {

struct Utf8Error {
  std::size_t offset = 0;   // byte offset of the first byte of the bad sequence
  std::string_view reason;  // e.g. "overlong encoding"; a static string

  [[nodiscard]] std::string describe() const;  // "invalid UTF-8 at byte 17: overlong encoding"
};

// nullopt when `bytes` is well-formed UTF-8. Rejects stray continuation bytes,
// bytes 0xC0, 0xC1 and 0xF5..0xFF, overlong encodings, UTF-16 surrogates
// (U+D800..U+DFFF), code points above U+10FFFF and sequences cut short.
[[nodiscard]] std::optional<Utf8Error> validate_utf8(std::string_view bytes);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end
// inside a UTF-8 sequence. Continuation bytes (10xxxxxx) are never left
// without their lead byte; on invalid input it still returns a prefix.
[[nodiscard]] std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

// The byte length of the UTF-8 sequence starting at text[pos] (1 for an
// invalid lead byte or a sequence cut short), so scans always advance.
[[nodiscard]] std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

}  // namespace atlas
