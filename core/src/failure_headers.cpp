#include "atlas/failure_headers.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "atlas/utf8.hpp"

namespace atlas {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

constexpr std::array<std::string_view, 11> kFailureHeaderNames = {
    kHeaderOriginalTopic, kHeaderOriginalPartition, kHeaderOriginalOffset, kHeaderAttempts,
    kHeaderErrorClass,    kHeaderError,             kHeaderComponent,      kHeaderFailedAt,
    kHeaderDueAt,         kHeaderTargetTopic,       kHeaderDeliveredParts};

bool is_failure_header(std::string_view name) {
  return std::find(kFailureHeaderNames.begin(), kFailureHeaderNames.end(), name) !=
         kFailureHeaderNames.end();
}

template <class Int>
std::optional<Int> parse_integer(std::string_view text) {
  Int value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::string> last_value(const kafka::Headers& headers, std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [key, value] : headers) {
    if (key == name) found = value;
  }
  return found;
}

}  // namespace

std::string epoch_ms_text(system_clock::time_point t) {
  return std::to_string(std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count());
}

std::optional<system_clock::time_point> parse_epoch_ms(std::string_view text) {
  const auto ms = parse_integer<std::int64_t>(text);
  // Up to year 9999; negative times are garbage here.
  if (!ms || *ms < 0 || *ms > 253402300799999) return std::nullopt;
  return system_clock::time_point(milliseconds(*ms));
}

kafka::Headers failure_headers(const FailureHeaders& h) {
  std::string error = h.error;
  error.resize(utf8_prefix(error, kMaxErrorHeaderBytes).size());
  kafka::Headers out = {
      {std::string(kHeaderOriginalTopic), h.original_topic},
      {std::string(kHeaderOriginalPartition), std::to_string(h.original_partition)},
      {std::string(kHeaderOriginalOffset), std::to_string(h.original_offset)},
      {std::string(kHeaderAttempts), std::to_string(h.attempts)},
      {std::string(kHeaderErrorClass), h.error_class},
      {std::string(kHeaderError), std::move(error)},
      {std::string(kHeaderComponent), h.component},
  };
  if (h.failed_at) out.emplace_back(std::string(kHeaderFailedAt), epoch_ms_text(*h.failed_at));
  if (h.due_at) out.emplace_back(std::string(kHeaderDueAt), epoch_ms_text(*h.due_at));
  if (h.target_topic) out.emplace_back(std::string(kHeaderTargetTopic), *h.target_topic);
  if (h.delivered_parts > 0) {
    out.emplace_back(std::string(kHeaderDeliveredParts), std::to_string(h.delivered_parts));
  }
  return out;
}

kafka::Headers without_failure_headers(const kafka::Headers& existing) {
  kafka::Headers out;
  for (const auto& header : existing) {
    if (!is_failure_header(header.first)) out.push_back(header);
  }
  return out;
}

kafka::Headers with_failure_headers(const kafka::Headers& existing, const FailureHeaders& h) {
  kafka::Headers out = without_failure_headers(existing);
  for (auto& header : failure_headers(h)) out.push_back(std::move(header));
  return out;
}

ParsedFailureHeaders parse_failure_headers(const kafka::Headers& headers, int max_attempts) {
  ParsedFailureHeaders p;
  FailureHeaders& h = p.headers;
  p.present = std::any_of(headers.begin(), headers.end(),
                          [](const auto& header) { return is_failure_header(header.first); });

  if (auto v = last_value(headers, kHeaderOriginalTopic)) h.original_topic = *v;
  if (auto v = last_value(headers, kHeaderOriginalPartition)) {
    if (auto n = parse_integer<std::int32_t>(*v)) {
      h.original_partition = *n;
    } else {
      p.problems.push_back("atlas-original-partition='" + *v + "' is not a number: ignored");
    }
  }
  if (auto v = last_value(headers, kHeaderOriginalOffset)) {
    if (auto n = parse_integer<std::int64_t>(*v)) {
      h.original_offset = *n;
    } else {
      p.problems.push_back("atlas-original-offset='" + *v + "' is not a number: ignored");
    }
  }
  if (auto v = last_value(headers, kHeaderAttempts)) {
    const auto n = parse_integer<int>(*v);
    if (n && *n >= 0) {
      h.attempts = std::min(*n, std::max(max_attempts, 0) + 1000);
    } else {
      p.attempts_unreadable = true;
      h.attempts = max_attempts;
      p.problems.push_back("atlas-attempts='" + v->substr(0, 40) +
                           "' is not a count: treated as DELIVERY_MAX_ATTEMPTS, so the record is "
                           "dead-lettered");
    }
  }
  if (auto v = last_value(headers, kHeaderErrorClass)) h.error_class = *v;
  if (auto v = last_value(headers, kHeaderError)) h.error = *v;
  if (auto v = last_value(headers, kHeaderComponent)) h.component = *v;
  if (auto v = last_value(headers, kHeaderFailedAt)) {
    h.failed_at = parse_epoch_ms(*v);
    if (!h.failed_at) p.problems.push_back("atlas-failed-at='" + v->substr(0, 40) + "' is not epoch ms: ignored");
  }
  if (auto v = last_value(headers, kHeaderDueAt)) {
    h.due_at = parse_epoch_ms(*v);
    if (!h.due_at) p.problems.push_back("atlas-due-at='" + v->substr(0, 40) + "' is not epoch ms: due now");
  }
  if (auto v = last_value(headers, kHeaderTargetTopic); v && !v->empty()) h.target_topic = *v;
  if (auto v = last_value(headers, kHeaderDeliveredParts)) {
    const auto n = parse_integer<int>(*v);
    if (n && *n >= 0) {
      h.delivered_parts = *n;
    } else {
      p.problems.push_back("atlas-delivered-parts='" + v->substr(0, 40) + "' is not a count: 0");
    }
  }
  return p;
}

kafka::Record failure_record(const kafka::Message& message, std::string topic,
                             FailureHeaders h) {
  h.original_topic = message.topic;
  h.original_partition = message.partition;
  h.original_offset = message.offset;
  if (!h.failed_at) h.failed_at = std::chrono::system_clock::now();
  kafka::Record record;
  record.topic = std::move(topic);
  record.key = message.key;
  record.value = message.value;
  record.headers = with_failure_headers(message.headers, h);
  return record;
}

}  // namespace atlas
