#pragma once
// Helpers shared by the provider response parsers (private to atlas_worker).
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "atlas/worker/provider.hpp"

namespace atlas::worker::detail {

// A non-negative integer member, or 0 when absent or not a number.
std::int64_t token_count(const nlohmann::json& object, std::string_view key);

// A string member, or "" when absent or not a string (never throws).
std::string string_member(const nlohmann::json& object, std::string_view key);

// A 2xx body we cannot use. It is retried on the same model: a 200 that is
// not the provider's JSON (an HTML page from a proxy, a body cut short) is
// almost always a transport or gateway hiccup, the request itself was valid,
// and RetryPolicy bounds how often we try.
CallError malformed(int status, std::string what);

// The answer was well-formed but holds no text (all tokens went to hidden
// reasoning, or a content filter stopped it). The same request to the same
// model would do the same, so try the next model; the usage it reported is
// kept so the budget counts it.
CallError empty_output(int status, const Usage& usage, std::string reason, std::string detail);

// A non-2xx response, classified; `api_key` is masked in the detail.
CallError http_error(int status, std::string_view body, std::string_view api_key);

}  // namespace atlas::worker::detail
