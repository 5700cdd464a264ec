#pragma once
// The request a Server hands to a route handler and the response it sends
// back. Plain values: handlers and their tests need no socket.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "atlas/http/headers.hpp"

namespace atlas::http {

struct ServerRequest {
  std::string method;  // as received, e.g. "GET", "POST"
  std::string target;  // request-target as received: path and query
  std::string path;    // target up to '?', not percent-decoded
  std::string query;   // after '?', without it; empty when absent
  HeaderList headers;  // names as received; use header() for lookup
  std::string body;    // raw bytes (e.g. for webhook signature checks)
  std::string peer_address;  // remote IP ("127.0.0.1", "::1")
  // For a prefix route "/v1/jobs/*": the part of `path` the '*' matched
  // ("42" for "/v1/jobs/42"); empty for exact routes.
  std::string route_tail;

  // First header called `name`, compared case-insensitively.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

struct ServerResponse {
  int status = 200;
  HeaderList headers;  // extra headers; Content-Length, Connection are set by the server
  std::string body;
  std::string content_type = "application/json";  // empty: no Content-Type header
};

// `body` serialised compactly, content type application/json.
[[nodiscard]] ServerResponse json_response(int status, const nlohmann::json& body);
// Content type text/plain; charset=utf-8.
[[nodiscard]] ServerResponse text_response(int status, std::string body);
// {"error": reason} with the given status: the shape of every error the server sends.
[[nodiscard]] ServerResponse error_response(int status, std::string_view reason);

}  // namespace atlas::http
