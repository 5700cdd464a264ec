#include "atlas/router/router_app.hpp"

#include <stdexcept>

#include "atlas/pg/migrate.hpp"
#include "atlas/pg/migration.hpp"

namespace atlas::router {

RouterApp::RouterApp(CommonConfig common, RouterConfig config, Logger& logger)
    : common_(std::move(common)), config_(std::move(config)), logger_(logger) {
  const RouterTuning& t = config_.tuning;
  const KafkaSettings& kafka = common_.kafka;
  registry_ = std::make_shared<prometheus::Registry>();
  metrics_ = std::make_unique<RouterMetrics>(*registry_);

  // Every work thread may hold a connection, plus the inbox relay's LISTEN
  // connection, the dedupe batcher's, the housekeeping thread and one spare.
  pg::PoolOptions pool_options;
  pool_options.size = t.db_pool_size > 0 ? static_cast<std::size_t>(t.db_pool_size)
                                         : static_cast<std::size_t>(t.worker_threads) + 4;
  pool_ = std::make_unique<pg::Pool>(common_.database_url, pool_options);
  pool_->wait_until_reachable(t.startup_db_wait, logger_);
  const pg::MigrationSummary migrated = pg::migrate(*pool_, pg::embedded_migrations(), logger_);
  logger_.info("database ready", {{"database", pool_->display_name()},
                                  {"migrations_applied", migrated.applied.size()},
                                  {"migrations_already_applied", migrated.already_applied}});
  store_ = std::make_unique<RouterStore>(*pool_);

  // Webhooks wait for the acknowledgement: linger 1 ms instead of librdkafka's
  // 5 ms (batches still form under load). KAFKA_PROPERTY_linger_ms overrides it.
  KafkaSettings producer_settings = kafka;
  producer_settings.properties.try_emplace("linger.ms", "1");
  // Chats are independent tasks: a sticky partitioner puts 5 ms of them on
  // one partition of architect_in, so they travel in one ProduceRequest
  // instead of one per partition (docs/decisions.md). Their key stays the
  // task id.
  kafka::ProducerOptions producer_options;
  producer_options.sticky_topics = {kafka.topic_in};
  producer_options.sticky_window = std::chrono::milliseconds(5);
  producer_ = std::make_unique<kafka::Producer>(producer_settings, "atlas-router", logger_,
                                                producer_options);
  admin_ = std::make_unique<kafka::Admin>(kafka, "atlas-router-admin", logger_);
  work_ = std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(t.worker_threads));
  http::ClientOptions client_options;
  client_options.logger = &logger_;
  client_options.user_agent = "atlas-router/0.1";
  client_ = std::make_unique<http::Client>(client_options);
  publisher_ = std::make_unique<Publisher>(*producer_, *work_, logger_);

  IngressOptions ingress;
  ingress.secrets.slack_signing_secret = config_.slack.signing_secret;
  ingress.secrets.github_webhook_secret = config_.github.webhook_secret;
  ingress.topic_in = kafka.topic_in;
  ingress.ack_timeout = t.ack_timeout;
  ingress.max_pending = t.max_pending_webhooks;
  dedupe_ = std::make_unique<DedupeBatcher>(*pool_, t.dedupe_ttl, logger_);
  ingress_ = std::make_unique<IngressService>(ingress, *producer_, *store_, *dedupe_, *work_,
                                              *metrics_, logger_);

  FailureSettings failure;
  failure.max_attempts = config_.delivery_max_attempts;
  failure.retry_topic = kafka.topic_retry;
  failure.dlq_topic = kafka.topic_dlq;
  failure.component = "atlas-router";

  DeliveryOptions delivery;
  delivery.topic_out = kafka.topic_out;
  delivery.max_inflight = t.delivery_max_inflight;
  if (config_.slack.bot_token) {
    SlackApi slack;
    slack.api_url = config_.slack.api_url;
    slack.bot_token = *config_.slack.bot_token;
    slack.timeout = t.delivery_timeout;
    delivery.slack = slack;
  }
  delivery.github.api_url = config_.github.api_url;
  delivery.github.timeout = t.delivery_timeout;
  delivery.github_token = config_.github.token;
  if (config_.github.auth_mode() == GithubAuthMode::app) {
    std::string error;
    delivery.github_app_id = config_.github.app_id;
    delivery.github_app_key = RsaPrivateKey::from_pem(*config_.github.app_private_key, error);
    if (!delivery.github_app_key) {
      throw std::runtime_error("GITHUB_APP_PRIVATE_KEY is not usable: " + error);
    }
  }
  delivery.failure = failure;
  delivery.retry.max_attempts = config_.delivery_max_attempts;
  delivery.retry.initial_backoff = t.retry_initial_backoff;
  delivery.retry.max_backoff = t.retry_max_backoff;
  delivery_ = std::make_unique<DeliveryService>(kafka, delivery, *store_, *client_, *publisher_,
                                                *work_, *metrics_, logger_);

  RetrySchedulerOptions retry;
  retry.topic_retry = kafka.topic_retry;
  retry.topic_out = kafka.topic_out;
  retry.allowed_targets = {kafka.topic_in, kafka.topic_out};
  retry.max_held = t.retry_max_held;
  retry.failure = failure;
  retry_ = std::make_unique<RetryScheduler>(kafka, retry, *publisher_, *work_, *metrics_, logger_);

