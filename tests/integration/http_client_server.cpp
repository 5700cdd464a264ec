// atlas::http::Client against atlas::http::Server on loopback: limits,
// time-outs, error kinds, connection reuse and shutdown. No broker, no
// database; every time-out is short so the file runs in a few seconds.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// GCC 12 -Wnull-dereference false positive inside Asio 1.74 (see core/src/http/boost_includes.hpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
#include <nlohmann/json.hpp>

#include "atlas/http/client.hpp"
#include "atlas/http/server.hpp"
#include "http_raw_socket.hpp"

using namespace std::chrono_literals;
using atlas::http::Client;
using atlas::http::ClientOptions;
using atlas::http::ClientRequest;
using atlas::http::ClientResponse;
using atlas::http::ErrorKind;
using atlas::http::Responder;
using atlas::http::Server;
using atlas::http::ServerOptions;
using atlas::http::ServerRequest;
using atlas::test::RawConnection;

namespace {

using Clock = std::chrono::steady_clock;

// Answers later from another thread, like a Kafka delivery report would.
// Declare it after the Server so it is destroyed first: pending answers are
// then dropped (their Responders send 500 to connections that still exist).
class Delayer {
 public:
  Delayer() : guard_(boost::asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}
  ~Delayer() {
    guard_.reset();
    ioc_.stop();
    thread_.join();
  }
  Delayer(const Delayer&) = delete;
  Delayer& operator=(const Delayer&) = delete;

  template <typename Fn>
  void after(std::chrono::milliseconds delay, Fn fn) {
    auto timer = std::make_shared<boost::asio::steady_timer>(ioc_, delay);
    timer->async_wait([timer, fn = std::move(fn)](boost::system::error_code ec) mutable {
      if (!ec) fn();
    });
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

ServerOptions test_options() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.limits.read_timeout = 2s;
  options.limits.idle_timeout = 5s;
  options.limits.handler_timeout = 5s;
  options.drain_timeout = 2s;
  return options;
}

std::string base_url(const Server& server) {
  return "http://127.0.0.1:" + std::to_string(server.port());
}

std::future<ClientResponse> send_get(Client& client, const std::string& url,
                                     std::chrono::milliseconds timeout = 5s) {
  ClientRequest request;
  request.url = url;
  request.timeout = timeout;
  return client.send(std::move(request));
}

ClientResponse get(Client& client, const std::string& url, std::chrono::milliseconds timeout = 5s) {
  return send_get(client, url, timeout).get();
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit = 5s) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return condition();
}

nlohmann::json error_body(const ClientResponse& response) {
  return nlohmann::json::parse(response.body, nullptr, false);
}

void add_fast_route(Server& server) {
  server.add_route("GET", "/fast", [](const ServerRequest&, Responder respond) {
    respond(atlas::http::text_response(200, "fast"));
  });
}

}  // namespace

TEST_CASE("http: JSON round trip from Client to Server and back") {
  Server server(test_options());
  server.add_route("POST", "/v1/echo/*", [](const ServerRequest& request, Responder respond) {
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded()) return respond(atlas::http::error_response(400, "body is not JSON"));
    auto response = atlas::http::json_response(
        200, {{"got", body},
              {"tail", request.route_tail},
              {"path", request.path},
              {"query", request.query},
              {"peer", request.peer_address},
              {"trace", request.header("X-TRACE-ID").value_or("")}});
    response.headers.emplace_back("X-Request-Id", "r-1");
    respond(std::move(response));
  });
  server.start();

  Client client;
  ClientRequest request;
  request.method = "POST";
  request.url = base_url(server) + "/v1/echo/job-7?verbose=1";
  request.headers = {{"Content-Type", "application/json"}, {"x-trace-id", "t-42"}};
  request.body = R"({"query": "Design a minimal CI pipeline", "top_k": 15})";
  const auto response = client.send(std::move(request)).get();

  REQUIRE(response.error == ErrorKind::none);
  CHECK(response.status == 200);
  CHECK(response.header("content-type") == "application/json");
  CHECK(response.header("X-Request-Id") == "r-1");
  CHECK(response.header("server") == "atlas");
  const auto json = nlohmann::json::parse(response.body);
  CHECK(json["got"]["top_k"] == 15);
  CHECK(json["got"]["query"] == "Design a minimal CI pipeline");
  CHECK(json["tail"] == "job-7");
  CHECK(json["path"] == "/v1/echo/job-7");
  CHECK(json["query"] == "verbose=1");
  CHECK(json["peer"] == "127.0.0.1");
  CHECK(json["trace"] == "t-42");
  CHECK(response.elapsed < 5s);

  ClientRequest bad;
  bad.method = "POST";
  bad.url = base_url(server) + "/v1/echo/x";
  bad.body = "{not json";
  const auto rejected = client.send(std::move(bad)).get();
  CHECK(rejected.status == 400);
  CHECK(error_body(rejected)["error"] == "body is not JSON");
}

