#pragma once
// RAII holders for librdkafka's C handles (one unique_ptr with a deleter per
// kind), the calls that create configurations and clients with every error
// checked, and a copy of a message's headers. Used by the adapters in this
// directory (and atlasctl dlq, which reads the dead-letter topic directly); components use
// Producer, Consumer and Admin instead.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "atlas/kafka/properties.hpp"

namespace atlas::kafka {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* p) const noexcept { rd_kafka_conf_destroy(p); }
};
struct HandleDeleter {
  void operator()(rd_kafka_t* p) const noexcept { rd_kafka_destroy(p); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* p) const noexcept {
    rd_kafka_topic_partition_list_destroy(p);
  }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* p) const noexcept { rd_kafka_message_destroy(p); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* p) const noexcept { rd_kafka_queue_destroy(p); }
};
struct HeadersDeleter {
  void operator()(rd_kafka_headers_t* p) const noexcept { rd_kafka_headers_destroy(p); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* p) const noexcept { rd_kafka_metadata_destroy(p); }
};
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* p) const noexcept { rd_kafka_error_destroy(p); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* p) const noexcept { rd_kafka_topic_destroy(p); }
};

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

// A configuration with every property of `list` set. Throws KafkaConfigError
// naming the property and quoting librdkafka's reason when one is refused.
ConfPtr make_conf(const PropertyList& list);

// Sets one property; throws KafkaConfigError like make_conf.
void set_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value);

// Creates a client. rd_kafka_new takes ownership of `conf` when it succeeds
// (so `conf` is released here); when it fails `conf` is destroyed and
// KafkaError carries librdkafka's reason.
HandlePtr make_handle(rd_kafka_type_t type, ConfPtr conf);

// The headers of a consumed message as (name, value bytes) pairs, in record
// order; a header without a value gets an empty string. Empty when it has none.
std::vector<std::pair<std::string, std::string>> message_headers(const rd_kafka_message_t& msg);

}  // namespace atlas::kafka
