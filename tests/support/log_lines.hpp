#pragma once
// Reading a child's JSON log (LOG_FORMAT=json: one object per line, "msg" the
// message) from tests, e.g. to learn the port a binary started with port 0
// chose:
//
//   int port = 0;
//   REQUIRE(wait_until(
//       [&] { return (port = logged_port(rag.stderr_text(), "atlas-rag listening")) > 0; }, 20s));
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace atlas::test {

// The value of `field` in the first line of `log` that is a JSON object whose
// "msg" is `msg` and that has `field`; null when there is none (yet). Lines
// that are not JSON objects are skipped.
[[nodiscard]] nlohmann::json log_field(const std::string& log, std::string_view msg,
                                       std::string_view field);

// log_field() for a port: the integer, or 0 when not logged (yet).
[[nodiscard]] int logged_port(const std::string& log, std::string_view msg,
                              std::string_view field = "port");

}  // namespace atlas::test