TEST_CASE("http: 1000 concurrent requests on one client thread reuse a bounded set of connections") {
  constexpr int kRequests = 1000;
  constexpr long kMaxConnections = 16;
  Server server(test_options());
  std::atomic<int> in_handler{0};
  std::atomic<int> most_in_handler{0};
  Delayer delayer;
  server.add_route("GET", "/work", [&](const ServerRequest& request, Responder respond) {
    const int now = ++in_handler;
    int seen = most_in_handler.load();
    while (now > seen && !most_in_handler.compare_exchange_weak(seen, now)) {
    }
    delayer.after(3ms, [&in_handler, id = request.query, respond = std::move(respond)]() mutable {
      --in_handler;
      respond(atlas::http::text_response(200, id));
    });
  });
  server.start();

  ClientOptions options;
  options.max_host_connections = kMaxConnections;
  Client client(options);
  std::mutex mutex;
  std::condition_variable all_done;
  std::vector<ClientResponse> responses;
  const auto started = Clock::now();
  for (int i = 0; i < kRequests; ++i) {
    ClientRequest request;
    request.url = base_url(server) + "/work?" + std::to_string(i);
    request.timeout = 30s;
    client.send(std::move(request), [&](ClientResponse response) {
      std::lock_guard lock(mutex);
      responses.push_back(std::move(response));
      if (responses.size() == kRequests) all_done.notify_one();
    });
  }
  CHECK(client.in_flight() > 0);
  {
    std::unique_lock lock(mutex);
    REQUIRE(all_done.wait_for(lock, 60s, [&] { return responses.size() == kRequests; }));
  }
  MESSAGE("1000 requests took " << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()
                                << " ms over " << server.stats().connections_accepted << " connections");

  std::set<std::string> ids;
  int ok = 0;
  for (const auto& response : responses) {
    if (response.error == ErrorKind::none && response.status == 200) ++ok;
    ids.insert(response.body);
  }
  CHECK(ok == kRequests);
  CHECK(ids.size() == static_cast<std::size_t>(kRequests));
  CHECK(ids.count("0") == 1);
  CHECK(ids.count("999") == 1);
  const auto stats = server.stats();
  CHECK(stats.requests == static_cast<std::uint64_t>(kRequests));
  CHECK(stats.connections_accepted >= 1);
  CHECK(stats.connections_accepted <= static_cast<std::uint64_t>(kMaxConnections));
  CHECK(most_in_handler.load() > 1);  // requests really were in flight together
  CHECK(wait_until([&] { return client.in_flight() == 0; }));
}

TEST_CASE("http client: a per-request timeout fires while other requests succeed") {
  Server server(test_options());
  Delayer delayer;
  server.add_route("GET", "/slow", [&](const ServerRequest&, Responder respond) {
    delayer.after(1500ms, [respond = std::move(respond)]() mutable {
      respond(atlas::http::text_response(200, "slow"));
    });
  });
  add_fast_route(server);
  server.start();

  Client client;
  auto slow_future = send_get(client, base_url(server) + "/slow", 200ms);
  std::vector<std::future<ClientResponse>> fast;
  for (int i = 0; i < 5; ++i) fast.push_back(send_get(client, base_url(server) + "/fast"));
  for (auto& future : fast) {
    const auto response = future.get();
    CHECK(response.error == ErrorKind::none);
    CHECK(response.status == 200);
    CHECK(response.body == "fast");
  }
  const auto timed_out = slow_future.get();
  CHECK(timed_out.error == ErrorKind::timeout);
  CHECK(timed_out.status == 0);
  CHECK(timed_out.body.empty());
  CHECK(timed_out.elapsed >= 150ms);
  CHECK(timed_out.elapsed < 1400ms);
  CHECK(timed_out.error_message.find("/slow") != std::string::npos);
}

