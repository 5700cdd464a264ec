#include "atlas/redact.hpp"

#include <algorithm>

namespace atlas {

void Redactor::add_secret(std::string value) {
  if (value.size() < 4) return;
  std::lock_guard lock(mutex_);
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  secrets_.push_back(std::move(value));
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redact_url_password(std::string_view url) {
  std::string out(url);
  std::size_t search_from = 0;
  while (true) {
    const auto scheme = out.find("://", search_from);
    if (scheme == std::string::npos) break;
    const auto authority_start = scheme + 3;
    const auto authority_end = out.find_first_of("/?# \t\n\"'", authority_start);
    const auto at = out.rfind('@', authority_end == std::string::npos ? out.size() : authority_end);
    if (at != std::string::npos && at > authority_start) {
      const auto colon = out.find(':', authority_start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, Redactor::kMask);
        search_from = colon + 1 + Redactor::kMask.size();
        continue;
      }
    }
    search_from = authority_start;
  }
  return out;
}

std::string Redactor::redact(std::string_view text) const {
  std::string out = redact_url_password(text);
  std::lock_guard lock(mutex_);
  for (const auto& secret : secrets_) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), kMask);
      pos += kMask.size();
    }
  }
  return out;
}

}  // namespace atlas
