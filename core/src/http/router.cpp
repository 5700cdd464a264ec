#include "atlas/http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace atlas::http {
namespace {

bool matches(std::string_view pattern, bool prefix, std::string_view path) {
  if (!prefix) return path == pattern;
  return path.size() > pattern.size() && path.substr(0, pattern.size()) == pattern;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (method.empty()) throw std::invalid_argument("route method is empty: use e.g. \"GET\"");
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern '" + pattern + "' must start with '/'");
  }
  const auto star = pattern.find('*');
  const bool prefix = star != std::string::npos;
  if (prefix && star != pattern.size() - 1) {
    throw std::invalid_argument("route pattern '" + pattern + "': '*' is only allowed at the end");
  }
  if (!handler) throw std::invalid_argument("route " + method + " " + pattern + " has no handler");
  if (prefix) pattern.pop_back();
  for (const auto& route : routes_) {
    if (route.method == method && route.pattern == pattern && route.prefix == prefix) {
      throw std::invalid_argument("route " + method + " " + pattern + (prefix ? "*" : "") +
                                  " is registered twice");
    }
  }
  routes_.push_back(Route{std::move(method), std::move(pattern), prefix, std::move(handler)});
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    if (a.prefix != b.prefix) return !a.prefix;  // exact first
    return a.pattern.size() > b.pattern.size();  // then longest prefix
  });
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  std::vector<std::string_view> allowed;
  for (const auto& route : routes_) {
    if (!matches(route.pattern, route.prefix, path)) continue;
    if (route.method == method) {
      result.kind = Match::Kind::found;
      result.handler = &route.handler;
      if (route.prefix) result.route_tail = std::string(path.substr(route.pattern.size()));
      return result;
    }
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
      allowed.push_back(route.method);
    }
  }
  if (!allowed.empty()) {
    result.kind = Match::Kind::method_not_allowed;
    std::sort(allowed.begin(), allowed.end());
    for (const auto method_name : allowed) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += method_name;
    }
  }
  return result;
}

}  // namespace atlas::http
