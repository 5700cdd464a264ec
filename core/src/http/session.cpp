#include "session.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <limits>
#include <utility>

#include "boost_includes.hpp"

#include "atlas/log.hpp"

namespace atlas::http::detail {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::chrono::milliseconds kMaxLinger{2'000};

// Larger body buffers are not kept for the connection's next request.
constexpr std::size_t kMaxSpareBody = 64u << 10;

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

// Header names a handler may not set: the server owns message framing.
bool is_reserved_header(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection") || iequals(name, "content-type") || iequals(name, "server");
}

bool is_safe_header(std::string_view name, std::string_view value) {
  const auto bad = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  return !name.empty() && name.find(':') == std::string_view::npos &&
         name.find(' ') == std::string_view::npos && std::none_of(name.begin(), name.end(), bad) &&
         std::none_of(value.begin(), value.end(), bad);
}

std::string to_std(beast::string_view text) { return std::string(text.data(), text.size()); }

std::string ms_text(std::chrono::milliseconds value) { return std::to_string(value.count()) + " ms"; }

}  // namespace

Session::Session(tcp::socket&& socket, std::shared_ptr<ServerShared> shared)
    : stream_(std::move(socket)), handler_timer_(stream_.get_executor()), shared_(std::move(shared)) {
  beast::error_code ec;
  const auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) peer_address_ = endpoint.address().to_string();
  shared_->open.fetch_add(1);
}

Session::~Session() {
  {
    std::lock_guard lock(shared_->sessions_mutex);
    shared_->sessions.erase(this);
  }
  shared_->open.fetch_sub(1);
}

void Session::start() {
  {
    std::lock_guard lock(shared_->sessions_mutex);
    shared_->sessions.emplace(this, weak_from_this());
  }
  net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read_request,
                                                                 shared_from_this()));
}

void Session::close_if_idle() {
  if (idle_) stream_.cancel();  // on_idle_read sees operation_aborted and closes
}

void Session::read_request() {
  const auto& limits = shared_->limits;
  parser_.emplace();
  spare_body_.clear();
  parser_->get().body() = std::move(spare_body_);
  parser_->body_limit(limits.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
      limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  // One deadline for the whole request, header and body (slowloris).
  stream_.expires_after(limits.read_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::on_header, shared_from_this()));
}

void Session::wait_for_next_request() {
  if (shared_->stopping.load()) return close();
  if (buffer_.size() > 0) return read_request();  // pipelined request already here
  idle_ = true;
  stream_.expires_after(shared_->limits.idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096),
                          beast::bind_front_handler(&Session::on_idle_read, shared_from_this()));
}

void Session::on_idle_read(beast::error_code ec, std::size_t bytes) {
  idle_ = false;
  if (ec) return close();  // peer closed, idle timeout, or server stopping
  buffer_.commit(bytes);
  read_request();
}

void Session::on_header(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) return on_read_error(ec);
  const auto& header = parser_->get();
  const auto fields = static_cast<std::size_t>(std::distance(header.begin(), header.end()));
  if (fields > shared_->limits.max_header_count) {
    return reject(431, "too many header fields: at most " +
                           std::to_string(shared_->limits.max_header_count) + " are accepted");
  }
  const auto expect = header[bhttp::field::expect];
  if (!expect.empty() && iequals(to_std(expect), "100-continue") &&
      !parser_->is_done()) {
    continue_ = {};
    continue_.result(bhttp::status::continue_);
    continue_.version(header.version());
    bhttp::async_write(stream_, continue_,
                       [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                         if (write_ec) return self->close();
                         self->read_body();
                       });
    return;
  }
  read_body();
}

void Session::read_body() {
  if (parser_->is_done()) return on_body({}, 0);
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::on_body, shared_from_this()));
}

void Session::on_body(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) return on_read_error(ec);
  stream_.expires_never();
  dispatch();
}

void Session::on_read_error(beast::error_code ec) {
  const auto& limits = shared_->limits;
  if (ec == bhttp::error::body_limit) {
    return reject(413, "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  if (ec == bhttp::error::header_limit) {
    return reject(431, "request headers exceed " + std::to_string(limits.max_header_bytes) +
                           " bytes");
  }
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      ec == beast::error::timeout || ec == net::error::operation_aborted) {
    return close();  // peer went away, or too slow: nobody to answer
  }
  if (is_http_parse_error(ec)) return reject(400, "malformed HTTP request: " + ec.message());
  close();  // socket error
}

