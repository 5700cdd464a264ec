#pragma once
// Accepts connections and starts a Session for each, or answers 503 and
// closes when the server is at max_connections. Runs on its own strand.
#include <memory>

#include "boost_includes.hpp"

#include "server_shared.hpp"

namespace atlas::http::detail {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `acceptor` is bound and listening, with a strand of `ioc` as executor.
  Listener(boost::asio::io_context& ioc, boost::asio::ip::tcp::acceptor acceptor,
           std::shared_ptr<ServerShared> shared);

  void start();
  void stop();  // thread-safe: posts the close to the acceptor's strand
  // Only when the io_context never ran: closes the acceptor directly.
  void close_now();

 private:
  void accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);
  void reject(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::shared_ptr<ServerShared> shared_;
};

}  // namespace atlas::http::detail
