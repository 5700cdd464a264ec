#include "listener.hpp"

#include <array>
#include <chrono>
#include <string>

#include "boost_includes.hpp"

#include "atlas/log.hpp"
#include "session.hpp"

namespace atlas::http::detail {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Answers one over-limit connection with 503 and closes it, without reading
// the request beyond what is needed to avoid a reset.
class Rejection : public std::enable_shared_from_this<Rejection> {
 public:
  Rejection(tcp::socket&& socket, std::size_t limit) : stream_(std::move(socket)) {
    const std::string body = "{\"error\":\"server is at its connection limit (" +
                             std::to_string(limit) + "); retry later\"}";
    message_ = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
               "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  void start() {
    stream_.expires_after(std::chrono::seconds(1));
    net::async_write(stream_, net::buffer(message_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                       self->drain();
                     });
  }

 private:
  void drain() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->drain();
                            });
  }
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::string message_;
  std::array<char, 1024> scratch_{};
};

}  // namespace

Listener::Listener(std::vector<net::io_context*> iocs, tcp::acceptor acceptor,
                   std::shared_ptr<ServerShared> shared)
    : iocs_(std::move(iocs)),
      acceptor_(std::move(acceptor)),
      retry_timer_(acceptor_.get_executor()),
      shared_(std::move(shared)) {}

void Listener::start() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
}

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
}

void Listener::close_now() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

void Listener::accept() {
  if (!acceptor_.is_open()) return;
  // The connection lives on one io_context, run by one thread: its handlers
  // never run concurrently, without a strand's locking.
  net::io_context& ioc = *iocs_[next_++ % iocs_.size()];
  acceptor_.async_accept(ioc, beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Typically EMFILE/ENFILE: back off briefly instead of spinning.
    if (shared_->logger) {
      shared_->logger->warn("http accept failed; retrying in 100 ms", {{"error", ec.message()}});
    }
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code timer_ec) {
      if (!timer_ec) self->accept();
    });
    return;
  }
  if (shared_->open.load() >= shared_->limits.max_connections) {
    shared_->rejected.fetch_add(1);
    reject(std::move(socket));
  } else {
    shared_->accepted.fetch_add(1);
    std::make_shared<Session>(std::move(socket), shared_)->start();
  }
  accept();
}

void Listener::reject(tcp::socket socket) {
  std::make_shared<Rejection>(std::move(socket), shared_->limits.max_connections)->start();
}

}  // namespace atlas::http::detail
