#pragma once
// Splits a document into overlapping chunks for full-text indexing. Pure.
//
// Sizes are in bytes of UTF-8 (one byte per character for ASCII text). A
// chunk is at most `size` bytes and ends, in order of preference, after a
// paragraph break ("\n\n"), after a line break, after a sentence end (". ",
// "! ", "? "), before a space, or else at the last character boundary that
// fits. Break points are only taken in the second half of the window, so
// chunks stay reasonably full. The next chunk starts about `overlap` bytes
// before the end of the previous one, moved forward to the start of a word
// when one begins in the overlap.
//
// Guarantees (tested with random inputs):
//   - it terminates: every chunk starts after the previous one;
//   - it never splits a UTF-8 sequence (for valid UTF-8; on invalid bytes it
//     never cuts before a continuation byte and still makes progress);
//   - every byte of the input that is not leading/trailing whitespace of a
//     chunk is covered by some chunk, in order;
//   - a chunk exceeds `size` only when one character is longer than `size`.
// Chunks are trimmed of surrounding whitespace; whitespace-only chunks are
// dropped, so empty or blank input gives no chunks.
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace atlas::rag {

struct ChunkOptions {
  std::size_t size = 1000;    // bytes, at least 1
  std::size_t overlap = 200;  // bytes, smaller than size
};

// Hard bounds accepted from configuration and requests.
inline constexpr std::size_t kMinChunkSize = 1;
inline constexpr std::size_t kMaxChunkSize = 100'000;

// nullopt when the options are usable, else a message saying what to change,
// e.g. "chunk overlap (200) must be smaller than chunk size (200)".
[[nodiscard]] std::optional<std::string> check_chunk_options(const ChunkOptions& options);

struct Chunk {
  std::size_t offset = 0;  // byte offset of text in the document
  std::string text;
};

// Throws std::invalid_argument with check_chunk_options' message when the
// options are not usable.
[[nodiscard]] std::vector<Chunk> chunk_text(std::string_view document,
                                            const ChunkOptions& options = {});

}  // namespace atlas::rag
