#pragma once
// application/x-www-form-urlencoded bodies (Slack slash commands), decoded as
// the WHATWG URL standard describes: fields split on '&', name and value on
// the first '=', '+' means a space and %XX a byte. Unlike browsers, a '%' not
// followed by two hex digits is an error rather than kept literally: the
// sender is Slack, and a broken escape means a broken or forged body.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atlas::router {

// Decodes one name or value; nullopt on a malformed '%' sequence.
[[nodiscard]] std::optional<std::string> form_unescape(std::string_view text);

class FormFields {
 public:
  // Fields in body order; duplicates are kept.
  std::vector<std::pair<std::string, std::string>> fields;

  // The first value of `name`, or nullopt.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  // The first value of `name`, or "".
  [[nodiscard]] std::string value(std::string_view name) const;
};

struct FormResult {
  FormFields form;
  std::string error;  // "" when the body decoded; else e.g. "malformed %-escape in field 3"

  [[nodiscard]] bool ok() const { return error.empty(); }
};

// Empty fields ("a=1&&b=2") are skipped. Decoded bytes are not checked for
// UTF-8 here; callers that need text check it.
[[nodiscard]] FormResult decode_form(std::string_view body);

}  // namespace atlas::router
