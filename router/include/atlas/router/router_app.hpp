#pragma once
// atlas-router assembled: everything main() starts and stops, in one object
// so tests can run the router in-process as well as the binary.
//
//   RouterApp app(common, config, logger);  // database, migrations, port bound
//   app.start();                             // ingress, relay, delivery, retries
//   ...                                      // until SIGTERM
//   app.stop();                              // in order, see stop()
#include <cstdint>
#include <memory>
#include <thread>

#include <boost/asio/thread_pool.hpp>
#include <prometheus/registry.h>

#include "atlas/config.hpp"
#include "atlas/http/client.hpp"
#include "atlas/http/server.hpp"
#include "atlas/kafka/admin.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/log.hpp"
#include "atlas/metrics.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/router/dedupe_batcher.hpp"
#include "atlas/router/delivery_service.hpp"
#include "atlas/router/housekeeping.hpp"
#include "atlas/router/inbox_relay.hpp"
#include "atlas/router/ingress_service.hpp"
#include "atlas/router/metrics.hpp"
#include "atlas/router/publisher.hpp"
#include "atlas/router/retry_scheduler.hpp"
#include "atlas/router/router_config.hpp"
#include "atlas/router/store.hpp"

namespace atlas::router {

class RouterApp {
 public:
  // Waits up to ROUTER_STARTUP_DB_WAIT_S for the database, applies the
  // migrations, creates the Kafka clients and binds ROUTER_PORT. Throws
  // std::runtime_error saying what to fix when any of it fails.
  RouterApp(CommonConfig common, RouterConfig config, Logger& logger);
  ~RouterApp();
  RouterApp(const RouterApp&) = delete;
  RouterApp& operator=(const RouterApp&) = delete;

  void start();
  // Graceful shutdown, in order: stop accepting webhooks (requests in flight
  // are answered), stop the inbox relay after its batch, stop delivery and
  // retry intake (in-flight messages finish, offsets are stored and
  // committed as the consumers close), flush the producer, stop the pools.
  // Idempotent.
  void stop();

  [[nodiscard]] std::uint16_t port() const { return server_->port(); }

 private:
  CommonConfig common_;
  RouterConfig config_;
  Logger& logger_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<RouterMetrics> metrics_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<RouterStore> store_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::Admin> admin_;
  std::unique_ptr<boost::asio::thread_pool> work_;
  std::unique_ptr<http::Client> client_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<DedupeBatcher> dedupe_;
  std::unique_ptr<IngressService> ingress_;
  std::unique_ptr<ObservabilityEndpoints> endpoints_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<InboxRelay> relay_;
  std::unique_ptr<DeliveryService> delivery_;
  std::unique_ptr<RetryScheduler> retry_;
  std::unique_ptr<Housekeeping> housekeeping_;
  std::thread delivery_thread_;
  std::thread retry_thread_;
  std::atomic<bool> running_{false};
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace atlas::router