void Session::dispatch() {
  shared_->requests.fetch_add(1);
  auto message = parser_->release();
  parser_.reset();
  keep_alive_ = message.keep_alive();

  ServerRequest request;
  request.method = to_std(message.method_string());
  request.target = to_std(message.target());
  const auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    request.headers.emplace_back(to_std(field.name_string()), to_std(field.value()));
  }
  request.body = std::move(message.body());
  request.peer_address = peer_address_;

  auto match = shared_->router.match(request.method, request.path);
  using Kind = Router::Match::Kind;
  if (match.kind == Kind::not_found) return write(error_response(404, "not found"), false);
  if (match.kind == Kind::method_not_allowed) {
    auto response = error_response(405, "method " + request.method + " not allowed; use " + match.allow);
    response.headers.emplace_back("Allow", match.allow);
    return write(std::move(response), false);
  }
  request.route_tail = std::move(match.route_tail);

  const std::uint64_t sequence = ++sequence_;
  awaiting_handler_ = true;
  handler_timer_.expires_after(shared_->limits.handler_timeout);
  handler_timer_.async_wait(
      beast::bind_front_handler(&Session::on_handler_timeout, shared_from_this(), sequence));
  try {
    // A Responder the handler drops (or loses to an exception) answers 500.
    (*match.handler)(request, make_responder(sequence));
  } catch (const std::exception& e) {
    if (shared_->logger) {
      shared_->logger->error("http handler threw; answered 500",
                             {{"method", request.method}, {"path", request.path}, {"error", e.what()}});
    }
  } catch (...) {
    if (shared_->logger) {
      shared_->logger->error("http handler threw a non-exception; answered 500",
                             {{"method", request.method}, {"path", request.path}});
    }
  }
  // Handlers see the request by const reference: its body buffer is ours again.
  if (request.body.capacity() <= kMaxSpareBody) spare_body_ = std::move(request.body);
}

namespace {

// A Responder's channel to its session: the answer and post()ed work go to
// the connection's io_context, the one thread that runs the session.
class SessionChannel final : public Responder::Channel {
 public:
  SessionChannel(std::weak_ptr<Session> session, std::shared_ptr<ServerShared> shared,
                 net::any_io_executor executor, std::uint64_t sequence)
      : session_(std::move(session)),
        shared_(std::move(shared)),
        executor_(std::move(executor)),
        sequence_(sequence) {}

  void deliver(ServerResponse response) override {
    std::lock_guard lock(shared_->post_mutex);
    if (!shared_->accepting_posts) return;
    auto self = session_.lock();
    if (!self) return;  // connection already gone
    net::post(executor_, [self = std::move(self), sequence = sequence_,
                          response = std::move(response)]() mutable {
      self->on_handler_response(sequence, std::move(response));
    });
  }

  // Work outlives the connection: it is posted even when the client left.
  bool post(std::function<void()>& work) override {
    std::lock_guard lock(shared_->post_mutex);
    auto& context = static_cast<net::io_context&>(net::query(executor_, net::execution::context));
    if (!shared_->accepting_posts || context.stopped()) return false;
    net::post(executor_, std::move(work));
    return true;
  }

 private:
  std::weak_ptr<Session> session_;
  std::shared_ptr<ServerShared> shared_;
  net::any_io_executor executor_;
  std::uint64_t sequence_;
};

}  // namespace

Responder Session::make_responder(std::uint64_t sequence) {
  return Responder(std::make_unique<SessionChannel>(weak_from_this(), shared_, executor(), sequence));
}

void Session::on_handler_response(std::uint64_t sequence, ServerResponse response) {
  if (!awaiting_handler_ || sequence != sequence_) return;  // 504 already sent
  awaiting_handler_ = false;
  handler_timer_.cancel();
  write(std::move(response), false);
}

void Session::on_handler_timeout(std::uint64_t sequence, beast::error_code ec) {
  if (ec || !awaiting_handler_ || sequence != sequence_) return;
  awaiting_handler_ = false;
  if (shared_->logger) {
    shared_->logger->warn("http handler did not answer in time; answered 504",
                          {{"handler_timeout_ms", shared_->limits.handler_timeout.count()}});
  }
  write(error_response(504, "the handler did not answer within " +
                                ms_text(shared_->limits.handler_timeout)),
        false);
}

void Session::reject(int status, std::string_view reason) {
  // The rest of the request is not read, so the connection cannot be reused.
  keep_alive_ = false;
  write(error_response(status, reason), true);
}

void Session::write(ServerResponse response, bool close_after) {
  int status = response.status;
  if (status < 200 || status > 999) status = 500;
  response_ = {};
  response_.result(static_cast<unsigned>(status));
  response_.version(11);
  response_.set(bhttp::field::server, shared_->name);
  for (const auto& [name, value] : response.headers) {
    if (is_reserved_header(name) || !is_safe_header(name, value)) continue;
    response_.insert(name, value);
  }
  if (status != 204 && status != 304) {
    if (!response.content_type.empty() && is_safe_header("content-type", response.content_type)) {
      response_.set(bhttp::field::content_type, response.content_type);
    }
    response_.body() = std::move(response.body);
  }
  const bool keep_alive = keep_alive_ && !close_after && !shared_->stopping.load();
  response_.keep_alive(keep_alive);
  response_.prepare_payload();
  stream_.expires_after(shared_->limits.write_timeout);
  bhttp::async_write(stream_, response_,
                     beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive));
}

void Session::on_write(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) return close();
  if (!keep_alive) return graceful_close();
  wait_for_next_request();
}

// Half-close, then read and discard what the client still sends (the rest of
// a rejected body) for a moment: closing with unread data makes the kernel
// send RST, and the client could lose the response it has not read yet.
void Session::graceful_close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return close();
  stream_.expires_after(std::min(shared_->limits.read_timeout, kMaxLinger));
  drain();
}

void Session::drain() {
  stream_.async_read_some(net::buffer(drain_buffer_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec) return self->close();
                            self->drain();
                          });
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace atlas::http::detail
