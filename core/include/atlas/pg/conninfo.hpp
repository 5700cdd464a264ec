#pragma once
// Pure helpers for PostgreSQL connection strings, in either of libpq's two
// forms: a URI (postgresql://user:password@host:port/db?param=value) or
// keyword/value pairs (host=h port=5432 password='x y').
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace atlas::pg {

// True for "postgresql://..." and "postgres://..." (libpq's URI form).
[[nodiscard]] bool is_uri(std::string_view conninfo);

// True when the connection string already sets connect_timeout.
[[nodiscard]] bool has_connect_timeout(std::string_view conninfo);

// Returns conninfo with connect_timeout=<seconds> added, unless it already has
// one (the operator's value wins). Seconds are rounded up; libpq treats values
// below 2 as 2.
[[nodiscard]] std::string with_connect_timeout(std::string_view conninfo,
                                               std::chrono::seconds timeout);

// Every form in which the connection string's password could appear in a
// libpq error message: the userinfo password of a URI (raw and percent-
// decoded), a password= URI parameter, or a password= keyword. Values shorter
// than 4 bytes are left out (masking them would mangle ordinary text).
[[nodiscard]] std::vector<std::string> conninfo_passwords(std::string_view conninfo);

// Returns text with any URL password (atlas::redact_url_password) and every
// password of `conninfo` replaced by "[REDACTED]". Use it on anything that
// might echo the connection string: libpq messages do, for malformed URIs.
[[nodiscard]] std::string redact_conninfo(std::string_view text, std::string_view conninfo);

}  // namespace atlas::pg
