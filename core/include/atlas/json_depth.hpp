#pragma once
// A bound on JSON nesting, checked on the raw bytes before a parser sees them,
// so no recursive step (parse, compare, dump, destroy) can exhaust the stack.
#include <cstddef>
#include <optional>
#include <string_view>

namespace atlas {

// The byte offset of the first '{' or '[' that nests deeper than `limit`
// levels, or nullopt. Brackets inside strings do not count. Exact for valid
// JSON, which is all that matters: invalid JSON is rejected either way.
[[nodiscard]] std::optional<std::size_t> json_nesting_exceeds(std::string_view bytes,
                                                              std::size_t limit);

}  // namespace atlas
