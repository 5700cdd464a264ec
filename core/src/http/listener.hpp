#pragma once
// Accepts connections and starts a Session for each, or answers 503 and
// closes when the server is at max_connections. Accepts on the first
// io_context; each new connection goes to the next io_context in turn and
// stays on it (one thread each), so a connection's handlers never run
// concurrently and need no strand.
#include <cstddef>
#include <memory>
#include <vector>

#include "boost_includes.hpp"

#include "server_shared.hpp"

namespace atlas::http::detail {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `acceptor` is bound and listening, with the first of `iocs` as its
  // executor; connections are spread over `iocs` (each run by one thread).
  Listener(std::vector<boost::asio::io_context*> iocs, boost::asio::ip::tcp::acceptor acceptor,
           std::shared_ptr<ServerShared> shared);

  void start();
  void stop();  // thread-safe: posts the close to the acceptor's io_context
  // Only when the io_context never ran: closes the acceptor directly.
  void close_now();

 private:
  void accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);
  void reject(boost::asio::ip::tcp::socket socket);

  std::vector<boost::asio::io_context*> iocs_;
  std::size_t next_ = 0;  // the io_context of the next connection
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::shared_ptr<ServerShared> shared_;
};

}  // namespace atlas::http::detail
