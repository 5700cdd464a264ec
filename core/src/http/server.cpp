#include "atlas/http/server.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "boost_includes.hpp"

#include "atlas/log.hpp"
#include "listener.hpp"
#include "server_shared.hpp"
#include "session.hpp"

namespace atlas::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

tcp::endpoint resolve_listen_endpoint(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (!ec) return {address, port};
  net::io_context scratch;
  tcp::resolver resolver(scratch);
  const auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("cannot listen on '" + host + "': not an IP address and not resolvable (" +
                             ec.message() + "); use e.g. 0.0.0.0 or 127.0.0.1");
  }
  return results.begin()->endpoint();
}

}  // namespace

// One io_context per I/O thread (each told it has one thread, so it skips
// the locking a shared one needs); the listener deals connections out in
// turn. A work guard keeps each running while it has no connection yet.
struct Server::Runtime {
  explicit Runtime(int thread_count) {
    for (int i = 0; i < std::max(1, thread_count); ++i) {
      iocs.push_back(std::make_unique<net::io_context>(1));
      guards.push_back(net::make_work_guard(*iocs.back()));
    }
  }
  ~Runtime() {
    listener.reset();
    guards.clear();
  }
  std::vector<net::io_context*> contexts() const {
    std::vector<net::io_context*> out;
    for (const auto& ioc : iocs) out.push_back(ioc.get());
    return out;
  }

  // First: destroyed last, after everything using them.
  std::vector<std::unique_ptr<net::io_context>> iocs;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::shared_ptr<detail::Listener> listener;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::condition_variable all_done;
  int running = 0;  // guarded by mutex
};

Server::Server(ServerOptions options, Logger* logger)
    : options_(std::move(options)),
      shared_(std::make_shared<detail::ServerShared>()),
      runtime_(std::make_unique<Runtime>(options_.threads)) {
  shared_->limits = options_.limits;
  shared_->name = options_.name;
  shared_->logger = logger;

  const auto endpoint = resolve_listen_endpoint(options_.host, options_.port);
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  tcp::acceptor acceptor(*runtime_->iocs.front());
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message() +
                             " (is another process using the port? choose another one)");
  }
  port_ = acceptor.local_endpoint().port();
  runtime_->listener =
      std::make_shared<detail::Listener>(runtime_->contexts(), std::move(acceptor), shared_);
}

Server::~Server() {
  try {
    stop();
  } catch (const std::exception& e) {
    if (shared_->logger) shared_->logger->error("http server stop failed", {{"error", e.what()}});
  }
  {
    std::lock_guard lock(shared_->post_mutex);
    shared_->accepting_posts = false;
  }
  runtime_.reset();  // destroys pending handlers (and with them the sessions), then the io_context
}

void Server::add_route(std::string method, std::string pattern, Handler handler) {
  if (started_) {
    throw std::logic_error("Server::add_route(" + method + " " + pattern +
                           ") after start(): register every route before starting");
  }
  shared_->router.add(std::move(method), std::move(pattern), std::move(handler));
}

void Server::start() {
  if (started_ || stopped_) throw std::logic_error("Server::start() may be called once, before stop()");
  started_ = true;
  runtime_->listener->start();
  const int count = static_cast<int>(runtime_->iocs.size());
  runtime_->running = count;
  for (int i = 0; i < count; ++i) {
    runtime_->threads.emplace_back([this, &ioc = *runtime_->iocs[static_cast<std::size_t>(i)]] {
      for (;;) {
        try {
          ioc.run();
          break;
        } catch (const std::exception& e) {
          // Handlers catch their own errors; this is a last resort so one
          // bad request cannot take an I/O thread down.
          if (shared_->logger) shared_->logger->error("http server thread caught", {{"error", e.what()}});
        }
      }
      std::lock_guard lock(runtime_->mutex);
      --runtime_->running;
      runtime_->all_done.notify_all();
    });
  }
  if (shared_->logger) {
    shared_->logger->info("http server listening",
                          {{"host", options_.host}, {"port", port_}, {"threads", count}});
  }
}

void Server::stop() {
  if (stopped_) return;
  for (const auto& thread : runtime_->threads) {
    if (thread.get_id() == std::this_thread::get_id()) {
      throw std::logic_error("Server::stop() called from a server thread (inside a handler)");
    }
  }
  stopped_ = true;
  shared_->stopping.store(true);
  if (!started_) {
    runtime_->listener->close_now();
    return;
  }
  runtime_->listener->stop();
  for (auto& session : shared_->live_sessions()) {
    net::post(session->executor(), [session] { session->close_if_idle(); });
  }
  runtime_->guards.clear();  // each io_context returns once its connections are done
  {
    std::unique_lock lock(runtime_->mutex);
    const bool drained = runtime_->all_done.wait_for(lock, options_.drain_timeout,
                                                     [this] { return runtime_->running == 0; });
    if (!drained) {
      if (shared_->logger) {
        shared_->logger->warn("http server: requests still in progress after drain timeout; cutting them off",
                              {{"drain_timeout_ms", options_.drain_timeout.count()}});
      }
      for (auto& ioc : runtime_->iocs) ioc->stop();
    }
  }
  for (auto& thread : runtime_->threads) thread.join();
  {
    std::lock_guard lock(shared_->post_mutex);
    shared_->accepting_posts = false;  // nobody runs what is posted now
  }
  if (shared_->logger) shared_->logger->info("http server stopped", {{"port", port_}});
}

ServerStats Server::stats() const {
  ServerStats stats;
  stats.connections_accepted = shared_->accepted.load();
  stats.connections_rejected = shared_->rejected.load();
  stats.connections_open = shared_->open.load();
  stats.requests = shared_->requests.load();
  return stats;
}

}  // namespace atlas::http
