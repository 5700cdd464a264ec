#pragma once
// atlas-fake: what an emulated endpoint, a preset or a scripted rule answers.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "atlas/http/headers.hpp"
#include "atlas/http/server_message.hpp"

namespace atlas::fake {

struct Reply {
  int status = 200;
  nlohmann::json body = nlohmann::json::object();  // sent as JSON unless `raw` is set
  std::optional<std::string> raw;                  // sent verbatim (malformed bodies)
  std::string content_type = "application/json";
  http::HeaderList headers;
  // prompt + completion (input + output) tokens of a successful LLM answer,
  // added to /_fake/stats; 0 for everything else.
  std::int64_t tokens = 0;
  // The model the tokens are counted under (the request's model).
  std::string token_model;
};

// Sets (or replaces) header `name` in `headers`.
inline void set_header(http::HeaderList& headers, const std::string& name, const std::string& value) {
  for (auto& [n, v] : headers) {
    if (http::iequals(n, name)) {
      v = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

inline http::ServerResponse to_server_response(Reply reply) {
  http::ServerResponse response;
  response.status = reply.status;
  response.headers = std::move(reply.headers);
  response.content_type = std::move(reply.content_type);
  // error_handler_t::replace: a body can never make dump() throw.
  response.body = reply.raw ? std::move(*reply.raw)
                            : reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

}  // namespace atlas::fake
