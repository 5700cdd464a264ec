#include "atlas/rag/dead_letter.hpp"

#include <algorithm>
#include <array>

namespace atlas::rag {
namespace {

constexpr std::array<std::string_view, 10> kFailureHeaders = {
    "atlas-original-topic", "atlas-original-partition", "atlas-original-offset",
    "atlas-attempts",       "atlas-error-class",        "atlas-error",
    "atlas-component",      "atlas-failed-at",          "atlas-due-at",
    "atlas-target-topic"};

std::string cut_utf8(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0u) == 0x80u) --end;
  return std::string(text.substr(0, end));
}

}  // namespace

kafka::Record dead_letter_record(const kafka::Message& message, const std::string& dlq_topic,
                                 std::string_view error_class, std::string_view error,
                                 int attempts, std::chrono::system_clock::time_point failed_at) {
  kafka::Record record;
  record.topic = dlq_topic;
  record.key = message.key;
  record.value = message.value;
  for (const auto& [name, value] : message.headers) {
    if (std::find(kFailureHeaders.begin(), kFailureHeaders.end(), name) == kFailureHeaders.end()) {
      record.headers.emplace_back(name, value);
    }
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(failed_at.time_since_epoch()).count();
  record.headers.emplace_back("atlas-original-topic", message.topic);
  record.headers.emplace_back("atlas-original-partition", std::to_string(message.partition));
  record.headers.emplace_back("atlas-original-offset", std::to_string(message.offset));
  record.headers.emplace_back("atlas-attempts", std::to_string(attempts));
  record.headers.emplace_back("atlas-error-class", std::string(error_class));
  record.headers.emplace_back("atlas-error", cut_utf8(error, kMaxErrorHeaderBytes));
  record.headers.emplace_back("atlas-component", "atlas-rag");
  record.headers.emplace_back("atlas-failed-at", std::to_string(ms));
  return record;
}

}  // namespace atlas::rag