  if (t.inbox_relay) {
    InboxRelayOptions relay;
    relay.topic_in = kafka.topic_in;
    relay.topic_dlq = kafka.topic_dlq;
    relay.poll_interval = t.relay_poll;
    relay.batch_size = t.relay_batch;
    relay_ = std::make_unique<InboxRelay>(relay, *pool_, *producer_, *metrics_, logger_);
  }

  HousekeepingOptions housekeeping;
  housekeeping.topic_dlq = kafka.topic_dlq;
  housekeeping_ = std::make_unique<Housekeeping>(
      housekeeping, *pool_, *store_, *admin_, *metrics_, logger_, [this] {
        std::vector<std::pair<std::string, std::int64_t>> lags;
        lags.emplace_back(delivery_->group_id(), delivery_->stats().lag);
        lags.emplace_back(retry_->group_id(), retry_->stats().lag);
        return lags;
      });

  endpoints_ = std::make_unique<ObservabilityEndpoints>(registry_);
  endpoints_->add_readiness_check("database", [this] { return housekeeping_->database(); });
  endpoints_->add_readiness_check("kafka", [this] { return housekeeping_->kafka(); });
  endpoints_->add_readiness_check("running", [this] {
    return running_.load() ? CheckResult{true, "ingress, relay, delivery and retries running"}
                           : CheckResult{false, "starting or stopping"};
  });

  http::ServerOptions server;
  server.port = static_cast<std::uint16_t>(config_.port);
  server.threads = t.http_threads;
  server.name = "atlas-router";
  server.limits.max_body_bytes = kMaxWebhookBodyBytes;
  server.limits.max_header_bytes = kMaxHeaderBytes;
  server.limits.max_header_count = kMaxHeaderCount;
  server.limits.read_timeout = t.read_timeout;
  server.limits.max_connections = t.max_connections;
  // Accepted webhooks answer within the ack time-out plus a database write.
  server.limits.handler_timeout = std::max(std::chrono::milliseconds(10'000), t.ack_timeout * 4);
  server_ = std::make_unique<http::Server>(server, &logger_);
  ingress_->install(*server_);
  endpoints_->install(*server_);
}

RouterApp::~RouterApp() { stop(); }

void RouterApp::start() {
  if (started_) return;
  started_ = true;
  housekeeping_->run_once();  // readiness known before the first probe
  housekeeping_->start();
  // Learn the partition leaders before the first webhook or relayed row, so
  // neither waits for them (G3's 1 s includes the first row after a start).
  const KafkaSettings& kafka = common_.kafka;
  const std::vector<std::string> cold = producer_->warm_up(
      {kafka.topic_in, kafka.topic_out, kafka.topic_retry, kafka.topic_dlq}, std::chrono::seconds(5));
  if (!cold.empty()) {
    logger_.warn("no Kafka metadata yet for some topics; their first messages may wait for it",
                 {{"topics", cold}});
  }
  delivery_thread_ = std::thread([this] {
    try {
      delivery_->run();
    } catch (const std::exception& e) {
      logger_.error("delivery consumer stopped", {{"error", e.what()}});
      running_ = false;
    }
  });
  retry_thread_ = std::thread([this] {
    try {
      retry_->run();
    } catch (const std::exception& e) {
      logger_.error("retry scheduler stopped", {{"error", e.what()}});
      running_ = false;
    }
  });
  if (relay_) relay_->start();
  running_ = true;
  server_->start();
  logger_.info("atlas-router listening",
               {{"port", server_->port()},
                {"slack_ingress", config_.slack.ingress_enabled()},
                {"slack_delivery", config_.slack.delivery_enabled()},
                {"github_ingress", config_.github.ingress_enabled()},
                {"github_auth", config_.github.auth_mode() == GithubAuthMode::token ? "token"
                                : config_.github.auth_mode() == GithubAuthMode::app ? "app"
                                                                                    : "none"},
                {"inbox_relay", relay_ != nullptr},
                {"delivery_max_attempts", config_.delivery_max_attempts}});
}

void RouterApp::stop() {
  if (stopped_) return;
  stopped_ = true;
  running_ = false;
  if (!started_) return;
  logger_.info("atlas-router stopping: closing ingress");
  server_->stop();  // webhooks in flight are answered first
  dedupe_->stop();
  if (relay_) relay_->stop();
  delivery_->stop();
  retry_->stop();
  if (delivery_thread_.joinable()) delivery_thread_.join();  // commits and leaves the group
  if (retry_thread_.joinable()) retry_thread_.join();
  housekeeping_->stop();
  if (!producer_->flush(std::chrono::seconds(10))) {
    logger_.warn("producer flush timed out; undelivered records are purged",
                 {{"pending", producer_->pending()}});
  }
  publisher_->stop();
  work_->stop();
  work_->join();
  // Callbacks still outstanding (none, unless the flush timed out) only post
  // to the stopped pool, which is still alive here.
  client_.reset();
  producer_.reset();
  logger_.info("atlas-router stopped");
}

}  // namespace atlas::router
