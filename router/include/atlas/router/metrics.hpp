#pragma once
// Every series atlas-router exports, declared in one place (STYLE 13). The
// names are a contract with prometheus/ alerts and grafana/ dashboards:
//
//   atlas_webhooks_total{source,outcome}        counter    source: slack_events | slack_commands | github
//                                                          outcome: accepted | duplicate | ignored |
//                                                          challenge | bad_signature | stale |
//                                                          malformed | error
//   atlas_webhook_seconds{source}               histogram  request read -> answer sent (durable)
//   atlas_inbox_relayed_total                   counter    architect_in rows published by the relay
//   atlas_deliveries_total{channel,outcome}     counter    channel: slack | github | none
//                                                          outcome: delivered | retry | dead_letter | skipped
//   atlas_delivery_seconds{channel}             histogram  one delivery attempt (all its parts)
//   atlas_retries_scheduled_total{component}    counter    records written to architect_retry
//   atlas_retries_reinjected_total{target_topic} counter   due retry records re-injected
//   atlas_escalations_total{component}          counter    escalate controls published
//   atlas_dead_letters_total{component,error_class} counter records written to architect_dlq
//   dead_letter_count                           gauge      dead letters neither purged nor replayed
//   atlas_consumer_lag_messages{component,group} gauge     Consumer::stats().lag (-1: unknown yet)
//
// Every known label combination is created at start, so series exist (at 0)
// before the first event and rate() works from the first scrape.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace atlas::router {

// atlas_webhooks_total{source}
inline constexpr std::string_view kSourceSlackEvents = "slack_events";
inline constexpr std::string_view kSourceSlackCommands = "slack_commands";
inline constexpr std::string_view kSourceGithub = "github";
inline constexpr std::array<std::string_view, 3> kWebhookSources = {
    kSourceSlackEvents, kSourceSlackCommands, kSourceGithub};
// atlas_webhooks_total{outcome}
inline constexpr std::array<std::string_view, 8> kWebhookOutcomes = {
    "accepted", "duplicate", "ignored", "challenge", "bad_signature", "stale", "malformed", "error"};

class RouterMetrics {
 public:
  explicit RouterMetrics(prometheus::Registry& registry);
  RouterMetrics(const RouterMetrics&) = delete;
  RouterMetrics& operator=(const RouterMetrics&) = delete;

  void webhook(std::string_view source, std::string_view outcome);
  void webhook_seconds(std::string_view source, double seconds);
  void delivery(std::string_view channel, std::string_view outcome);
  void delivery_seconds(std::string_view channel, double seconds);
  void retry_reinjected(std::string_view target_topic);
  void dead_letter(std::string_view error_class);
  void consumer_lag(std::string_view group, std::int64_t lag);

  prometheus::Counter& inbox_relayed;
  prometheus::Counter& retries_scheduled;
  prometheus::Counter& escalations;
  prometheus::Gauge& dead_letter_count;

 private:
  prometheus::Family<prometheus::Counter>& webhooks_;
  prometheus::Family<prometheus::Histogram>& webhook_seconds_;
  prometheus::Family<prometheus::Counter>& deliveries_;
  prometheus::Family<prometheus::Histogram>& delivery_seconds_;
  prometheus::Family<prometheus::Counter>& reinjected_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Family<prometheus::Gauge>& lag_;
  // The webhook series resolved once (the request path does no label lookups).
  std::array<std::array<prometheus::Counter*, kWebhookOutcomes.size()>, kWebhookSources.size()>
      webhook_counters_{};
  std::array<prometheus::Histogram*, kWebhookSources.size()> webhook_histograms_{};
};

}  // namespace atlas::router
