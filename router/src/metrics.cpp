#include "atlas/router/metrics.hpp"

namespace atlas::router {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

constexpr std::string_view kComponent = "router";

const prometheus::Histogram::BucketBoundaries& webhook_buckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return b;
}

const prometheus::Histogram::BucketBoundaries& delivery_buckets() {
  static const prometheus::Histogram::BucketBoundaries b = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                            1,    2.5,   5,    10,  30};
  return b;
}

prometheus::Counter& single_counter(prometheus::Registry& r, const char* name, const char* help) {
  return BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Counter& component_counter(prometheus::Registry& r, const char* name,
                                       const char* help) {
  return BuildCounter().Name(name).Help(help).Register(r).Add(
      {{"component", std::string(kComponent)}});
}

}  // namespace

RouterMetrics::RouterMetrics(prometheus::Registry& r)
    : inbox_relayed(single_counter(r, "atlas_inbox_relayed_total",
                                   "Rows of PostgreSQL architect_in published to the architect_in topic")),
      retries_scheduled(component_counter(r, "atlas_retries_scheduled_total",
                                          "Records written to architect_retry")),
      escalations(component_counter(r, "atlas_escalations_total",
                                    "escalate controls published on architect_out")),
      dead_letter_count(BuildGauge()
                            .Name("dead_letter_count")
                            .Help("Dead letters in architect_dlq, neither purged nor replayed")
                            .Register(r)
                            .Add({})),
      webhooks_(BuildCounter()
                    .Name("atlas_webhooks_total")
                    .Help("Webhook requests by source and outcome")
                    .Register(r)),
      webhook_seconds_(BuildHistogram()
                           .Name("atlas_webhook_seconds")
                           .Help("Time from a webhook request read to its answer (durable for accepted ones)")
                           .Register(r)),
      deliveries_(BuildCounter()
                      .Name("atlas_deliveries_total")
                      .Help("architect_out messages by delivery channel and outcome")
                      .Register(r)),
      delivery_seconds_(BuildHistogram()
                            .Name("atlas_delivery_seconds")
                            .Help("Time of one delivery attempt to Slack or GitHub")
                            .Register(r)),
      reinjected_(BuildCounter()
                      .Name("atlas_retries_reinjected_total")
                      .Help("Due retry records re-injected into their target topic")
                      .Register(r)),
      dead_letters_(BuildCounter()
                        .Name("atlas_dead_letters_total")
                        .Help("Records written to architect_dlq, by error class")
                        .Register(r)),
      lag_(BuildGauge()
               .Name("atlas_consumer_lag_messages")
               .Help("Messages behind the high watermark, per consumer group (-1 while unknown)")
               .Register(r)) {
  for (std::size_t s = 0; s < kWebhookSources.size(); ++s) {
    const std::string source(kWebhookSources[s]);
    for (std::size_t o = 0; o < kWebhookOutcomes.size(); ++o) {
      webhook_counters_[s][o] =
          &webhooks_.Add({{"source", source}, {"outcome", std::string(kWebhookOutcomes[o])}});
    }
    webhook_histograms_[s] = &webhook_seconds_.Add({{"source", source}}, webhook_buckets());
  }
  for (auto channel : {"slack", "github", "none"}) {
    for (auto outcome : {"delivered", "retry", "dead_letter", "skipped"}) {
      deliveries_.Add({{"channel", channel}, {"outcome", outcome}});
    }
    delivery_seconds_.Add({{"channel", channel}}, delivery_buckets());
  }
  for (auto error_class : {"delivery_failed", "invalid_input"}) {
    dead_letters_.Add({{"component", std::string(kComponent)}, {"error_class", error_class}});
  }
}

void RouterMetrics::webhook(std::string_view source, std::string_view outcome) {
  for (std::size_t s = 0; s < kWebhookSources.size(); ++s) {
    if (kWebhookSources[s] != source) continue;
    for (std::size_t o = 0; o < kWebhookOutcomes.size(); ++o) {
      if (kWebhookOutcomes[o] == outcome) {
        webhook_counters_[s][o]->Increment();
        return;
      }
    }
  }
  webhooks_.Add({{"source", std::string(source)}, {"outcome", std::string(outcome)}}).Increment();
}

void RouterMetrics::webhook_seconds(std::string_view source, double seconds) {
  for (std::size_t s = 0; s < kWebhookSources.size(); ++s) {
    if (kWebhookSources[s] == source) {
      webhook_histograms_[s]->Observe(seconds);
      return;
    }
  }
  webhook_seconds_.Add({{"source", std::string(source)}}, webhook_buckets()).Observe(seconds);
}

void RouterMetrics::delivery(std::string_view channel, std::string_view outcome) {
  deliveries_.Add({{"channel", std::string(channel)}, {"outcome", std::string(outcome)}})
      .Increment();
}

void RouterMetrics::delivery_seconds(std::string_view channel, double seconds) {
  delivery_seconds_.Add({{"channel", std::string(channel)}}, delivery_buckets()).Observe(seconds);
}

void RouterMetrics::retry_reinjected(std::string_view target_topic) {
  reinjected_.Add({{"target_topic", std::string(target_topic)}}).Increment();
}

void RouterMetrics::dead_letter(std::string_view error_class) {
  dead_letters_.Add({{"component", std::string(kComponent)}, {"error_class", std::string(error_class)}})
      .Increment();
}

void RouterMetrics::consumer_lag(std::string_view group, std::int64_t lag) {
  lag_.Add({{"component", std::string(kComponent)}, {"group", std::string(group)}})
      .Set(static_cast<double>(lag));
}

}  // namespace atlas::router
