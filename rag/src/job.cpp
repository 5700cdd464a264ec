#include "atlas/rag/job.hpp"

namespace atlas::rag {

std::string_view to_string(JobState state) {
  switch (state) {
    case JobState::queued: return "queued";
    case JobState::running: return "running";
    case JobState::done: return "done";
    case JobState::failed: return "failed";
  }
  return "failed";
}

std::optional<JobState> parse_job_state(std::string_view text) {
  for (JobState s : {JobState::queued, JobState::running, JobState::done, JobState::failed}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

void JobProgress::add_error(std::string source, std::string error) {
  ++documents_failed;
  if (errors.size() < kMaxJobErrors) errors.push_back({std::move(source), std::move(error)});
}

nlohmann::json JobProgress::errors_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const JobError& e : errors) out.push_back({{"source", e.source}, {"error", e.error}});
  return out;
}

}  // namespace atlas::rag
