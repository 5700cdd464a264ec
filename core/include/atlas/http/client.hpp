#pragma once
// Asynchronous HTTP client on libcurl's multi interface.
//
// One internal thread drives every transfer (epoll and
// curl_multi_socket_action), so thousands of requests can be in flight at
// once and a wake-up costs only the sockets that are ready; connections to the same
// host are reused through the multi handle's connection cache. The client
// never retries: a failed request completes once with an ErrorKind, and the
// caller's retry policy (atlas::RetryPolicy) decides what happens next.
//
//   atlas::http::Client client;
//   client.send({.method = "POST", .url = url, .headers = {{"content-type", "application/json"}},
//                .body = payload, .timeout = std::chrono::seconds(30)},
//               [](atlas::http::ClientResponse response) { ... });  // runs on the client thread
//   auto response = client.send(request).get();                    // or wait on a future
#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "atlas/http/headers.hpp"

namespace atlas {
class Logger;
}

namespace atlas::http {

// Why a request produced no usable response. `none` means an HTTP response
// arrived (whatever its status).
enum class ErrorKind { none, timeout, connect, tls, too_large, other };
[[nodiscard]] std::string_view to_string(ErrorKind kind);

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  HeaderList headers;
  std::string body;
  // Whole-transfer deadline, time spent waiting for a free connection included.
  std::chrono::milliseconds timeout{30'000};
  // Larger responses abort with ErrorKind::too_large.
  std::size_t max_response_bytes = 16u << 20;
};

struct ClientResponse {
  int status = 0;      // 0 when no HTTP response was received
  HeaderList headers;  // names lower-cased, in arrival order (final response only)
  std::string body;
  ErrorKind error = ErrorKind::none;
  // Set when error != none: method, URL without credentials or query string,
  // and libcurl's reason. Never contains request headers.
  std::string error_message;
  std::chrono::milliseconds elapsed{0};

  [[nodiscard]] bool transport_ok() const { return error == ErrorKind::none; }
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

struct ClientOptions {
  // Parallel connections per host:port; further requests wait for a free
  // connection (their timeout keeps running). 0 means unlimited.
  long max_host_connections = 64;
  // Size of the idle-connection cache (0: libcurl's default, 4x the transfers).
  long max_cached_connections = 0;
  std::chrono::milliseconds connect_timeout{10'000};
  // HTTP/2 with multiplexing over TLS (ALPN). Off: HTTP/1.1 only.
  bool http2 = false;
  std::string user_agent = "atlas/0.1";
  // Optional; receives warnings (a completion callback that threw). Not owned.
  Logger* logger = nullptr;
};

class Client {
 public:
  using Callback = std::function<void(ClientResponse)>;

  explicit Client(ClientOptions options = {});
  // Stops accepting requests, completes every outstanding one with
  // ErrorKind::other and "client shutting down", and joins the thread.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Queues the request; `on_done` runs exactly once, on the client thread
  // (or on the caller's thread if the client is already shutting down). It
  // must not block: every other transfer waits while it runs. Hand slow work
  // to another executor. It may call send() again; it must not destroy the
  // Client. Status, headers and body are set only when error == none.
  void send(ClientRequest request, Callback on_done);
  [[nodiscard]] std::future<ClientResponse> send(ClientRequest request);

  // Requests queued or in flight (for metrics and tests).
  [[nodiscard]] std::size_t in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace atlas::http
