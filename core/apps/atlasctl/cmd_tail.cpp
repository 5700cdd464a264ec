// atlasctl tail: print architect_out messages as JSON lines.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "atlas/config.hpp"
#include "atlas/envelope.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/stop_signals.hpp"
#include "atlas/uuid.hpp"
#include "commands.hpp"

namespace atlas::ctl {
namespace {

constexpr const char* kUsage =
    "usage: atlasctl tail [--follow] [--topic TOPIC] [--new] [--max N] [--timeout SECONDS]\n"
    "\n"
    "Prints the messages on architect_out (KAFKA_TOPIC_OUT), one JSON envelope a line.\n"
    "Without --follow it stops once it has caught up with the topic.\n"
    "  -f, --follow        keep printing new messages until interrupted (Ctrl-C)\n"
    "  --topic TOPIC       read TOPIC instead\n"
    "  --new               start at the end of the topic instead of the beginning\n"
    "  --max N             stop after N messages\n"
    "  --timeout SECONDS   without --follow, give up after this long (default 60)\n"
    "  --with-meta         wrap each line: {\"topic\",\"partition\",\"offset\",\"key\",\"value\"}\n"
    "\n"
    "tail reads with a consumer group of its own (atlasctl-tail-<uuid>), so it never\n"
    "takes messages away from the router or the workers.\n";

// Stops `consumer` when SIGINT/SIGTERM arrives (a thread waits for it; no
// work in a signal handler). Construct the StopSignals before the consumer,
// so librdkafka's threads inherit the blocked signals.
class SignalStopper {
 public:
  SignalStopper(StopSignals& signals, kafka::Consumer& consumer)
      : signals_(signals), thread_([&signals, &consumer] {
          if (signals.wait() != 0) consumer.stop();
        }) {}
  ~SignalStopper() {
    signals_.wake();
    thread_.join();
  }
  SignalStopper(const SignalStopper&) = delete;
  SignalStopper& operator=(const SignalStopper&) = delete;

 private:
  StopSignals& signals_;
  std::thread thread_;
};

}  // namespace

int cmd_tail(const std::vector<std::string>& args, Context& ctx) {
  bool follow = false;
  bool from_end = false;
  bool with_meta = false;
  std::string topic;
  long max = -1;
  int timeout_s = 60;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto number = [&](const char* flag) -> long {
      if (i + 1 >= args.size()) throw ConfigError({std::string(flag) + " needs a value"});
      try {
        return std::stol(args[++i]);
      } catch (const std::exception&) {
        throw ConfigError({std::string(flag) + " needs a whole number"});
      }
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--follow" || a == "-f") {
      follow = true;
    } else if (a == "--new") {
      from_end = true;
    } else if (a == "--with-meta") {
      with_meta = true;
    } else if (a == "--topic") {
      if (i + 1 >= args.size()) throw ConfigError({"--topic needs a value"});
      topic = args[++i];
    } else if (a == "--max") {
      max = number("--max");
    } else if (a == "--timeout") {
      timeout_s = static_cast<int>(number("--timeout"));
    } else {
      std::fprintf(stderr, "atlasctl tail: unknown argument '%s'\n\n%s", a.c_str(), kUsage);
      return kExitInvalid;
    }
  }

  ConfigReader reader(ctx.env, ctx.redactor);
  const CommonConfig common = CommonConfig::load(reader);
  reader.finish();
  if (topic.empty()) topic = common.kafka.topic_out;

  kafka::ConsumerOptions options;
  options.group_id = "atlasctl-tail-" + Uuid::random_v4().to_string();
  options.topics = {topic};
  options.client_id = "atlasctl";
  options.auto_offset_reset = from_end ? "latest" : "earliest";
  options.max_inflight = 1024;
  StopSignals signals;
  kafka::Consumer consumer(common.kafka, options, ctx.log);
  SignalStopper stopper(signals, consumer);

  std::atomic<long> printed{0};
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };

  // Without --follow a watcher stops the consumer once it has caught up with
  // the topic, or at the time-out.
  std::atomic<bool> timed_out{false};
  std::atomic<bool> finished{false};
  std::thread watcher;
  if (!follow) {
    watcher = std::thread([&] {
      const auto start = now_ms();
      while (!finished.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const auto stats = consumer.stats();
        // Caught up: every partition fetched, nothing behind, nothing unprinted.
        if (stats.assigned_partitions > 0 && stats.lag == 0 && stats.inflight == 0) break;
        if (now_ms() - start > timeout_s * 1000L) {
          timed_out = true;
          break;
        }
      }
      consumer.stop();
    });
  }

  consumer.run([&](kafka::Message msg, kafka::Completion done) {
    if (max >= 0 && printed.load() >= max) {
      done();
      return;
    }
    nlohmann::json value = nlohmann::json::parse(msg.value, nullptr, false);
    std::string line;
    if (with_meta) {
      nlohmann::json wrapped = {{"topic", msg.topic},
                                {"partition", msg.partition},
                                {"offset", msg.offset},
                                {"key", msg.key ? nlohmann::json(*msg.key) : nlohmann::json()}};
      wrapped["value"] = value.is_discarded() ? nlohmann::json(msg.value) : value;
      line = wrapped.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else if (value.is_discarded()) {
      std::fprintf(stderr, "atlasctl tail: %s[%d]@%lld is not JSON (%zu bytes)\n",
                   msg.topic.c_str(), msg.partition, static_cast<long long>(msg.offset),
                   msg.value.size());
    } else {
      line = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    if (!line.empty()) {
      std::fprintf(stdout, "%s\n", line.c_str());
      std::fflush(stdout);
      ++printed;
    }
    done();
    if (max >= 0 && printed.load() >= max) consumer.stop();
  });
  finished = true;
  if (watcher.joinable()) watcher.join();
  if (timed_out && printed.load() == 0) {
    std::fprintf(stderr, "atlasctl tail: nothing read from %s within %d s (is %s reachable?)\n",
                 topic.c_str(), timeout_s, common.kafka.brokers.c_str());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace atlas::ctl
