#pragma once
// HTTP/1.1 server on Boost.Beast (the shape of Beast's "advanced server"):
// one io_context per I/O thread, an acceptor dealing connections out in turn, one session per connection
// with keep-alive, and explicit limits on everything a client controls.
//
//   atlas::http::Server server({.host = "0.0.0.0", .port = 8080}, &logger);
//   server.add_route("POST", "/slack/events", handle_slack);
//   server.add_route("GET", "/v1/jobs/*", handle_job);  // prefix route
//   server.start();           // returns; I/O runs on server threads
//   ...                       // until SIGTERM
//   server.stop();            // stop accepting, close idle connections, drain
//
// Errors the server answers itself carry {"error": "..."}: 400 malformed
// request, 404 unknown path, 405 wrong method (with Allow), 413 body too
// large, 431 headers too large or too many, 500 handler dropped its
// Responder or threw, 503 connection limit reached, 504 handler too slow.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "atlas/http/responder.hpp"
#include "atlas/http/router.hpp"
#include "atlas/http/server_message.hpp"

namespace atlas {
class Logger;
}

namespace atlas::http {

struct ServerLimits {
  std::size_t max_body_bytes = 1u << 20;        // larger bodies: 413, not read
  std::size_t max_header_bytes = 16u << 10;     // request line + headers: 431
  std::size_t max_header_count = 100;           // more header fields: 431
  // From the first byte of a request to its last; slower clients are
  // disconnected (slowloris). A new connection has this long to send a request.
  std::chrono::milliseconds read_timeout{10'000};
  // How long a keep-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  // Writing a response; a client that does not read is disconnected.
  std::chrono::milliseconds write_timeout{10'000};
  // Open connections; beyond it a new connection gets 503 and is closed.
  std::size_t max_connections = 10'000;
  // A handler that has not answered by then gets 504 sent on its behalf; its
  // later answer is dropped.
  std::chrono::milliseconds handler_timeout{30'000};
};

struct ServerOptions {
  std::string host = "0.0.0.0";  // IP literal or a resolvable name
  std::uint16_t port = 0;        // 0: an ephemeral port, see Server::port()
  int threads = 2;               // I/O threads
  ServerLimits limits;
  // stop() waits this long for in-flight requests before cutting them off.
  std::chrono::milliseconds drain_timeout{5'000};
  std::string name = "atlas";  // Server header
};

struct ServerStats {
  std::uint64_t connections_accepted = 0;  // served (rejected ones not included)
  std::uint64_t connections_rejected = 0;  // over max_connections
  std::uint64_t connections_open = 0;
  std::uint64_t requests = 0;  // requests read completely (routed or not)
};

namespace detail {
struct ServerShared;
class Listener;
}  // namespace detail

class Server {
 public:
  // Binds and listens at once, so port() is known and a busy port fails here:
  // throws std::runtime_error naming the address.
  explicit Server(ServerOptions options, Logger* logger = nullptr);
  // stop(), then releases the sockets. Responders still held elsewhere become
  // no-ops.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Before start() only (std::logic_error afterwards). See router.hpp for
  // patterns and what a Handler may do.
  void add_route(std::string method, std::string pattern, Handler handler);

  // Starts accepting and runs the I/O threads; returns at once.
  void start();
  // Stops accepting, closes idle keep-alive connections, lets requests in
  // progress finish for up to drain_timeout, then stops the threads. Blocks;
  // idempotent; must not be called from a handler.
  void stop();

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] ServerStats stats() const;

 private:
  struct Runtime;
  ServerOptions options_;
  std::shared_ptr<detail::ServerShared> shared_;
  std::unique_ptr<Runtime> runtime_;  // io_context, acceptor, threads
  std::uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace atlas::http
