#include "atlas/rag/dead_letter.hpp"

#include "atlas/failure_headers.hpp"

namespace atlas::rag {

kafka::Record dead_letter_record(const kafka::Message& message, const std::string& dlq_topic,
                                 std::string_view error_class, std::string_view error,
                                 int attempts, std::chrono::system_clock::time_point failed_at) {
  FailureHeaders failure;
  failure.original_topic = message.topic;
  failure.original_partition = message.partition;
  failure.original_offset = message.offset;
  failure.attempts = attempts;
  failure.error_class = std::string(error_class);
  failure.error = std::string(error);
  failure.component = "atlas-rag";
  failure.failed_at = failed_at;

  kafka::Record record;
  record.topic = dlq_topic;
  record.key = message.key;
  record.value = message.value;
  record.headers = with_failure_headers(message.headers, failure);
  return record;
}

}  // namespace atlas::rag
