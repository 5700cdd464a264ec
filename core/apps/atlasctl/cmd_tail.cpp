// atlasctl tail: print architect_out messages as JSON lines.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>

#include "atlas/config.hpp"
#include "atlas/envelope.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/stop_signals.hpp"
#include "atlas/uuid.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace atlas::ctl {
namespace {

// Epoch milliseconds as 2025-06-10T14:03:07.123Z.
std::string iso_utc(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int the format could print (-Wformat-truncation)
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

constexpr const char* kUsage =
    "usage: atlasctl tail [--follow] [--format raw|table|json] [--task ID] [--topic TOPIC]\n"
    "                     [--new] [--max N] [--timeout SECONDS] [--with-meta]\n"
    "\n"
    "Prints the messages on architect_out (KAFKA_TOPIC_OUT), one a line.\n"
    "Without --follow it stops once it has caught up with the topic.\n"
    "  --format raw        each envelope as it travels, one JSON line (the default)\n"
    "  --format table      readable: time, msg_type, status, task id (or -> the request\n"
    "                      it answers), model, tokens, first line of the content\n"
    "  --format json       the same fields as one JSON object a line, for scripts\n"
    "  --task ID           only messages whose task_id or metadata.parent_id is ID\n"
    "                      (a request's replies: --task REQUEST_ID --max 1)\n"
    "  -f, --follow        keep printing new messages until interrupted (Ctrl-C)\n"
    "  --topic TOPIC       read TOPIC instead\n"
    "  --new               start at the end of the topic instead of the beginning\n"
    "  --max N             stop after N messages\n"
    "  --timeout SECONDS   without --follow, give up after this long (default 60)\n"
    "  --with-meta         raw format: wrap each line: {\"topic\",\"partition\",\"offset\",\"key\",\"value\"}\n"
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

// --format table|json: what a person wants to see of one message.
nlohmann::json summarize(const kafka::Message& msg, const nlohmann::json& value) {
  nlohmann::json s = {{"time", msg.timestamp_ms ? nlohmann::json(iso_utc(*msg.timestamp_ms)) : nlohmann::json()},
                      {"topic", msg.topic},
                      {"partition", msg.partition},
                      {"offset", msg.offset}};
  if (!value.is_object()) {
    s["error"] = "not JSON (" + std::to_string(msg.value.size()) + " bytes)";
    return s;
  }
  const nlohmann::json metadata = value.value("metadata", nlohmann::json::object());
  const nlohmann::json content = value.value("content", nlohmann::json());
  s["task_id"] = value.value("task_id", nlohmann::json());
  s["parent_id"] = metadata.is_object() ? metadata.value("parent_id", nlohmann::json()) : nlohmann::json();
  s["msg_type"] = value.value("msg_type", nlohmann::json());
  s["status"] = metadata.is_object() ? metadata.value("status", nlohmann::json()) : nlohmann::json();
  s["model"] = metadata.is_object() ? metadata.value("model", nlohmann::json()) : nlohmann::json();
  s["tokens"] = metadata.is_object() ? metadata.value("tokens", nlohmann::json()) : nlohmann::json();
  if (content.is_string()) {
    s["content"] = first_line(content.get<std::string>(), 100);
  } else if (content.is_object()) {
    // Control messages: the command and who answered, not the whole object.
    std::string text = cell(content.value("command", nlohmann::json()));
    for (const char* key : {"worker_id", "tokens_per_run", "reason", "failed_task_id"}) {
      if (content.contains(key)) text += std::string(" ") + key + "=" + cell(content[key]);
    }
    s["content"] = text;
  } else {
    s["content"] = nullptr;
  }
  return s;
}

// One fixed-width line of the table (columns cannot be measured in advance
// when following a stream).
std::string table_line(const nlohmann::json& s) {
  auto pad = [](std::string text, std::size_t width) {
    const std::size_t w = display_width(text);
    if (w < width) text.append(width - w, ' ');
    return text + "  ";
  };
  if (s.contains("error")) {
    return pad(cell(s["time"]), 24) + s["topic"].get<std::string>() + "[" +
           std::to_string(s["partition"].get<int>()) + "]@" + std::to_string(s["offset"].get<std::int64_t>()) +
           ": " + s["error"].get<std::string>();
  }
  const std::string id = s["parent_id"].is_string() ? "-> " + s["parent_id"].get<std::string>()
                                                    : cell(s["task_id"]);
  return pad(cell(s["time"]), 24) + pad(cell(s["msg_type"]), 7) + pad(cell(s["status"]), 15) +
         pad(id, 39) + pad(cell(s["model"]), 18) + pad(cell(s["tokens"]), 6) + cell(s["content"]);
}

}  // namespace

int cmd_tail(const std::vector<std::string>& args, Context& ctx) {
  bool follow = false;
  bool from_end = false;
  bool with_meta = false;
  std::string format = "raw";
  std::string only_task;
  std::string topic;
  long max = -1;
  int timeout_s = 60;
  const auto stop = read_args(args, "tail", kUsage, nullptr,
                              [&](const std::vector<std::string>& all, std::size_t& i) {
    const std::string& a = all[i];
    auto number = [&](const char* flag) -> long {
      if (i + 1 >= all.size()) throw ConfigError({std::string(flag) + " needs a value"});
      try {
        return std::stol(all[++i]);
      } catch (const std::exception&) {
        throw ConfigError({std::string(flag) + " needs a whole number"});
      }
    };
    if (a == "--follow" || a == "-f") {
      follow = true;
    } else if (a == "--new") {
      from_end = true;
    } else if (a == "--with-meta") {
      with_meta = true;
    } else if (a == "--format") {
      format = flag_value(all, i, "--format");
      if (format != "raw" && format != "table" && format != "json") {
        throw ConfigError({"--format '" + format + "' is not known: use raw, table or json"});
      }
    } else if (a == "--task") {
      const std::string& text = flag_value(all, i, "--task");
      const auto id = Uuid::parse(text);
      if (!id) throw ConfigError({"--task '" + text + "' is not a task_id (UUID)"});
      only_task = id->to_string();
    } else if (a == "--topic") {
      topic = flag_value(all, i, "--topic");
    } else if (a == "--max") {
      max = number("--max");
    } else if (a == "--timeout") {
      timeout_s = static_cast<int>(number("--timeout"));
    } else {
      return ArgUse::unknown;
    }
    return ArgUse::taken;
  });
  if (stop) return *stop;

  const CommonConfig common = load_common_config(ctx);
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

  if (format == "table") {
    std::printf("%-24s  %-7s  %-15s  %-39s  %-18s  %-6s  %s\n", "TIME", "TYPE", "STATUS",
                "TASK_ID (-> REPLY TO)", "MODEL", "TOKENS", "CONTENT");
    std::fflush(stdout);
  }
  consumer.run([&](kafka::Message msg, kafka::Completion done) {
    if (max >= 0 && printed.load() >= max) {
      done();
      return;
    }
    nlohmann::json value = nlohmann::json::parse(msg.value, nullptr, false);
    if (!only_task.empty()) {
      // Keep the request itself and everything that answers or escalates it.
      const bool is_object = value.is_object();
      const nlohmann::json metadata =
          is_object ? value.value("metadata", nlohmann::json::object()) : nlohmann::json();
      const bool match =
          is_object && (value.value("task_id", nlohmann::json()) == only_task ||
                        (metadata.is_object() && metadata.value("parent_id", nlohmann::json()) == only_task));
      if (!match) {
        done();
        return;
      }
    }
    std::string line;
    if (format == "table" || format == "json") {
      const nlohmann::json summary = summarize(msg, value);
      line = format == "json" ? summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                              : table_line(summary);
    } else if (with_meta) {
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
