#pragma once
// A control command and its answers, for `budget set`, `heartbeat` and
// `flush-cache`: listen on architect_out, publish the control to
// architect_in, and collect every reply whose metadata.parent_id is the
// control's task_id until the caller has what it needs or the wait ends.
//
//   ControlRoundTrip trip(common.kafka, ctx.log);
//   auto result = trip.run({{"command", "heartbeat"}}, 5s, [](auto&) { return false; });
//
// send_control and ask_worker (at the end) wrap run() with the error
// messages the commands print.
//
// The listener joins a consumer group of its own (atlasctl-control-<uuid>,
// starting at the end of the topic) and the control is published only once
// the listener's position on every partition is known, so no answer can
// arrive before it listens. The group takes a few seconds to form on a
// fresh cluster; that wait is part of `join_timeout`. Header-only.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/config.hpp"
#include "atlas/envelope.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/log.hpp"
#include "atlas/uuid.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace atlas::ctl {

struct ControlReply {
  nlohmann::json envelope;                  // the whole reply
  std::chrono::milliseconds after{0};       // since the control was acknowledged
};

struct ControlResult {
  std::string task_id;                 // the control request's
  std::vector<ControlReply> replies;   // in arrival order
  std::string error;                   // set when the control could not be sent
};

class ControlRoundTrip {
 public:
  ControlRoundTrip(const KafkaSettings& kafka, Logger& log,
                   std::chrono::milliseconds join_timeout = std::chrono::seconds(30))
      : kafka_(kafka), log_(log), join_timeout_(join_timeout) {}

