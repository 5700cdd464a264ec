// The librdkafka configuration each Kafka client gets (pure: no broker).
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <set>
#include <string>

#include "atlas/kafka/error.hpp"
#include "atlas/kafka/handles.hpp"
#include "atlas/kafka/properties.hpp"

using namespace atlas::kafka;

namespace {

atlas::KafkaSettings settings_with(std::map<std::string, std::string> props) {
  atlas::KafkaSettings s;
  s.brokers = "b1:9092,b2:9092";
  s.properties = std::move(props);
  return s;
}

std::string value_of(const PropertyList& list, const std::string& name) {
  const std::string* v = find_property(list, name);
  REQUIRE_MESSAGE(v != nullptr, name);
  return *v;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const KafkaConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("kafka properties: producer is idempotent with acks=all and keeps the passthrough") {
  const auto list = producer_properties(
      settings_with({{"security.protocol", "SASL_SSL"}, {"linger.ms", "20"}}), "atlas-router");
  CHECK(value_of(list, "bootstrap.servers") == "b1:9092,b2:9092");
  CHECK(value_of(list, "client.id") == "atlas-router");
  CHECK(value_of(list, "enable.idempotence") == "true");
  CHECK(value_of(list, "acks") == "all");
  CHECK(value_of(list, "security.protocol") == "SASL_SSL");
  CHECK(value_of(list, "linger.ms") == "20");
  CHECK(value_of(list, "partitioner") == "murmur2_random");
  CHECK(value_of(list, "message.max.bytes") == std::string(kDefaultMessageMaxBytes));
  // Each name appears once.
  std::set<std::string> names;
  for (const auto& [n, v] : list) CHECK(names.insert(n).second);
}

TEST_CASE("kafka properties: the passthrough may override Atlas defaults") {
  const auto list = producer_properties(
      settings_with({{"partitioner", "consistent_random"}, {"message.max.bytes", "2000000"}}), "x");
  CHECK(value_of(list, "partitioner") == "consistent_random");
  CHECK(value_of(list, "message.max.bytes") == "2000000");
}

TEST_CASE("kafka properties: the producer refuses to weaken durability") {
  CHECK(error_of([] { producer_properties(settings_with({{"acks", "1"}}), "x"); })
            .find("KAFKA_PROPERTY_acks") != std::string::npos);
  CHECK(error_of([] { producer_properties(settings_with({{"enable.idempotence", "false"}}), "x"); })
            .find("KAFKA_PROPERTY_enable_idempotence") != std::string::npos);
  // Values that mean the same as Atlas' are accepted.
  CHECK_NOTHROW(producer_properties(settings_with({{"acks", "-1"}}), "x"));
  CHECK_NOTHROW(producer_properties(settings_with({{"enable.idempotence", "TRUE"}}), "x"));
}

TEST_CASE("kafka properties: consumer stores offsets itself and uses an eager assignor") {
  const auto list =
      consumer_properties(settings_with({{"session.timeout.ms", "10000"}}), "w1", "atlas-worker",
                          "earliest");
  CHECK(value_of(list, "group.id") == "atlas-worker");
  CHECK(value_of(list, "enable.auto.commit") == "true");
  CHECK(value_of(list, "enable.auto.offset.store") == "false");
  CHECK(value_of(list, "partition.assignment.strategy") == "range,roundrobin");
  CHECK(value_of(list, "auto.offset.reset") == "earliest");
  CHECK(value_of(list, "session.timeout.ms") == "10000");
  CHECK(value_of(list, "fetch.wait.max.ms") == "100");
  CHECK(find_property(list, "enable.idempotence") == nullptr);
}

TEST_CASE("kafka properties: consumer refuses settings that break G8 or rebalancing") {
  const auto refused = [](std::map<std::string, std::string> props) {
    return error_of([&] { consumer_properties(settings_with(props), "c", "g", "earliest"); });
  };
  CHECK(refused({{"enable.auto.offset.store", "true"}}).find("G8") != std::string::npos);
  CHECK(refused({{"enable.auto.commit", "false"}})
            .find("KAFKA_PROPERTY_enable_auto_commit") != std::string::npos);
  CHECK(refused({{"partition.assignment.strategy", "cooperative-sticky"}})
            .find("cooperative-sticky") != std::string::npos);
  CHECK(refused({{"partition.assignment.strategy", "range,cooperative-sticky"}}) != "");
  CHECK(refused({{"partition.assignment.strategy", " , "}}) != "");
  CHECK(refused({{"group.id", "other"}}).find("KAFKA_PROPERTY_group_id") != std::string::npos);
  CHECK(refused({{"partition.assignment.strategy", "roundrobin"}}) == "");
  CHECK(refused({{"enable.auto.offset.store", "false"}}) == "");
  CHECK(error_of([] { consumer_properties(settings_with({}), "c", " ", "earliest"); }) != "");
}

TEST_CASE("kafka properties: brokers come from KAFKA_BROKERS only") {
  atlas::KafkaSettings empty;
  empty.brokers = "  ";
  CHECK(error_of([&] { admin_properties(empty, "x"); }).find("KAFKA_BROKERS is empty") !=
        std::string::npos);
  CHECK(error_of([] { admin_properties(settings_with({{"bootstrap.servers", "h:1"}}), "x"); })
            .find("set KAFKA_BROKERS instead") != std::string::npos);
}

TEST_CASE("kafka properties: property_variable names the environment variable") {
  CHECK(property_variable("sasl.username") == "KAFKA_PROPERTY_sasl_username");
  CHECK(property_variable("acks") == "KAFKA_PROPERTY_acks");
}

TEST_CASE("kafka conf: librdkafka's refusal names the property and its reason") {
  const std::string unknown = error_of([] { make_conf({{"no.such.property", "1"}}); });
  CHECK(unknown.find("no.such.property") != std::string::npos);
  CHECK(unknown.find("KAFKA_PROPERTY_no_such_property") != std::string::npos);
  CHECK(unknown.find("No such configuration property") != std::string::npos);

  const std::string bad_value = error_of([] { make_conf({{"acks", "sometimes"}}); });
  CHECK(bad_value.find("\"acks\"") != std::string::npos);
  CHECK(bad_value.find("Invalid value") != std::string::npos);

  // Every property Atlas itself produces is accepted by librdkafka 2.0.2.
  CHECK_NOTHROW(make_conf(producer_properties(settings_with({}), "x")));
  CHECK_NOTHROW(make_conf(consumer_properties(settings_with({}), "x", "g", "earliest")));
}
