#pragma once
// An indexing job's state and counts, as stored in rag_jobs and reported by
// GET /v1/jobs/{id}. Pure.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace atlas::rag {

enum class JobState { queued, running, done, failed };

[[nodiscard]] std::string_view to_string(JobState state);
[[nodiscard]] std::optional<JobState> parse_job_state(std::string_view text);

// At most this many errors are kept per job (the counts stay exact).
inline constexpr std::size_t kMaxJobErrors = 100;

struct JobError {
  std::string source;
  std::string error;
};

struct JobProgress {
  int documents = 0;            // sources in the job
  int documents_indexed = 0;    // new or changed: chunks replaced
  int documents_unchanged = 0;  // same text and chunking: skipped
  int documents_failed = 0;
  int chunks_written = 0;
  std::vector<JobError> errors;  // the first kMaxJobErrors

  // Records a failed document (counted always, listed up to kMaxJobErrors).
  void add_error(std::string source, std::string error);
  [[nodiscard]] int documents_finished() const {
    return documents_indexed + documents_unchanged + documents_failed;
  }
  // The state a finished job ends in: failed when any document failed.
  [[nodiscard]] JobState final_state() const {
    return documents_failed > 0 ? JobState::failed : JobState::done;
  }
  [[nodiscard]] nlohmann::json errors_json() const;
};

}  // namespace atlas::rag