  // Publishes `command` (the content object) and collects replies for at
  // most `wait` after the broker acknowledged it; stops earlier once
  // `enough(replies)` returns true (called with the lock held, after each reply).
  ControlResult run(const nlohmann::json& command, std::chrono::milliseconds wait,
                    const std::function<bool(const std::vector<ControlReply>&)>& enough) {
    using Clock = std::chrono::steady_clock;
    ControlResult result;
    const Envelope control = make_control(command, Uuid::random_v4(), {{"kind", "cli"}});
    result.task_id = control.task_id;

    kafka::ConsumerOptions options;
    options.group_id = "atlasctl-control-" + Uuid::random_v4().to_string();
    options.topics = {kafka_.topic_out};
    options.client_id = "atlasctl";
    options.auto_offset_reset = "latest";
    options.max_inflight = 1024;
    options.shutdown_grace = std::chrono::milliseconds(500);
    kafka::Consumer consumer(kafka_, options, log_);

    std::mutex mutex;
    std::condition_variable arrived;
    std::optional<Clock::time_point> sent_at;
    bool done = false;
    std::thread poller([&] {
      try {
        consumer.run([&](kafka::Message message, kafka::Completion complete) {
          auto value = nlohmann::json::parse(message.value, nullptr, false);
          const auto* parent = value.is_object() && value.contains("metadata") &&
                                       value["metadata"].is_object()
                                   ? &value["metadata"]
                                   : nullptr;
          if (parent != nullptr && parent->value("parent_id", nlohmann::json()) == control.task_id) {
            std::lock_guard lock(mutex);
            const auto now = Clock::now();
            result.replies.push_back(
                {std::move(value), std::chrono::duration_cast<std::chrono::milliseconds>(
                                       now - sent_at.value_or(now))});
            if (enough(result.replies)) done = true;
            arrived.notify_all();
          }
          complete();
        });
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        result.error = std::string("cannot read ") + kafka_.topic_out + ": " + e.what();
        done = true;
        arrived.notify_all();
      }
    });
    auto stop = [&] {
      consumer.stop();
      poller.join();
    };

    // Listen before speaking: every assigned partition fetched once.
    const auto join_deadline = Clock::now() + join_timeout_;
    for (;;) {
      const auto stats = consumer.stats();
      if (stats.assigned_partitions > 0 && stats.lag >= 0) break;
      {
        std::lock_guard lock(mutex);
        if (done) break;
      }
      if (Clock::now() > join_deadline) {
        stop();
        result.error = "could not start listening on " + kafka_.topic_out + " within " +
                       std::to_string(join_timeout_.count() / 1000) + " s (is KAFKA_BROKERS=" +
                       kafka_.brokers + " reachable?)";
        return result;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!result.error.empty()) {
      stop();
      return result;
    }

    {
      kafka::Producer producer(kafka_, "atlasctl", log_);
      const auto delivery = producer.produce_sync(
          {kafka_.topic_in, control.kafka_key(), serialize(control), {}, std::nullopt},
          std::chrono::seconds(30));
      if (!delivery.ok) {
        stop();
        result.error = "the control was not acknowledged by " + kafka_.brokers + ": " + delivery.error;
        return result;
      }
    }
    {
      std::unique_lock lock(mutex);
      sent_at = Clock::now();
      arrived.wait_until(lock, *sent_at + wait, [&] { return done; });
    }
    stop();
    return result;
  }

 private:
  KafkaSettings kafka_;
  Logger& log_;
  std::chrono::milliseconds join_timeout_;
};

// The advice when no worker answers a control.
inline std::string no_worker_hint(const KafkaSettings& kafka) {
  return "is atlas-worker running and consuming " + kafka.topic_in + "? (atlasctl status)";
}

// ControlRoundTrip::run for `atlasctl <command>`, collecting replies for
// `wait_s` seconds. When the control could not be sent it prints why on
// stderr (redacted) and returns nullopt: the command then exits 1.
inline std::optional<ControlResult> send_control(
    Context& ctx, const char* command, const KafkaSettings& kafka, const nlohmann::json& control,
    double wait_s, const std::function<bool(const std::vector<ControlReply>&)>& enough) {
  ControlRoundTrip trip(kafka, ctx.log);
  ControlResult result = trip.run(control, to_millis(wait_s), enough);
  if (!result.error.empty()) {
    std::fprintf(stderr, "atlasctl %s: %s\n", command, ctx.redactor.redact(result.error).c_str());
    return std::nullopt;
  }
  return result;
}

// The answer of the worker that took a control (`budget set`, `flush-cache`).
struct WorkerAnswer {
  std::string task_id;    // the control's
  nlohmann::json reply;   // the whole reply envelope
  std::string status;     // its metadata.status ("ok" when done)
  std::string worker_id;  // content.worker_id as table text ("-" when missing)
};

// Sends `control` and waits up to `wait_s` seconds for the first reply. When
// the control could not be sent or no worker answered in time, prints why on
// stderr (`no_reply_note` appended to the latter) and returns nullopt: the
// command then exits 1.
inline std::optional<WorkerAnswer> ask_worker(Context& ctx, const char* command,
                                              const KafkaSettings& kafka,
                                              const nlohmann::json& control, double wait_s,
                                              const char* no_reply_note = "") {
  const auto result = send_control(ctx, command, kafka, control, wait_s,
                                   [](const std::vector<ControlReply>& replies) { return !replies.empty(); });
  if (!result) return std::nullopt;
  if (result->replies.empty()) {
    std::fprintf(stderr, "atlasctl %s: no reply to %s within %.1f s: %s%s\n", command,
                 result->task_id.c_str(), wait_s, no_worker_hint(kafka).c_str(), no_reply_note);
    return std::nullopt;
  }
  WorkerAnswer answer;
  answer.task_id = result->task_id;
  answer.reply = result->replies.front().envelope;
  const nlohmann::json content = answer.reply.value("content", nlohmann::json::object());
  answer.status = answer.reply.value("metadata", nlohmann::json::object()).value("status", "");
  answer.worker_id =
      cell(content.is_object() ? content.value("worker_id", nlohmann::json()) : nlohmann::json());
  return answer;
}

}  // namespace atlas::ctl
