#include "atlas/kafka/properties.hpp"

#include <algorithm>
#include <cctype>

#include "atlas/kafka/error.hpp"
#include "atlas/text.hpp"

namespace atlas::kafka {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}


bool is_true(std::string_view v) {
  const auto l = lower(trim(v));
  return l == "true" || l == "t" || l == "1";
}
bool is_false(std::string_view v) {
  const auto l = lower(trim(v));
  return l == "false" || l == "f" || l == "0";
}

void set(PropertyList& list, std::string_view name, std::string value) {
  for (auto& [n, v] : list) {
    if (n == name) {
      v = std::move(value);
      return;
    }
  }
  list.emplace_back(std::string(name), std::move(value));
}

std::string refused(std::string_view name, std::string_view why) {
  return "Kafka property \"" + std::string(name) + "\" (" + property_variable(name) +
         ") cannot be set: " + std::string(why);
}

// Start of every list: brokers, client id, then the passthrough (minus what
// Atlas sets itself, checked by the callers).
PropertyList base(const KafkaSettings& settings, std::string_view client_id) {
  if (trim(settings.brokers).empty()) {
    throw KafkaConfigError("KAFKA_BROKERS is empty: set it to host:port[,host:port]");
  }
  if (settings.properties.contains("bootstrap.servers")) {
    throw KafkaConfigError(refused("bootstrap.servers", "set KAFKA_BROKERS instead"));
  }
  PropertyList list;
  set(list, "bootstrap.servers", std::string(trim(settings.brokers)));
  set(list, "client.id", std::string(client_id));
  // Idle connections closed by the broker are normal; do not log them.
  set(list, "log.connection.close", "false");
  return list;
}

void add_passthrough(PropertyList& list, const KafkaSettings& settings) {
  for (const auto& [name, value] : settings.properties) set(list, name, value);
}

}  // namespace

std::string property_variable(std::string_view name) {
  std::string out = "KAFKA_PROPERTY_";
  for (const char c : name) out.push_back(c == '.' ? '_' : c);
  return out;
}

const std::string* find_property(const PropertyList& list, std::string_view name) {
  for (const auto& [n, v] : list) {
    if (n == name) return &v;
  }
  return nullptr;
}

PropertyList producer_properties(const KafkaSettings& settings, std::string_view client_id) {
  PropertyList list = base(settings, client_id);
  // Same partition for a key as the Java client (murmur2), so producers in
  // other languages agree on where a task_id lands.
  set(list, "partitioner", "murmur2_random");
  set(list, "message.max.bytes", std::string(kDefaultMessageMaxBytes));
  add_passthrough(list, settings);

  if (const auto it = settings.properties.find("enable.idempotence");
      it != settings.properties.end() && !is_true(it->second)) {
    throw KafkaConfigError(refused(
        "enable.idempotence", "Atlas needs the idempotent producer (no duplicates or reordering "
                              "on retries); remove the variable"));
  }
  if (const auto it = settings.properties.find("acks"); it != settings.properties.end()) {
    const auto v = lower(trim(it->second));
    if (v != "all" && v != "-1") {
      throw KafkaConfigError(refused(
          "acks", "Atlas answers a webhook only once every in-sync replica has the message "
                  "(DESIGN G1), which needs acks=all; remove the variable"));
    }
  }
  set(list, "enable.idempotence", "true");
  set(list, "acks", "all");
  return list;
}

PropertyList consumer_properties(const KafkaSettings& settings, std::string_view client_id,
                                 std::string_view group_id, std::string_view auto_offset_reset) {
  if (trim(group_id).empty()) {
    throw KafkaConfigError("Kafka consumer group id is empty: the component must name its group");
  }
  PropertyList list = base(settings, client_id);
  set(list, "auto.offset.reset", std::string(auto_offset_reset));
  set(list, "partition.assignment.strategy", "range,roundrobin");
  // Pausing at max_inflight drops the prefetched messages, and a resumed
  // partition waits for the broker's outstanding long-poll fetch: keep that
  // wait short so a pause/resume cycle costs ~100 ms, not 500 ms.
  set(list, "fetch.wait.max.ms", "100");
  add_passthrough(list, settings);

  const auto& props = settings.properties;
  if (props.contains("group.id")) {
    throw KafkaConfigError(refused("group.id", "each component names its own consumer group"));
  }
  if (const auto it = props.find("enable.auto.offset.store");
      it != props.end() && !is_false(it->second)) {
    throw KafkaConfigError(refused(
        "enable.auto.offset.store",
        "Atlas stores offsets itself, only up to the lowest unfinished message (DESIGN G8); "
        "remove the variable"));
  }
  if (const auto it = props.find("enable.auto.commit"); it != props.end() && !is_true(it->second)) {
    throw KafkaConfigError(refused(
        "enable.auto.commit",
        "Atlas relies on auto-commit of the offsets it stores; remove the variable (tune "
        "auto.commit.interval.ms instead)"));
  }
  if (const auto it = props.find("partition.assignment.strategy"); it != props.end()) {
    std::string_view rest = it->second;
    bool any = false;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const auto item = lower(trim(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (item.empty()) continue;
      any = true;
      if (item != "range" && item != "roundrobin") {
        throw KafkaConfigError(refused(
            "partition.assignment.strategy",
            "only the eager assignors range and roundrobin are supported (cooperative-sticky "
            "is unreliable in librdkafka 2.0.2); got \"" + it->second + "\""));
      }
    }
    if (!any) {
      throw KafkaConfigError(refused("partition.assignment.strategy",
                                     "the value is empty; use range, roundrobin or both"));
    }
  }
  set(list, "group.id", std::string(group_id));
  set(list, "enable.auto.commit", "true");
  set(list, "enable.auto.offset.store", "false");
  return list;
}

PropertyList admin_properties(const KafkaSettings& settings, std::string_view client_id) {
  PropertyList list = base(settings, client_id);
  add_passthrough(list, settings);
  return list;
}

}  // namespace atlas::kafka
