#pragma once
// The headers of retry and dead-letter records (DESIGN section 4). The value
// is never touched (kept byte for byte); these headers say where it came
// from, how often it failed, why, and -- for retries -- when and where to
// re-inject it. Times are epoch milliseconds in decimal.
//
// Parsing is tolerant, because the headers are external input: a retry
// record without a readable atlas-due-at is due now; an unreadable
// atlas-attempts counts as max_attempts (so the record goes to the dead-letter
// topic instead of looping); every such repair is listed in `problems`.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/kafka/message.hpp"
#include "atlas/kafka/producer.hpp"

namespace atlas {

inline constexpr std::string_view kHeaderOriginalTopic = "atlas-original-topic";
inline constexpr std::string_view kHeaderOriginalPartition = "atlas-original-partition";
inline constexpr std::string_view kHeaderOriginalOffset = "atlas-original-offset";
inline constexpr std::string_view kHeaderAttempts = "atlas-attempts";
inline constexpr std::string_view kHeaderErrorClass = "atlas-error-class";
inline constexpr std::string_view kHeaderError = "atlas-error";
inline constexpr std::string_view kHeaderComponent = "atlas-component";
inline constexpr std::string_view kHeaderFailedAt = "atlas-failed-at";
inline constexpr std::string_view kHeaderDueAt = "atlas-due-at";
inline constexpr std::string_view kHeaderTargetTopic = "atlas-target-topic";
// The router's addition: Slack parts already posted, so a retry of a
// multi-part reply resumes after them.
inline constexpr std::string_view kHeaderDeliveredParts = "atlas-delivered-parts";

// atlas-error is cut to this many bytes (at a UTF-8 boundary).
inline constexpr std::size_t kMaxErrorHeaderBytes = 1000;

struct FailureHeaders {
  std::string original_topic;
  std::int32_t original_partition = -1;
  std::int64_t original_offset = -1;
  int attempts = 0;                  // failed attempts so far
  std::string error_class;           // invalid_input, budget, llm_unavailable, delivery_failed, ...
  std::string error;                 // human-readable
  std::string component;             // atlas-router, atlas-worker
  std::optional<std::chrono::system_clock::time_point> failed_at;
  std::optional<std::chrono::system_clock::time_point> due_at;  // retries only
  std::optional<std::string> target_topic;                      // retries only
  int delivered_parts = 0;           // written only when > 0

  friend bool operator==(const FailureHeaders&, const FailureHeaders&) = default;
};

// The atlas-* headers for `h`, in the order above.
[[nodiscard]] kafka::Headers failure_headers(const FailureHeaders& h);

// `existing` without any header named above, then failure_headers(h): other
// headers (trace context, ...) survive, failure headers are replaced, never doubled.
[[nodiscard]] kafka::Headers with_failure_headers(const kafka::Headers& existing,
                                                  const FailureHeaders& h);

// `existing` without any header named above (a replayed dead letter starts afresh).
[[nodiscard]] kafka::Headers without_failure_headers(const kafka::Headers& existing);

struct ParsedFailureHeaders {
  FailureHeaders headers;
  bool present = false;              // at least one failure header was found
  bool attempts_unreadable = false;  // atlas-attempts was present but garbage
  std::vector<std::string> problems; // each repair made, for the log
};

// Reads the failure headers (the last value of a repeated name wins).
[[nodiscard]] ParsedFailureHeaders parse_failure_headers(const kafka::Headers& headers,
                                                         int max_attempts);

// A retry or dead-letter record for `message`, published to `topic`: key and
// value byte for byte, the message's headers with the failure headers of `h`
// (original topic, partition and offset are taken from the message; a
// failed_at left empty becomes now).
[[nodiscard]] kafka::Record failure_record(const kafka::Message& message, std::string topic,
                                           FailureHeaders h);

// Epoch milliseconds <-> time points.
[[nodiscard]] std::string epoch_ms_text(std::chrono::system_clock::time_point t);
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_epoch_ms(
    std::string_view text);

}  // namespace atlas
