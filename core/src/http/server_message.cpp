#include "atlas/http/server_message.hpp"

#include <utility>

namespace atlas::http {

ServerResponse json_response(int status, const nlohmann::json& body) {
  ServerResponse response;
  response.status = status;
  // `replace` keeps invalid UTF-8 from throwing inside a handler.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.content_type = "application/json";
  return response;
}

ServerResponse text_response(int status, std::string body) {
  ServerResponse response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = "text/plain; charset=utf-8";
  return response;
}

ServerResponse error_response(int status, std::string_view reason) {
  return json_response(status, nlohmann::json{{"error", std::string(reason)}});
}

}  // namespace atlas::http
