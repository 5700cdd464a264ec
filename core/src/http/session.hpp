#pragma once
// One HTTP/1.1 connection: read a request within the limits, route it, wait
// for the handler's Responder (or the handler timeout), write the response,
// then wait for the next request on the same connection or close it. Every
// member function runs on the connection's io_context, which one thread runs.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "boost_includes.hpp"

#include "atlas/http/server_message.hpp"
#include "server_shared.hpp"

namespace atlas::http::detail {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<ServerShared> shared);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  // Posted by Server::stop(): closes the connection if it waits for a request.
  void close_if_idle();
  [[nodiscard]] boost::asio::any_io_executor executor() { return stream_.get_executor(); }
  // The handler's answer to request `sequence`, on the connection's thread.
  void on_handler_response(std::uint64_t sequence, ServerResponse response);

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  void read_request();
  void wait_for_next_request();
  void on_idle_read(boost::beast::error_code ec, std::size_t bytes);
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void read_body();
  void on_body(boost::beast::error_code ec, std::size_t bytes);
  void on_read_error(boost::beast::error_code ec);
  void dispatch();
  Responder make_responder(std::uint64_t sequence);
  void on_handler_timeout(std::uint64_t sequence, boost::beast::error_code ec);
  void reject(int status, std::string_view reason);
  void write(ServerResponse response, bool close_after);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void graceful_close();
  void drain();
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  boost::beast::http::response<boost::beast::http::empty_body> continue_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  boost::asio::steady_timer handler_timer_;
  std::array<char, 4096> drain_buffer_{};
  std::shared_ptr<ServerShared> shared_;
  std::string peer_address_;
  // The previous request's body buffer, handed to the next request's parser:
  // a body of a kilobyte or more is a large allocation for glibc, and each
  // one makes it consolidate its caches of small blocks.
  std::string spare_body_;
  std::uint64_t sequence_ = 0;  // numbers requests; stale answers are ignored
  bool awaiting_handler_ = false;
  bool idle_ = false;
  bool keep_alive_ = true;
  bool closed_ = false;
};

}  // namespace atlas::http::detail
