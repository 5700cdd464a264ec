#pragma once
// Route table: (method, path pattern) -> handler. Pure; the Server consults it
// once per request.
//
// A pattern is an exact path ("/v1/query_chat") or a prefix ending in '*'
// ("/v1/jobs/*" matches "/v1/jobs/42" with route_tail "42", but not
// "/v1/jobs/"). The most specific matching pattern that has the request's
// method wins: exact before prefix, longer prefix before shorter. A path that
// some pattern matches, but not with this method, is "method not allowed"
// and `allow` lists the methods that would be.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/http/responder.hpp"
#include "atlas/http/server_message.hpp"

namespace atlas::http {

// Runs on a server I/O thread: it must not block. Answer through the
// Responder, now or later (see responder.hpp). The request is only valid
// during the call; copy what a later answer needs.
using Handler = std::function<void(const ServerRequest&, Responder)>;

class Router {
 public:
  // Throws std::invalid_argument for an empty method, a pattern not starting
  // with '/', a '*' anywhere but at the end, or a duplicate (method, pattern).
  void add(std::string method, std::string pattern, Handler handler);

  struct Match {
    enum class Kind { found, not_found, method_not_allowed };
    Kind kind = Kind::not_found;
    const Handler* handler = nullptr;  // when found; owned by the Router
    std::string route_tail;            // when found by a prefix pattern
    std::string allow;                 // when method_not_allowed: "GET, POST"
  };
  [[nodiscard]] Match match(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;  // without the trailing '*' for prefixes
    bool prefix = false;
    Handler handler;
  };
  std::vector<Route> routes_;  // kept most specific first
};

}  // namespace atlas::http
