#pragma once
// Reply delivery: consumes architect_out (consumer group atlas-router) and,
// for each message, on the work pool:
//
//   1. records it in PostgreSQL public.architect_out once (G2; the worker may
//      have written the row already, which is fine). While the database is
//      down the message waits and is tried again (the consumer pauses at
//      DELIVERY_MAX_INFLIGHT);
//   2. routes it (delivery_route.hpp): control messages (escalations
//      included), requests and origins cli/db/none are recorded only;
//   3. posts it: Slack chat.postMessage in the original thread, at most one
//      message a second per channel, long specs in numbered parts; or a
//      GitHub issue comment with GITHUB_TOKEN or a GitHub App installation
//      token (cached until it nearly expires; one exchange per installation
//      at a time, concurrent deliveries wait for it);
//   4. on failure (delivery_outcome.hpp), decide_failure: a retry record on
//      architect_retry due after the shared retry policy's wait (Retry-After
//      honoured), or -- permanent failures, or DELIVERY_MAX_ATTEMPTS used up
//      -- a dead letter on architect_dlq and an escalate control on
//      architect_out. The message's offset is completed only after those
//      records are acknowledged.
//
// Nothing here blocks the consumer's poll thread or the HTTP client's thread:
// both only hand work to the pool.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "atlas/config.hpp"
#include "atlas/http/client.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/log.hpp"
#include "atlas/retry_policy.hpp"
#include "atlas/router/channel_rate_limit.hpp"
#include "atlas/router/delivery_github.hpp"
#include "atlas/router/delivery_outcome.hpp"
#include "atlas/router/delivery_route.hpp"
#include "atlas/router/delivery_slack.hpp"
#include "atlas/router/failure_decision.hpp"
#include "atlas/router/github_app_jwt.hpp"
#include "atlas/router/installation_tokens.hpp"
#include "atlas/router/metrics.hpp"
#include "atlas/router/publisher.hpp"
#include "atlas/router/store.hpp"

namespace atlas::router {

struct DeliveryOptions {
  std::string group_id = "atlas-router";
  std::string topic_out = "architect_out";
  std::size_t max_inflight = 64;
  std::optional<SlackApi> slack;            // nullopt: SLACK_BOT_TOKEN not set
  GithubApi github;
  std::optional<std::string> github_token;  // GITHUB_TOKEN
  std::optional<std::string> github_app_id; // with github_app_key: the App
  std::optional<RsaPrivateKey> github_app_key;
  FailureSettings failure;
  RetryOptions retry;
  std::chrono::milliseconds slack_channel_interval{1000};
  std::chrono::milliseconds shutdown_grace{10'000};
};

class DeliveryService {
 public:
  // Creates the consumer (throws KafkaConfigError / KafkaError). The
  // references must outlive the service.
  DeliveryService(const KafkaSettings& kafka, DeliveryOptions options, RouterStore& store,
                  http::Client& client, Publisher& publisher, boost::asio::thread_pool& work,
                  RouterMetrics& metrics, Logger& logger);
  ~DeliveryService();
  DeliveryService(const DeliveryService&) = delete;
  DeliveryService& operator=(const DeliveryService&) = delete;

  // The consumer's poll loop on the calling thread, until stop().
  void run();
  void stop();
  [[nodiscard]] kafka::ConsumerStats stats() const { return consumer_.stats(); }
  [[nodiscard]] const std::string& group_id() const { return options_.group_id; }

 private:
  struct Job;
  using JobPtr = std::shared_ptr<Job>;

  void handle(kafka::Message message, kafka::Completion done);
  void process(const JobPtr& job);
  void route(const JobPtr& job);
  void deliver_slack(const JobPtr& job, const SlackDestination& to);
  void send_slack_part(const JobPtr& job, std::shared_ptr<std::vector<http::ClientRequest>> parts,
                       std::size_t index);
  void deliver_github(const JobPtr& job, const GithubDestination& to);
  void fetch_installation_token(std::int64_t installation);
  void post_github_comment(const JobPtr& job, const GithubDestination& to, const std::string& token);
  void delivered(const JobPtr& job);
  void failed(const JobPtr& job, const Failure& failure);
  void dead_letter(const JobPtr& job, DeadLetter dl);
  // Runs `fn` on the pool after `delay`.
  void later(std::chrono::milliseconds delay, std::function<void()> fn);

  DeliveryOptions options_;
  RouterStore& store_;
  http::Client& client_;
  Publisher& publisher_;
  boost::asio::thread_pool& work_;
  RouterMetrics& metrics_;
  Logger& logger_;
  std::mutex policy_mutex_;
  RetryPolicy policy_;                // guarded by policy_mutex_ (its jitter source)
  std::mutex limiter_mutex_;
  ChannelRateLimiter limiter_;        // guarded by limiter_mutex_
  // Continues a delivery once its installation token is known: the token, or
  // the failure of the exchange.
  using TokenWaiter =
      std::function<void(const std::optional<std::string>&, const std::optional<Failure>&)>;
  std::mutex tokens_mutex_;
  InstallationTokenCache tokens_;     // guarded by tokens_mutex_
  std::map<std::int64_t, std::vector<TokenWaiter>> token_waiters_;  // guarded by tokens_mutex_
  kafka::Consumer consumer_;
};

}  // namespace atlas::router
