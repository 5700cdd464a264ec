#pragma once
// Errors the Kafka adapters throw. They are thrown only from constructors and
// from calls made on the caller's thread, never from librdkafka callbacks
// (those log through the Logger instead).
#include <stdexcept>
#include <string>

namespace atlas::kafka {

// A Kafka operation failed (broker unreachable, metadata timed out, ...).
class KafkaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The client configuration was refused: a property librdkafka does not know
// or whose value it rejects, or a passthrough property that would break a
// guarantee Atlas relies on. The message names the property.
class KafkaConfigError : public KafkaError {
 public:
  using KafkaError::KafkaError;
};

}  // namespace atlas::kafka
