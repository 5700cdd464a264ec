#pragma once
// HTTP header lists shared by the client and the server. Names compare
// case-insensitively (RFC 9110 section 5.1); order and duplicates are kept.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atlas::http {

using Header = std::pair<std::string, std::string>;
using HeaderList = std::vector<Header>;

// ASCII case-insensitive equality (header names and methods are ASCII tokens).
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);

// ASCII lower-casing of a header name.
[[nodiscard]] std::string to_lower(std::string_view text);

// Value of the first header called `name` (any case), or nullopt.
[[nodiscard]] std::optional<std::string> find_header(const HeaderList& headers,
                                                     std::string_view name);

}  // namespace atlas::http