TEST_CASE("http client: time waiting for a free connection counts against the timeout") {
  Server server(test_options());
  Delayer delayer;
  server.add_route("GET", "/slow", [&](const ServerRequest&, Responder respond) {
    delayer.after(1500ms, [respond = std::move(respond)]() mutable {
      respond(atlas::http::text_response(200, "slow"));
    });
  });
  add_fast_route(server);
  server.start();

  ClientOptions options;
  options.max_host_connections = 1;
  Client client(options);
  auto slow_future = send_get(client, base_url(server) + "/slow");
  REQUIRE(wait_until([&] { return server.stats().requests == 1; }));

  const auto response = get(client, base_url(server) + "/fast", 200ms);
  CHECK(response.error == ErrorKind::timeout);
  CHECK(response.elapsed < 1400ms);  // did not wait for the slow request's connection
  CHECK(slow_future.get().status == 200);
}

TEST_CASE("http client: a response larger than max_response_bytes fails with too_large") {
  Server server(test_options());
  server.add_route("GET", "/big", [](const ServerRequest&, Responder respond) {
    respond(atlas::http::text_response(200, std::string(100'000, 'x')));
  });
  server.start();
  Client client;

  SUBCASE("declared by Content-Length") {
    ClientRequest request;
    request.url = base_url(server) + "/big";
    request.max_response_bytes = 10'000;
    const auto response = client.send(std::move(request)).get();
    CHECK(response.error == ErrorKind::too_large);
    CHECK(response.status == 0);
    CHECK(response.body.empty());
    CHECK(response.error_message.find("max_response_bytes") != std::string::npos);

    ClientRequest fits;
    fits.url = base_url(server) + "/big";
    fits.max_response_bytes = 100'000;
    const auto whole = client.send(std::move(fits)).get();
    CHECK(whole.error == ErrorKind::none);
    CHECK(whole.body.size() == 100'000);
  }

  SUBCASE("chunked, with no length announced") {
    atlas::test::ScriptedServer chunked([](const std::string&) {
      std::string reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (int i = 0; i < 20; ++i) reply += "3e8\r\n" + std::string(1000, 'y') + "\r\n";
      return reply + "0\r\n\r\n";
    });
    ClientRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(chunked.port()) + "/stream";
    request.max_response_bytes = 5'000;
    const auto response = client.send(std::move(request)).get();
    CHECK(response.error == ErrorKind::too_large);
    CHECK(response.body.empty());

    ClientRequest fits;
    fits.url = "http://127.0.0.1:" + std::to_string(chunked.port()) + "/stream";
    fits.max_response_bytes = 20'000;
    const auto whole = client.send(std::move(fits)).get();
    CHECK(whole.error == ErrorKind::none);
    CHECK(whole.body.size() == 20'000);
  }
}

TEST_CASE("http client: connection refused is a connect error that leaks no credentials") {
  const auto port = atlas::test::unused_loopback_port();
  Client client;
  ClientRequest request;
  request.method = "POST";
  request.url = "http://user:hunter2-pw@127.0.0.1:" + std::to_string(port) + "/v1/chat?key=query-secret";
  request.headers = {{"Authorization", "Bearer sk-live-secret-token"}};
  request.body = "{}";
  const auto response = client.send(std::move(request)).get();
  CHECK(response.error == ErrorKind::connect);
  CHECK(response.status == 0);
  CHECK(response.error_message.find("127.0.0.1") != std::string::npos);
  CHECK(response.error_message.find("POST") != std::string::npos);
  CHECK(response.error_message.find("sk-live-secret-token") == std::string::npos);
  CHECK(response.error_message.find("hunter2-pw") == std::string::npos);
  CHECK(response.error_message.find("query-secret") == std::string::npos);
}

TEST_CASE("http client: header injection is refused before anything is sent") {
  atlas::test::ScriptedServer never([](const std::string&) { return std::string(); });
  Client client;
  ClientRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(never.port()) + "/";
  request.headers = {{"X-Test", "a\r\nX-Injected: yes"}};
  auto response = client.send(request).get();
  CHECK(response.error == ErrorKind::other);
  CHECK(response.error_message.find("invalid request header") != std::string::npos);

  request.headers.clear();
  request.method = "GET /evil";
  response = client.send(request).get();
  CHECK(response.error == ErrorKind::other);
}

TEST_CASE("http server: an oversized body is answered 413 and never reaches the handler") {
  auto options = test_options();
  options.limits.max_body_bytes = 1024;
  Server server(options);
  std::atomic<int> handled{0};
  server.add_route("POST", "/ingest", [&](const ServerRequest& request, Responder respond) {
    ++handled;
    respond(atlas::http::text_response(200, std::to_string(request.body.size())));
  });
  server.start();
  Client client;

  ClientRequest big;
  big.method = "POST";
  big.url = base_url(server) + "/ingest";
  big.body = std::string(1'000'000, 'b');
  const auto rejected = client.send(big).get();
  CHECK(rejected.error == ErrorKind::none);
  CHECK(rejected.status == 413);
  CHECK(error_body(rejected)["error"] == "request body exceeds 1024 bytes");

  // Chunked bodies are limited as they arrive.
  RawConnection raw(server.port());
  raw.send("POST /ingest HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
           "7d0\r\n" + std::string(2000, 'c') + "\r\n0\r\n\r\n");
  const auto raw_reply = raw.read_response(3s);
  CHECK(raw_reply.rfind("HTTP/1.1 413", 0) == 0);

  ClientRequest small = big;
  small.body = std::string(1024, 's');
  const auto accepted = client.send(small).get();
  CHECK(accepted.status == 200);
  CHECK(accepted.body == "1024");
  CHECK(handled.load() == 1);
}

TEST_CASE("http server: headers over the size or count limit are answered 431") {
  auto options = test_options();
  options.limits.max_header_bytes = 4096;
  options.limits.max_header_count = 20;
  Server server(options);
  std::atomic<int> handled{0};
  server.add_route("GET", "/h", [&](const ServerRequest&, Responder respond) {
    ++handled;
    respond(atlas::http::text_response(200, "ok"));
  });
  server.start();
  Client client;

  ClientRequest large;
  large.url = base_url(server) + "/h";
  large.headers = {{"X-Large", std::string(8000, 'h')}};
  const auto too_large = client.send(large).get();
  CHECK(too_large.status == 431);
  CHECK(error_body(too_large)["error"] == "request headers exceed 4096 bytes");

  ClientRequest many;
  many.url = base_url(server) + "/h";
  for (int i = 0; i < 30; ++i) many.headers.emplace_back("X-H" + std::to_string(i), "v");
  const auto too_many = client.send(many).get();
  CHECK(too_many.status == 431);
  CHECK(error_body(too_many)["error"] == "too many header fields: at most 20 are accepted");

  CHECK(handled.load() == 0);
  CHECK(get(client, base_url(server) + "/h").status == 200);
}

TEST_CASE("http server: unknown path is 404, wrong method 405 with Allow") {
  Server server(test_options());
  server.add_route("POST", "/v1/query_chat", [](const ServerRequest&, Responder respond) {
    respond(atlas::http::json_response(200, nlohmann::json::array()));
  });
  server.add_route("PUT", "/v1/query_chat", [](const ServerRequest&, Responder respond) {
    respond(atlas::http::json_response(200, nlohmann::json::array()));
  });
  server.start();
  Client client;

  const auto missing = get(client, base_url(server) + "/nope");
  CHECK(missing.status == 404);
  CHECK(error_body(missing)["error"] == "not found");
  CHECK(missing.header("content-type") == "application/json");

  const auto wrong = get(client, base_url(server) + "/v1/query_chat");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "POST, PUT");
  CHECK(error_body(wrong).contains("error"));
}

TEST_CASE("http server: a client that stalls mid-headers is disconnected after the read timeout") {
  auto options = test_options();
  options.limits.read_timeout = 300ms;
  Server server(options);
  add_fast_route(server);
  server.start();

  RawConnection slow(server.port());
  const auto started = Clock::now();
  slow.send("GET /fast HTTP/1.1\r\nHost: test\r\nX-Partial: ");
  const bool closed = slow.wait_closed(3s);
  const auto waited = Clock::now() - started;
  CHECK(closed);
  CHECK(waited >= 250ms);
  CHECK(waited < 2s);

  // A client that connects and sends nothing at all gets the same deadline.
  RawConnection silent(server.port());
  CHECK(silent.wait_closed(3s));

  Client client;
  CHECK(get(client, base_url(server) + "/fast").status == 200);
}

TEST_CASE("http server: a malformed request is 400 and the server keeps serving") {
  Server server(test_options());
  add_fast_route(server);
  server.start();

  for (const std::string& junk : {std::string("NOT A VALID REQUEST\r\n\r\n"),
                                 std::string("GET /fast HTTP/9.9.9\r\n\r\n"),
                                 std::string("\x01\x02\x03\xff garbage\r\n\r\n"),
                                 std::string("GET /fast HTTP/1.1\r\nBad Header Line\r\n\r\n")}) {
    CAPTURE(junk);
    RawConnection raw(server.port());
    raw.send(junk);
    const auto reply = raw.read_until_close(3s);
    CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(reply.find("\"error\"") != std::string::npos);
  }
  Client client;
  CHECK(get(client, base_url(server) + "/fast").status == 200);
}

TEST_CASE("http server: dropped Responder is 500, thrown handler is 500, silent handler 504") {
  auto options = test_options();
  options.limits.handler_timeout = 200ms;
  Server server(options);
  std::mutex mutex;
  std::vector<Responder> parked;
  server.add_route("GET", "/drop", [](const ServerRequest&, Responder) {});
  server.add_route("GET", "/throw", [](const ServerRequest&, Responder) {
    throw std::runtime_error("handler bug");
  });
  server.add_route("GET", "/park", [&](const ServerRequest&, Responder respond) {
    std::lock_guard lock(mutex);
    parked.push_back(std::move(respond));
  });
  add_fast_route(server);
  server.start();
  Client client;

  const auto dropped = get(client, base_url(server) + "/drop");
  CHECK(dropped.status == 500);
  CHECK(error_body(dropped).contains("error"));
  CHECK(get(client, base_url(server) + "/throw").status == 500);

  const auto started = Clock::now();
  const auto silent = get(client, base_url(server) + "/park");
  CHECK(silent.status == 504);
  CHECK(Clock::now() - started >= 150ms);
  CHECK(error_body(silent)["error"] == "the handler did not answer within 200 ms");

  // The late answer is dropped; the connection keeps working.
  {
    std::lock_guard lock(mutex);
    REQUIRE(parked.size() == 1);
    parked[0].send(atlas::http::text_response(200, "too late"));
  }
  const auto next = get(client, base_url(server) + "/fast");
  CHECK(next.status == 200);
  CHECK(next.body == "fast");
}

TEST_CASE("http server: Responder::post runs work on the connection's thread, and refuses once the server stopped") {
  auto options = test_options();
  options.drain_timeout = 200ms;
  Server server(options);
  std::mutex mutex;
  std::condition_variable parked_cv;
  std::optional<Responder> parked;
  std::thread::id handler_thread;
  server.add_route("GET", "/later", [&](const ServerRequest&, Responder respond) {
    std::lock_guard lock(mutex);
    handler_thread = std::this_thread::get_id();
    parked.emplace(std::move(respond));
    parked_cv.notify_all();
  });
  server.start();
  Client client;
  auto answer = send_get(client, base_url(server) + "/later");

  std::promise<std::thread::id> ran_on;
  {
    std::unique_lock lock(mutex);
    REQUIRE(parked_cv.wait_for(lock, 5s, [&] { return parked.has_value(); }));
  }
  // From another thread, as a Kafka delivery report arrives: the work runs on
  // the thread that called the handler, and answers from there.
  std::thread([&] {
    std::lock_guard lock(mutex);
    std::function<void()> work = [&] {
      ran_on.set_value(std::this_thread::get_id());
      std::lock_guard inner(mutex);
      parked->send(atlas::http::text_response(200, "done"));
    };
    CHECK(parked->post(work));
    CHECK_FALSE(work);  // moved into the queue
  }).join();
  auto ran = ran_on.get_future();
  REQUIRE(ran.wait_for(5s) == std::future_status::ready);
  CHECK(ran.get() == handler_thread);
  const auto response = answer.get();
  CHECK(response.status == 200);
  CHECK(response.body == "done");

  // A request still waiting when the server stops: nobody would run the
  // work, so post() refuses and the caller keeps it.
  {
    std::lock_guard lock(mutex);
    parked.reset();
  }
  auto unanswered = send_get(client, base_url(server) + "/later");
  {
    std::unique_lock lock(mutex);
    REQUIRE(parked_cv.wait_for(lock, 5s, [&] { return parked.has_value(); }));
  }
  server.stop();  // cuts the parked request off after the drain time-out
  std::function<void()> late = [] {};
  CHECK_FALSE(parked->post(late));
  CHECK(late);
  CHECK(unanswered.get().status != 200);
}

TEST_CASE("http server: connections beyond max_connections get 503") {
  auto options = test_options();
  options.limits.max_connections = 2;
  Server server(options);
  add_fast_route(server);
  server.start();

  RawConnection first(server.port());
  RawConnection second(server.port());
  REQUIRE(wait_until([&] { return server.stats().connections_open == 2; }));
  RawConnection third(server.port());
  third.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n");
  const auto reply = third.read_response(3s);
  CHECK(reply.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(reply.find("Retry-After: 1") != std::string::npos);
  CHECK(third.wait_closed(3s));
  CHECK(server.stats().connections_rejected == 1);

  first.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(first.read_response(3s).rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("http server: Expect 100-continue gets an interim response, then the answer") {
  Server server(test_options());
  server.add_route("POST", "/upload", [](const ServerRequest& request, Responder respond) {
    respond(atlas::http::text_response(200, request.body));
  });
  server.start();
  RawConnection raw(server.port());
  raw.send("POST /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  CHECK(raw.read_response(3s).rfind("HTTP/1.1 100 Continue", 0) == 0);
  raw.send("hello");
  const auto reply = raw.read_response(3s);
  CHECK(reply.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(reply.substr(reply.size() - 5) == "hello");
}

TEST_CASE("http server: stop closes idle keep-alive connections and stops accepting") {
  auto options = test_options();
  options.limits.idle_timeout = 30s;
  options.drain_timeout = 5s;
  Server server(options);
  add_fast_route(server);
  server.start();
  const auto port = server.port();

  RawConnection idle(port);
  idle.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n");
  const auto reply = idle.read_response(3s);
  REQUIRE(reply.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(reply.find("Connection: close") == std::string::npos);

  const auto started = Clock::now();
  server.stop();
  CHECK(Clock::now() - started < 2s);  // did not wait for idle_timeout or drain_timeout
  CHECK(idle.wait_closed(2s));
  CHECK_THROWS_AS(RawConnection{port}, std::runtime_error);
  server.stop();  // idempotent
}

TEST_CASE("http client: destruction completes outstanding requests with 'client shutting down'") {
  Server server(test_options());
  std::atomic<int> arrived{0};
  Delayer delayer;
  server.add_route("GET", "/hang", [&](const ServerRequest&, Responder respond) {
    ++arrived;
    delayer.after(3s, [respond = std::move(respond)]() mutable {
      respond(atlas::http::text_response(200, "late"));
    });
  });
  server.start();

  std::mutex mutex;
  std::vector<ClientResponse> completed;
  {
    Client client;
    for (int i = 0; i < 3; ++i) {
      ClientRequest request;
      request.url = base_url(server) + "/hang";
      request.timeout = 10s;
      client.send(std::move(request), [&](ClientResponse response) {
        std::lock_guard lock(mutex);
        completed.push_back(std::move(response));
      });
    }
    REQUIRE(wait_until([&] { return arrived.load() == 3; }));
  }
  std::lock_guard lock(mutex);
  REQUIRE(completed.size() == 3);
  for (const auto& response : completed) {
    CHECK(response.error == ErrorKind::other);
    CHECK(response.error_message.find("client shutting down") != std::string::npos);
  }
}
