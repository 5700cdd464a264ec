#include <doctest/doctest.h>

#include "atlas/http/client.hpp"
#include "atlas/http/headers.hpp"
#include "atlas/http/response_head.hpp"
#include "atlas/http/server_message.hpp"

using namespace atlas::http;

TEST_CASE("http headers: lookup ignores case and returns the first value") {
  const HeaderList headers = {{"Content-Type", "application/json"}, {"X-Dup", "1"}, {"x-dup", "2"}};
  CHECK(find_header(headers, "content-type") == "application/json");
  CHECK(find_header(headers, "CONTENT-TYPE") == "application/json");
  CHECK(find_header(headers, "x-DUP") == "1");
  CHECK_FALSE(find_header(headers, "content-length").has_value());
  CHECK(iequals("Retry-After", "retry-after"));
  CHECK_FALSE(iequals("Retry-After", "Retry-Afte"));

  ServerRequest request;
  request.headers = headers;
  CHECK(request.header("X-Dup") == "1");
  ClientResponse response;
  response.headers = {{"retry-after-ms", "250"}};
  CHECK(response.header("Retry-After-Ms") == "250");
}

TEST_CASE("http response head: names lower-cased, values trimmed, interim heads dropped") {
  ResponseHeadParser parser;
  parser.feed_line("HTTP/1.1 100 Continue\r\n");
  parser.feed_line("X-Interim: yes\r\n");
  parser.feed_line("\r\n");
  parser.feed_line("HTTP/1.1 429 Too Many Requests\r\n");
  parser.feed_line("Retry-After:  7 \r\n");
  parser.feed_line("X-Folded: first\r\n");
  parser.feed_line("   second\r\n");
  parser.feed_line("X-Empty:\r\n");
  parser.feed_line("garbage without colon\r\n");
  parser.feed_line(": no name\r\n");
  parser.feed_line("\r\n");
  const HeaderList expected = {{"retry-after", "7"}, {"x-folded", "first second"}, {"x-empty", ""}};
  CHECK(parser.headers() == expected);
}

TEST_CASE("http url_for_message strips credentials, query and fragment") {
  CHECK(url_for_message("https://api.openai.com/v1/chat/completions") ==
        "https://api.openai.com/v1/chat/completions");
  CHECK(url_for_message("https://user:s3cret@host:8443/path?key=abc#frag") == "https://host:8443/path");
  CHECK(url_for_message("http://token@host?x=1") == "http://host");
  CHECK(url_for_message("http://host/a@b") == "http://host/a@b");  // '@' in the path stays
  CHECK(url_for_message("not a url?secret") == "not a url");
}

TEST_CASE("http server messages: json, text and error responses") {
  auto json = json_response(201, {{"job_id", "j1"}});
  CHECK(json.status == 201);
  CHECK(json.content_type == "application/json");
  CHECK(nlohmann::json::parse(json.body) == nlohmann::json{{"job_id", "j1"}});

  auto text = text_response(200, "hello");
  CHECK(text.content_type == "text/plain; charset=utf-8");
  CHECK(text.body == "hello");

  auto error = error_response(413, "request body exceeds 10 bytes");
  CHECK(error.status == 413);
  CHECK(nlohmann::json::parse(error.body) == nlohmann::json{{"error", "request body exceeds 10 bytes"}});

  // Invalid UTF-8 from a request must not make a handler throw.
  auto odd = json_response(400, {{"echo", std::string("\xff\xfe")}});
  CHECK(odd.status == 400);
  CHECK_FALSE(odd.body.empty());
}

TEST_CASE("http client: error kinds have stable names") {
  CHECK(to_string(ErrorKind::none) == "none");
  CHECK(to_string(ErrorKind::timeout) == "timeout");
  CHECK(to_string(ErrorKind::connect) == "connect");
  CHECK(to_string(ErrorKind::tls) == "tls");
  CHECK(to_string(ErrorKind::too_large) == "too_large");
  CHECK(to_string(ErrorKind::other) == "other");
}
