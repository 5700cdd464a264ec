#include <doctest/doctest.h>

#include "atlas/failure_headers.hpp"
#include "atlas/rag/job.hpp"

TEST_CASE("failure record: value and key byte for byte, failure headers replaced, others kept") {
  atlas::kafka::Message m;
  m.topic = "docs.added";
  m.partition = 3;
  m.offset = 42;
  m.key = std::string("k\0ey", 4);
  m.value = std::string("\xff{not json", 10);
  m.headers = {{"trace", "abc"}, {"atlas-error", "old"}, {"atlas-attempts", "9"}};
  const auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  const std::string long_error = std::string(998, 'e') + "\xC3\xA9\xC3\xA9";  // 1002 bytes
  atlas::FailureHeaders failure;
  failure.attempts = 1;
  failure.error_class = "invalid_input";
  failure.error = long_error;
  failure.component = "atlas-rag";
  failure.failed_at = at;
  const auto r = atlas::failure_record(m, "architect_dlq", failure);
  CHECK(r.topic == "architect_dlq");
  CHECK(r.key == m.key);
  CHECK(r.value == m.value);
  std::map<std::string, std::vector<std::string>> h;
  for (const auto& [name, value] : r.headers) h[name].push_back(value);
  CHECK(h["trace"] == std::vector<std::string>{"abc"});
  CHECK(h["atlas-original-topic"] == std::vector<std::string>{"docs.added"});
  CHECK(h["atlas-original-partition"] == std::vector<std::string>{"3"});
  CHECK(h["atlas-original-offset"] == std::vector<std::string>{"42"});
  CHECK(h["atlas-attempts"] == std::vector<std::string>{"1"});
  CHECK(h["atlas-error-class"] == std::vector<std::string>{"invalid_input"});
  CHECK(h["atlas-component"] == std::vector<std::string>{"atlas-rag"});
  CHECK(h["atlas-failed-at"] == std::vector<std::string>{"1700000000123"});
  REQUIRE(h["atlas-error"].size() == 1);
  CHECK(h["atlas-error"][0] == std::string(998, 'e') + "\xC3\xA9");  // cut at a character
}

TEST_CASE("job progress: errors are capped, counts exact, final state failed on any failure") {
  atlas::rag::JobProgress p;
  p.documents = 300;
  CHECK(p.final_state() == atlas::rag::JobState::done);
  for (int i = 0; i < 150; ++i) p.add_error("s" + std::to_string(i), "bad");
  CHECK(p.documents_failed == 150);
  CHECK(p.errors.size() == atlas::rag::kMaxJobErrors);
  CHECK(p.errors_json().size() == atlas::rag::kMaxJobErrors);
  CHECK(p.final_state() == atlas::rag::JobState::failed);
  CHECK(atlas::rag::parse_job_state("running") == atlas::rag::JobState::running);
  CHECK_FALSE(atlas::rag::parse_job_state("paused").has_value());
}
