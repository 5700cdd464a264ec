#pragma once
// Classification of a failed model call (DESIGN section 6) into the one small
// domain type the chain acts on. Metrics labels, attempt records and the
// circuit breakers all read this; nothing else inspects HTTP statuses.
//
//   retry_same_model  408, 409, 429 rate limit, 5xx, 529 overloaded, timeouts,
//                     connection errors, a malformed 200 body
//   next_model        context too long, model not found, model not served on
//                     this endpoint, unsupported parameter, 413, an empty or
//                     refused answer, other unexpected 4xx/3xx
//   fail_permanent    400 invalid request, 401, 402, 403, 429 insufficient_quota:
//                     never retried; they open the provider's circuit
//
// Error bodies understood: OpenAI {"error":{"type","code","message"}},
// Anthropic {"type":"error","error":{"type","message"}}, and the shapes
// OpenAI-compatible servers use ({"error":"..."}, {"detail":"..."},
// {"message":"..."}). A body that is not JSON is classified by status alone.
#include <string>
#include <string_view>

namespace atlas::worker {

enum class Outcome { retry_same_model, next_model, fail_permanent };
[[nodiscard]] std::string_view to_string(Outcome outcome);

struct Classification {
  Outcome outcome = Outcome::retry_same_model;
  // Short, stable, metric-label-safe: "rate_limited", "server_error",
  // "overloaded", "request_timeout", "conflict", "timeout", "connection_error",
  // "tls_error", "transport_error", "context_length_exceeded",
  // "model_not_found", "unsupported_endpoint", "unsupported_parameter",
  // "request_too_large", "response_too_large", "invalid_request",
  // "unauthorized", "forbidden", "payment_required", "insufficient_quota",
  // "malformed_response", "empty_output", "refused", "http_<status>".
  std::string reason;
  // For people: the provider's message (secrets masked, at most 300 bytes).
  std::string detail;
};

// The error part of a provider's body; fields are empty when absent.
struct ProviderErrorBody {
  bool json = false;  // the body parsed as JSON
  std::string type;
  std::string code;
  std::string message;
};
[[nodiscard]] ProviderErrorBody parse_provider_error(std::string_view body);

// Classifies a non-2xx HTTP response. `api_key` (if any) is masked in the detail.
[[nodiscard]] Classification classify_http_error(int status, std::string_view body,
                                                 std::string_view api_key = {});

// Why no HTTP response arrived (the adapter maps libcurl's errors to this).
enum class TransportError { timeout, connect, tls, too_large, other };
[[nodiscard]] Classification classify_transport_error(TransportError error,
                                                      std::string_view detail = {});

// Makes provider text safe to log and to put in a reply: masks `api_key`,
// anything that looks like an API key (sk-..., sk-ant-...) or a bearer
// token, replaces control characters with spaces and cuts it to `max_bytes`
// on a UTF-8 boundary (adding "...").
[[nodiscard]] std::string sanitize_provider_text(std::string_view text,
                                                 std::string_view api_key = {},
                                                 std::size_t max_bytes = 300);

}  // namespace atlas::worker
