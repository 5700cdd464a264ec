#include <doctest/doctest.h>

#include <algorithm>

#include "atlas/failure_headers.hpp"

using namespace std::chrono_literals;
using atlas::FailureHeaders;
using atlas::parse_failure_headers;

namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));

FailureHeaders sample() {
  FailureHeaders h;
  h.original_topic = "architect_out";
  h.original_partition = 3;
  h.original_offset = 12345;
  h.attempts = 2;
  h.error_class = "delivery_failed";
  h.error = "HTTP 500 from Slack";
  h.component = "atlas-router";
  h.failed_at = kNow;
  h.due_at = kNow + 1500ms;
  h.target_topic = "architect_out";
  return h;
}

}  // namespace

TEST_CASE("router retry headers: written in the DESIGN's names, times as epoch milliseconds") {
  const auto headers = atlas::failure_headers(sample());
  const atlas::kafka::Headers expected = {
      {"atlas-original-topic", "architect_out"}, {"atlas-original-partition", "3"},
      {"atlas-original-offset", "12345"},        {"atlas-attempts", "2"},
      {"atlas-error-class", "delivery_failed"},  {"atlas-error", "HTTP 500 from Slack"},
      {"atlas-component", "atlas-router"},       {"atlas-failed-at", "1700000000123"},
      {"atlas-due-at", "1700000001623"},         {"atlas-target-topic", "architect_out"}};
  CHECK(headers == expected);
}

TEST_CASE("router retry headers: parse(build(h)) == h, and other headers survive a rewrite") {
  auto h = sample();
  h.delivered_parts = 2;
  const auto parsed = parse_failure_headers(atlas::failure_headers(h), 3);
  CHECK(parsed.present);
  CHECK(parsed.problems.empty());
  CHECK(parsed.headers == h);

  const atlas::kafka::Headers existing = {{"traceparent", "00-abc-def-01"},
                                          {"atlas-attempts", "1"},
                                          {"atlas-due-at", "5"}};
  const auto merged = atlas::with_failure_headers(existing, h);
  CHECK(merged.front() == std::pair<std::string, std::string>("traceparent", "00-abc-def-01"));
  CHECK(std::count_if(merged.begin(), merged.end(), [](const auto& kv) { return kv.first == "atlas-attempts"; }) == 1);
  CHECK(parse_failure_headers(merged, 3).headers.attempts == 2);
  const auto stripped = atlas::without_failure_headers(merged);
  CHECK(stripped == atlas::kafka::Headers{{"traceparent", "00-abc-def-01"}});
}

TEST_CASE("router retry headers: missing headers read as a fresh record, due now") {
  const auto parsed = parse_failure_headers({}, 3);
  CHECK_FALSE(parsed.present);
  CHECK(parsed.headers.attempts == 0);
  CHECK_FALSE(parsed.headers.due_at);
  CHECK_FALSE(parsed.attempts_unreadable);
}

TEST_CASE("router retry headers: garbage attempts count as the maximum and say so - other garbage is repaired") {
  const atlas::kafka::Headers garbage = {{"atlas-attempts", "many"},
                                         {"atlas-original-partition", "x"},
                                         {"atlas-due-at", "tomorrow"},
                                         {"atlas-failed-at", "-5"},
                                         {"atlas-delivered-parts", "?"}};
  const auto parsed = parse_failure_headers(garbage, 3);
  CHECK(parsed.attempts_unreadable);
  CHECK(parsed.headers.attempts == 3);
  CHECK(parsed.headers.original_partition == -1);
  CHECK_FALSE(parsed.headers.due_at);
  CHECK_FALSE(parsed.headers.failed_at);
  CHECK(parsed.headers.delivered_parts == 0);
  CHECK(parsed.problems.size() == 5);
  CHECK(std::any_of(parsed.problems.begin(), parsed.problems.end(), [](const std::string& p) {
    return p.find("atlas-attempts='many'") != std::string::npos && p.find("dead-lettered") != std::string::npos;
  }));
  CHECK(parse_failure_headers({{"atlas-attempts", "-1"}}, 3).attempts_unreadable);
  CHECK(parse_failure_headers({{"atlas-attempts", ""}}, 3).attempts_unreadable);
  // The last of repeated headers wins.
  CHECK(parse_failure_headers({{"atlas-attempts", "1"}, {"atlas-attempts", "2"}}, 3).headers.attempts == 2);
}

TEST_CASE("router retry headers: long errors are cut at a UTF-8 boundary") {
  auto h = sample();
  h.error = std::string(999, 'e') + "\xE2\x82\xAC" + "tail";
  const auto headers = atlas::failure_headers(h);
  const auto& error = headers[5].second;
  CHECK(error.size() == 999);
  CHECK(atlas::parse_epoch_ms("1700000000123") == kNow);
  CHECK_FALSE(atlas::parse_epoch_ms("17e11"));
  CHECK_FALSE(atlas::parse_epoch_ms(""));
}
