#pragma once
// atlas-fake: the HTTP side. One atlas::http::Server serves the emulated
// endpoints (a catch-all route that dispatches by method and path, so every
// request is recorded and scriptable) and the /_fake/ control API (never
// recorded or scripted). Delays are Boost.Asio steady_timers on one timer
// thread: a delayed request holds a timer and its Responder, never a thread,
// so thousands can wait at once.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

// Asio 1.74's scheduler trips GCC 12's -Wnull-dereference at -O2 inside a
// system header (see core/src/http/boost_includes.hpp); silence it for exactly
// these headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop

#include "atlas/http/server.hpp"
#include "atlas/log.hpp"
#include "llm.hpp"
#include "rules.hpp"
#include "services.hpp"
#include "state.hpp"

namespace atlas::fake {

struct FakeOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int threads = 2;              // server I/O threads
  std::int64_t delay_ms = 0;    // default delay of every emulated answer
  std::size_t max_calls = 100'000;  // recorded calls kept for /_fake/calls
};

// "Close the connection without a response", which atlas::http::Server has
// no call for (a handler can only answer through its Responder). The reply
// carries a 512 KiB header: Boost.Beast refuses field values over 64 KiB and
// throws while the server prepares the write, the server's last-resort
// handler logs "http server thread caught", and the session ends, closing the
// socket with nothing written. Should Beast ever accept it, no client takes a
// 512 KiB response header either (libcurl stops at 100 KiB), so the request
// still fails without a status. See docs/testing-fakes.md.
inline constexpr std::size_t kCloseHeaderBytes = 512u << 10;

inline Reply close_reply() {
  Reply reply;
  reply.status = 502;
  reply.headers.emplace_back("x-atlas-fake-close", std::string(kCloseHeaderBytes, 'x'));
  reply.body = {{"error", "atlas-fake: connection closed (close action or down switch)"}};
  return reply;
}

inline Reply down_reply(const std::string& path) {
  Reply reply;
  reply.status = 503;
  reply.body = {{"error", "service unavailable: " + path + " is switched down (atlas-fake)"}};
  return reply;
}

inline http::ServerResponse control_error(int status, const std::string& reason) {
  return http::error_response(status, reason);
}

