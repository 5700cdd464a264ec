// atlasctl publish TEXT: a chat envelope to architect_in, acknowledged by the
// broker (acks=all) before the task_id is printed.
#include <cstdio>
#include <string>

#include "atlas/config.hpp"
#include "atlas/envelope.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/utf8.hpp"
#include "atlas/uuid.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace atlas::ctl {
namespace {

constexpr const char* kUsage =
    "usage: atlasctl publish [--topic TOPIC] [--origin-json JSON] [--timeout SECONDS] TEXT\n"
    "       atlasctl publish [options] -          (read TEXT from standard input)\n"
    "\n"
    "Publishes a chat request to architect_in (KAFKA_TOPIC_IN) and prints its task_id\n"
    "once the broker has acknowledged it. TEXT is carried byte for byte.\n"
    "  --topic TOPIC        publish to TOPIC instead of KAFKA_TOPIC_IN\n"
    "  --origin-json JSON   metadata.origin (default {\"kind\":\"cli\"})\n"
    "  --timeout SECONDS    how long to wait for the broker (default 30)\n";

// Reads standard input up to one byte past the envelope limit (a larger text
// cannot make a valid envelope anyway).
std::string read_stdin() {
  std::string out;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    out.append(buf, n);
    if (out.size() > kMaxEnvelopeBytes) break;
  }
  return out;
}

}  // namespace

int cmd_publish(const std::vector<std::string>& args, Context& ctx) {
  std::string topic;
  std::string text;
  bool have_text = false;
  nlohmann::json origin = {{"kind", "cli"}};
  int timeout_s = 30;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--topic") {
      topic = flag_value(args, i, "--topic");
    } else if (a == "--origin-json") {
      origin = nlohmann::json::parse(flag_value(args, i, "--origin-json"), nullptr, false);
      if (!origin.is_object()) throw ConfigError({"--origin-json must be a JSON object"});
    } else if (a == "--timeout") {
      try {
        timeout_s = std::stoi(flag_value(args, i, "--timeout"));
      } catch (const std::exception&) {
        throw ConfigError({"--timeout must be a whole number of seconds"});
      }
    } else if (a == "-" && !have_text) {
      text = read_stdin();
      have_text = true;
    } else if (a.rfind("--", 0) == 0 && !have_text) {
      throw ConfigError({"unknown option " + a + " (see atlasctl publish --help)"});
    } else if (!have_text) {
      text = a;
      have_text = true;
    } else {
      throw ConfigError({"publish takes one TEXT argument; quote it: atlasctl publish \"...\""});
    }
  }
  if (!have_text || text.empty()) {
    std::fputs(kUsage, stderr);
    return kExitInvalid;
  }
  if (auto bad = validate_utf8(text)) {
    std::fprintf(stderr, "atlasctl publish: TEXT is not valid: %s\n", bad->describe().c_str());
    return kExitInvalid;
  }

  const CommonConfig common = load_common_config(ctx);
  if (topic.empty()) topic = common.kafka.topic_in;

  const Envelope chat = make_chat(text, origin, Uuid::random_v4());
  const std::string value = serialize(chat);
  if (const auto check = parse_envelope(value); !check) {
    std::fprintf(stderr, "atlasctl publish: the request would be invalid: %s\n",
                 check.error().describe().c_str());
    return kExitInvalid;
  }

  kafka::Producer producer(common.kafka, "atlasctl", ctx.log);
  const auto result =
      producer.produce_sync({topic, chat.kafka_key(), value, {}, std::nullopt},
                            std::chrono::seconds(timeout_s));
  if (!result.ok) {
    std::fprintf(stderr, "atlasctl publish: not acknowledged by %s: %s\n",
                 common.kafka.brokers.c_str(), ctx.redactor.redact(result.error).c_str());
    return kExitError;
  }
  ctx.log.info("published", {{"task_id", chat.task_id},
                             {"topic", result.topic},
                             {"partition", result.partition},
                             {"offset", result.offset}});
  std::printf("%s\n", chat.task_id.c_str());
  return kExitOk;
}

}  // namespace atlas::ctl
