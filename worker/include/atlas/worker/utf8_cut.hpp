#pragma once
// Cutting text without splitting a UTF-8 sequence.
#include <cstddef>
#include <string_view>

namespace atlas::worker {

// The longest prefix of `text` of at most `max_bytes` bytes that does not end
// inside a UTF-8 sequence. Continuation bytes (10xxxxxx) are never left
// without their lead byte; on invalid input it still returns a prefix.
[[nodiscard]] std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

// The byte length of the UTF-8 sequence starting at text[pos] (1 for an
// invalid lead byte or a sequence cut short), so scans always advance.
[[nodiscard]] std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

}  // namespace atlas::worker