class FakeApp {
 public:
  FakeApp(FakeOptions options, Logger& logger)
      : options_(std::move(options)),
        logger_(logger),
        state_(options_.max_calls),
        timers_(1),
        timer_work_(boost::asio::make_work_guard(timers_)),
        server_(server_options(options_), &logger) {
    add_control_routes();
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      server_.add_route(method, "/*", [this](const http::ServerRequest& r, http::Responder s) {
        handle(r, std::move(s));
      });
    }
  }

  ~FakeApp() { stop(); }
  FakeApp(const FakeApp&) = delete;
  FakeApp& operator=(const FakeApp&) = delete;

  void start() {
    timer_thread_ = std::thread([this] { timers_.run(); });
    server_.start();
  }

  // Answers hung requests 503, lets delayed ones finish (up to the server's
  // drain timeout), then stops the timer thread. Idempotent.
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& responder : state_.release_hung(/*stopping=*/true)) {
      responder.send(http::error_response(503, "atlas-fake is shutting down"));
    }
    server_.stop();
    timer_work_.reset();
    timers_.stop();
    if (timer_thread_.joinable()) timer_thread_.join();
  }

  [[nodiscard]] std::uint16_t port() const { return server_.port(); }

 private:
  static http::ServerOptions server_options(const FakeOptions& o) {
    http::ServerOptions s;
    s.host = o.host;
    s.port = o.port;
    s.threads = o.threads;
    s.name = "atlas-fake";
    s.limits.max_body_bytes = 4u << 20;
    s.limits.handler_timeout = std::chrono::minutes(10);
    s.limits.max_connections = 20'000;
    s.drain_timeout = std::chrono::seconds(3);
    return s;
  }

  // --- emulated endpoints ------------------------------------------------------

  void handle(const http::ServerRequest& request, http::Responder responder) {
    const auto body = parse_json_body(request.body);
    const auto model = body_model(body);
    const Decision decision = state_.decide(request, model);

    Reply reply;
    bool closing = false;
    switch (decision.kind) {
      case Decision::Kind::hang:
        if (auto refused = state_.park(decision.seq, std::move(responder))) {
          refused->send(http::error_response(503, "atlas-fake is shutting down"));
        }
        log_call(request, model, decision.seq, 0, "hang");
        return;
      case Decision::Kind::down_503: reply = down_reply(request.path); break;
      case Decision::Kind::close:
        reply = close_reply();
        closing = true;
        break;
      case Decision::Kind::scripted: reply = scripted_reply(*decision.rule, model); break;
      case Decision::Kind::normal: reply = emulate(request, body, decision.seq); break;
    }
    const int recorded_status = closing ? 0 : reply.status;
    state_.finish(decision.seq, recorded_status, reply.tokens, reply.token_model);
    log_call(request, model, decision.seq, recorded_status, closing ? "close" : "answer");
    answer(std::move(responder), std::move(reply), decision.delay_ms.value_or(options_.delay_ms));
  }

  // The normal behaviour of each emulated endpoint.
  Reply emulate(const http::ServerRequest& request, const std::optional<json>& body,
                std::uint64_t seq) {
    const std::string& path = request.path;
    const std::string& method = request.method;
    const auto n = static_cast<std::int64_t>(seq);
    if (method == "POST") {
      if (path == "/v1/chat/completions") return openai_chat(request, body, seq);
      if (path == "/v1/responses") return openai_responses(request, body, seq);
      if (path == "/v1/messages") return anthropic_messages(request, body, seq);
      if (path == "/v1/query_chat") return rag_query(body, *state_.corpus());
      if (path == "/v1/embed_batch") return rag_embed_batch();
      if (path == "/api/chat.postMessage") {
        return slack_post_message(request, body, std::to_string(slack_epoch_ + n) + ".000100");
      }
      if (path == "/api/auth.test") return slack_auth_test(request);
      if (starts_with(path, "/slack/response/")) return slack_response_url();
      if (starts_with(path, "/repos/")) {
        return github_issue_comment(request, std::string_view(path).substr(7), body, n);
      }
      if (starts_with(path, "/app/installations/")) {
        return github_installation_token(request, std::string_view(path).substr(19), n);
      }
    }
    if (method == "GET" && path == "/v1/models") return list_models(request);
    if (method == "GET" && starts_with(path, "/v1/jobs/") && path.size() > 9) {
      return rag_job(std::string_view(path).substr(9));
    }
    Reply reply;
    reply.status = 404;
    reply.body = {{"error", "not found"},
                  {"detail", "atlas-fake emulates no " + method + " " + path +
                                 " (see docs/testing-fakes.md)"}};
    return reply;
  }

  // Sends `reply` now, or after `delay_ms` from a timer.
  void answer(http::Responder responder, Reply reply, std::int64_t delay_ms) {
    if (delay_ms <= 0) {
      responder.send(to_server_response(std::move(reply)));
      return;
    }
    state_.enter_inflight();
    auto timer = std::make_shared<boost::asio::steady_timer>(timers_,
                                                             std::chrono::milliseconds(delay_ms));
    // The handler owns the timer (keeping it alive while it waits) and the
    // Responder; a timer cancelled at shutdown still answers.
    timer->async_wait([this, timer, responder = std::move(responder),
                       reply = std::move(reply)](const boost::system::error_code&) mutable {
      responder.send(to_server_response(std::move(reply)));
      state_.leave_inflight();
    });
  }

  void log_call(const http::ServerRequest& request, const std::optional<std::string>& model,
                std::uint64_t seq, int status, const char* outcome) {
    if (!logger_.enabled(LogLevel::debug)) return;
    logger_.debug("request", {{"seq", seq},
                              {"method", request.method},
                              {"path", request.path},
                              {"model", model ? json(*model) : json(nullptr)},
                              {"status", status},
                              {"outcome", outcome}});
  }

  // --- control API -------------------------------------------------------------

  void add_control_routes() {
    using http::Responder;
    using http::ServerRequest;
    server_.add_route("POST", "/_fake/script", [this](const ServerRequest& r, Responder s) {
      const auto body = parse_json_body(r.body);
      if (!body) return s.send(control_error(400, "body must be a JSON rule or an array of rules"));
      try {
        auto rules = parse_rules(*body);
        const std::size_t added = rules.size();
        const std::size_t pending = state_.add_rules(std::move(rules));
        logger_.info("rules added", {{"added", added}, {"pending", pending}});
        s.send(http::json_response(200, {{"ok", true}, {"added", added}, {"pending_rules", pending}}));
      } catch (const std::invalid_argument& e) {
        s.send(control_error(400, e.what()));
      }
    });
    server_.add_route("POST", "/_fake/rag", [this](const ServerRequest& r, Responder s) {
      const auto body = parse_json_body(r.body);
      if (!body) return s.send(control_error(400, "body must be a JSON array of {text, similarity, source}"));
      try {
        auto corpus = parse_corpus(*body);
        const std::size_t chunks = corpus.size();
        state_.set_corpus(std::move(corpus));
        logger_.info("rag corpus replaced", {{"chunks", chunks}});
        s.send(http::json_response(200, {{"ok", true}, {"chunks", chunks}}));
      } catch (const std::invalid_argument& e) {
        s.send(control_error(400, e.what()));
      }
    });
    server_.add_route("GET", "/_fake/rag", [this](const ServerRequest&, Responder s) {
      json out = json::array();
      for (const auto& c : *state_.corpus()) {
        out.push_back({{"text", c.text}, {"similarity", c.similarity}, {"source", c.source}});
      }
      s.send(http::json_response(200, out));
    });
    server_.add_route("POST", "/_fake/down", [this](const ServerRequest& r, Responder s) {
      const auto body = parse_json_body(r.body);
      const auto path = body ? string_field(*body, "path") : std::nullopt;
      if (!path || path->empty() || ((*path)[0] != '/' && *path != "*")) {
        return s.send(control_error(400, "body must be {\"path\": \"/v1/query_chat\", \"down\": true, "
                                         "\"mode\": \"503\"|\"close\"}"));
      }
      bool down = true;
      if (const auto it = body->find("down"); it != body->end()) {
        if (!it->is_boolean()) return s.send(control_error(400, "\"down\" must be true or false"));
        down = it->get<bool>();
      }
      const std::string mode = string_field(*body, "mode").value_or("503");
      if (mode != "503" && mode != "close") {
        return s.send(control_error(400, "\"mode\" must be \"503\" or \"close\""));
      }
      state_.set_down(*path, down, mode == "close");
      logger_.info("down switch", {{"path", *path}, {"down", down}, {"mode", mode}});
      s.send(http::json_response(200, {{"ok", true}, {"path", *path}, {"down", down}, {"mode", mode}}));
    });
    server_.add_route("POST", "/_fake/reset", [this](const ServerRequest&, Responder s) {
      // Released requests are answered outside the state's lock.
      auto hung = state_.release_hung(/*stopping=*/false);
      for (auto& responder : hung) {
        responder.send(http::error_response(503, "released by /_fake/reset (atlas-fake)"));
      }
      state_.reset();
      logger_.info("reset", {{"released", hung.size()}});
      s.send(http::json_response(200, {{"ok", true}, {"released", hung.size()}}));
    });
    server_.add_route("GET", "/_fake/calls", [this](const ServerRequest& r, Responder s) {
      s.send(http::json_response(200, state_.calls_json(query_param(r.query, "path").value_or(""),
                                                        query_param(r.query, "model").value_or(""))));
    });
    server_.add_route("GET", "/_fake/stats", [this](const ServerRequest&, Responder s) {
      s.send(http::json_response(200, state_.stats_json()));
    });
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      server_.add_route(method, "/_fake/*", [](const ServerRequest& r, Responder s) {
        s.send(control_error(404, "no control endpoint " + r.method + " " + r.path +
                                      "; see docs/testing-fakes.md"));
      });
    }
  }

  FakeOptions options_;
  Logger& logger_;
  State state_;
  // Slack message timestamps: "<epoch + seq>.000100", unique and increasing.
  const std::int64_t slack_epoch_ = unix_now();
  boost::asio::io_context timers_;  // before server_: outlives every Responder the server hands out
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> timer_work_;
  std::thread timer_thread_;
  http::Server server_;
  bool stopped_ = false;
};

}  // namespace atlas::fake
