#pragma once
// Secret redaction. Every secret value that configuration loads is registered
// here; logs, error messages and CLI output pass through redact() so a secret
// never leaves the process in clear text.
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace atlas {

class Redactor {
 public:
  static constexpr std::string_view kMask = "[REDACTED]";

  // Registers a secret value. Values shorter than 4 bytes are ignored: masking
  // them would mangle ordinary text without protecting anything.
  void add_secret(std::string value);

  // Returns text with every registered secret, and the password part of any
  // URL of the form scheme://user:password@host, replaced by kMask.
  [[nodiscard]] std::string redact(std::string_view text) const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> secrets_;  // longest first, so overlaps mask fully
};

// Masks the password of a connection URL (postgresql://u:p@h/db -> u:[REDACTED]@h).
[[nodiscard]] std::string redact_url_password(std::string_view url);

}  // namespace atlas
