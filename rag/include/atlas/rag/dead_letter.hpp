#pragma once
// The dead-letter record for a docs.added event atlas-rag will not index
// (DESIGN section 4): the original value and key byte for byte, the original
// headers, and the atlas-* failure headers (atlas/failure_headers.hpp). Pure.
#include <chrono>
#include <string>
#include <string_view>

#include "atlas/kafka/message.hpp"
#include "atlas/kafka/producer.hpp"

namespace atlas::rag {

// Existing atlas-* failure headers of the message are replaced, others kept;
// `error` is cut at a UTF-8 boundary (kMaxErrorHeaderBytes).
[[nodiscard]] kafka::Record dead_letter_record(const kafka::Message& message,
                                               const std::string& dlq_topic,
                                               std::string_view error_class, std::string_view error,
                                               int attempts,
                                               std::chrono::system_clock::time_point failed_at);

}  // namespace atlas::rag
