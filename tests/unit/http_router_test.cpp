#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "atlas/http/router.hpp"

using atlas::http::Responder;
using atlas::http::Router;
using atlas::http::ServerRequest;
using Kind = Router::Match::Kind;

namespace {
// A handler that records which route ran, so matches can be told apart.
atlas::http::Handler tagged(std::string* ran, std::string tag) {
  return [ran, tag](const ServerRequest&, Responder) { *ran = tag; };
}
void call(const Router::Match& match, std::string* ran) {
  REQUIRE(match.handler != nullptr);
  ran->clear();
  (*match.handler)(ServerRequest{}, Responder{});
}
}  // namespace

TEST_CASE("http router: exact path and method select the handler") {
  std::string ran;
  Router router;
  router.add("GET", "/healthz", tagged(&ran, "health"));
  router.add("POST", "/v1/query_chat", tagged(&ran, "query"));

  auto match = router.match("POST", "/v1/query_chat");
  CHECK(match.kind == Kind::found);
  call(match, &ran);
  CHECK(ran == "query");
  CHECK(match.route_tail.empty());

  CHECK(router.match("GET", "/healthz/").kind == Kind::not_found);
  CHECK(router.match("GET", "/healthzz").kind == Kind::not_found);
  CHECK(router.match("GET", "/").kind == Kind::not_found);
}

TEST_CASE("http router: wrong method is 405 with the sorted Allow list") {
  std::string ran;
  Router router;
  router.add("POST", "/v1/jobs", tagged(&ran, "post"));
  router.add("GET", "/v1/jobs", tagged(&ran, "get"));
  const auto match = router.match("DELETE", "/v1/jobs");
  CHECK(match.kind == Kind::method_not_allowed);
  CHECK(match.handler == nullptr);
  CHECK(match.allow == "GET, POST");
  // Methods are case-sensitive tokens (RFC 9110 9.1).
  CHECK(router.match("get", "/v1/jobs").kind == Kind::method_not_allowed);
}

TEST_CASE("http router: prefix routes give the tail, exact and longer prefixes win") {
  std::string ran;
  Router router;
  router.add("GET", "/v1/jobs/*", tagged(&ran, "job"));
  router.add("GET", "/v1/*", tagged(&ran, "v1"));
  router.add("GET", "/v1/jobs/summary", tagged(&ran, "summary"));

  auto match = router.match("GET", "/v1/jobs/42");
  CHECK(match.kind == Kind::found);
  CHECK(match.route_tail == "42");
  call(match, &ran);
  CHECK(ran == "job");

  match = router.match("GET", "/v1/jobs/summary");
  call(match, &ran);
  CHECK(ran == "summary");

  match = router.match("GET", "/v1/other/x");
  CHECK(match.route_tail == "other/x");
  call(match, &ran);
  CHECK(ran == "v1");

  // The prefix itself, with nothing after it, is not matched by "/v1/jobs/*".
  match = router.match("GET", "/v1/jobs/");
  call(match, &ran);
  CHECK(ran == "v1");
  CHECK(router.match("GET", "/v2/jobs/1").kind == Kind::not_found);
}

TEST_CASE("http router: a less specific route with the method beats 405 of a more specific one") {
  std::string ran;
  Router router;
  router.add("POST", "/v1/jobs/*", tagged(&ran, "post-job"));
  router.add("GET", "/v1/*", tagged(&ran, "get-any"));
  auto match = router.match("GET", "/v1/jobs/1");
  call(match, &ran);
  CHECK(ran == "get-any");
  match = router.match("PUT", "/v1/jobs/1");
  CHECK(match.kind == Kind::method_not_allowed);
  CHECK(match.allow == "GET, POST");
}

TEST_CASE("http router: bad patterns and duplicates are rejected when added") {
  std::string ran;
  Router router;
  router.add("GET", "/a", tagged(&ran, "a"));
  CHECK_THROWS_AS(router.add("GET", "/a", tagged(&ran, "again")), std::invalid_argument);
  CHECK_THROWS_AS(router.add("GET", "a", tagged(&ran, "x")), std::invalid_argument);
  CHECK_THROWS_AS(router.add("GET", "", tagged(&ran, "x")), std::invalid_argument);
  CHECK_THROWS_AS(router.add("GET", "/a/*/b", tagged(&ran, "x")), std::invalid_argument);
  CHECK_THROWS_AS(router.add("", "/b", tagged(&ran, "x")), std::invalid_argument);
  CHECK_THROWS_AS(router.add("GET", "/b", nullptr), std::invalid_argument);
  CHECK_NOTHROW(router.add("GET", "/a/*", tagged(&ran, "prefix")));  // not a duplicate of "/a"
}
