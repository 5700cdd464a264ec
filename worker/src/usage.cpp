#include "atlas/worker/usage.hpp"

namespace atlas::worker {

Usage& Usage::operator+=(const Usage& other) {
  prompt_tokens += other.prompt_tokens;
  completion_tokens += other.completion_tokens;
  reasoning_tokens += other.reasoning_tokens;
  cached_tokens += other.cached_tokens;
  reported = reported && other.reported;
  offline = offline && other.offline;
  return *this;
}

nlohmann::json Usage::to_json() const {
  nlohmann::json j = {{"prompt_tokens", prompt_tokens},
                      {"completion_tokens", completion_tokens},
                      {"reasoning_tokens", reasoning_tokens},
                      {"cached_tokens", cached_tokens},
                      {"total_tokens", total()},
                      {"reported", reported}};
  if (offline) j["offline"] = true;
  return j;
}

}  // namespace atlas::worker
