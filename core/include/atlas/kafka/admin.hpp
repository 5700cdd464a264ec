#pragma once
// Read-only cluster inspection for `atlasctl doctor` / `status` and tests:
// brokers and topics (metadata), and a consumer group's committed offsets
// with lag. Every call has a time-out and throws KafkaError when the cluster
// does not answer in time.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "atlas/config.hpp"
#include "atlas/log.hpp"

namespace atlas::kafka {

struct BrokerInfo {
  std::int32_t id = -1;
  std::string host;
  int port = 0;
};

struct TopicInfo {
  std::string name;
  int partitions = 0;
  std::string error;  // empty, or why the broker could not describe the topic
};

struct ClusterInfo {
  std::vector<BrokerInfo> brokers;
  std::vector<TopicInfo> topics;  // sorted by name

  [[nodiscard]] const TopicInfo* topic(const std::string& name) const;
};

struct PartitionOffsets {
  std::int32_t partition = -1;
  std::optional<std::int64_t> committed;  // nullopt: the group has no offset for it
  std::int64_t low = -1;                  // log start offset
  std::int64_t high = -1;                 // high watermark (next offset to be written)
  // high - committed (high - low when nothing is committed).
  [[nodiscard]] std::int64_t lag() const;
};

class Admin {
 public:
  // Throws KafkaConfigError / KafkaError. Connecting is lazy: the
  // constructor succeeds even when no broker is reachable.
  Admin(const KafkaSettings& settings, std::string client_id, Logger& logger);
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // Brokers and every topic with its partition count. Throws KafkaError
  // ("no Kafka broker answered within N ms: check KAFKA_BROKERS") on time-out.
  ClusterInfo describe_cluster(std::chrono::milliseconds timeout);

  // Committed offset and watermarks of every partition of `topic` for
  // consumer group `group`. Throws KafkaError when the topic is unknown or
  // the cluster does not answer in time.
  std::vector<PartitionOffsets> group_offsets(const std::string& group, const std::string& topic,
                                              std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace atlas::kafka
