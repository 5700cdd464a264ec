#pragma once
// The webhook routes on the router's HTTP server (POST /slack/events,
// /slack/commands, /github/webhook), carrying out the pure decisions of
// ingress.hpp with Kafka and PostgreSQL.
//
// On the HTTP I/O thread (cheap, never blocking): verify the signature over
// the raw bytes, translate, answer rejections, ignores and challenges at
// once; a request whose dedupe keys this replica saw published recently is a
// duplicate at once too. An accepted request then goes on without blocking
// any thread (the database work runs on the DedupeBatcher's thread and the
// work pool):
//
//   1. claim its dedupe keys in PostgreSQL (fleet-wide, batched with other
//      requests: DedupeBatcher): a duplicate is answered 200 and not
//      republished;
//   2. produce the chat envelope to architect_in (acks=all, key = task id)
//      and hold the Responder;
//   3. Kafka acknowledges            -> 200 (durable: G1);
//      Kafka fails, or has not acknowledged within ROUTER_ACK_TIMEOUT_S
//                                    -> insert the envelope into
//         public.architect_in with relayed_at NULL (the inbox relay publishes
//         it) -> 200 once committed; should Kafka acknowledge later, the row
//         is stamped so it is not published twice;
//      neither Kafka nor PostgreSQL  -> 503 (Slack and GitHub retry), and the
//         dedupe claim is released so the retry is not taken for a duplicate.
//
// The number of accepted requests not yet answered is capped
// (ROUTER_MAX_PENDING_WEBHOOKS): past it requests get 503 with Retry-After.
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "atlas/http/server.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/log.hpp"
#include "atlas/router/dedupe_batcher.hpp"
#include "atlas/router/ingress.hpp"
#include "atlas/router/metrics.hpp"
#include "atlas/router/store.hpp"

namespace atlas::router {

struct IngressOptions {
  IngressSecrets secrets;
  std::string topic_in = "architect_in";
  std::chrono::milliseconds ack_timeout{2'500};
  std::size_t max_pending = 4096;
};

// The webhooks_total{source} label of a webhook route.
[[nodiscard]] std::string_view webhook_source(Route route);

class IngressService {
 public:
  // The references must outlive the service and the server it is installed on.
  IngressService(IngressOptions options, kafka::Producer& producer, RouterStore& store,
                 DedupeBatcher& dedupe, boost::asio::thread_pool& work, RouterMetrics& metrics,
                 Logger& logger);
  ~IngressService();
  IngressService(const IngressService&) = delete;
  IngressService& operator=(const IngressService&) = delete;

  // Adds the three webhook routes (before server.start()).
  void install(http::Server& server);

  void handle(Route route, const http::ServerRequest& request, http::Responder respond);

  // Accepted requests not answered yet.
  [[nodiscard]] std::size_t pending() const { return pending_.load(); }

 private:
  struct Pending;
  void begin(const std::shared_ptr<Pending>& p);
  void publish(const std::shared_ptr<Pending>& p, const std::optional<ClaimResult>& claim,
               const std::string& error);
  // On the producer's thread: hands the report to settle_delivery on the
  // request's connection thread (or runs it here when there is none).
  void on_delivery(const std::shared_ptr<Pending>& p, const kafka::DeliveryResult& result);
  void settle_delivery(const std::shared_ptr<Pending>& p, bool ok, const std::string& error);
  void on_deadline(const std::shared_ptr<Pending>& p);
  // Deadlines: one timer sweeps every request waiting for Kafka (no timer
  // per request).
  void watch(const std::shared_ptr<Pending>& p);
  void arm_sweep();  // with deadlines_mutex_ held
  void sweep();
  void run_fallback(const std::shared_ptr<Pending>& p);
  // Decides what happens next from the Pending's state; called after every change.
  void advance(const std::shared_ptr<Pending>& p);
  void answer_now(const std::shared_ptr<Pending>& p, http::ServerResponse response,
                  std::string_view outcome);

  IngressOptions options_;
  kafka::Producer& producer_;
  RouterStore& store_;
  DedupeBatcher& dedupe_;
  boost::asio::thread_pool& work_;
  RouterMetrics& metrics_;
  Logger& logger_;
  std::atomic<std::size_t> pending_{0};
  std::mutex deadlines_mutex_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::weak_ptr<Pending>>>
      deadlines_;              // guarded by deadlines_mutex_
  bool sweeping_ = false;      // guarded by deadlines_mutex_: the sweeper timer is armed
  boost::asio::steady_timer sweeper_;  // touched with deadlines_mutex_ held
};

}  // namespace atlas::router
