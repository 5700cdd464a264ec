#include "atlas/router/form_decode.hpp"

#include <string>

#include "atlas/text.hpp"

namespace atlas::router {

std::optional<std::string> form_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;  // needs two more characters
      const int hi = hex_digit_value(text[i + 1]);
      const int lo = hex_digit_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>((hi << 4) | lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string_view> FormFields::get(std::string_view name) const {
  for (const auto& [key, val] : fields) {
    if (key == name) return std::string_view(val);
  }
  return std::nullopt;
}

std::string FormFields::value(std::string_view name) const {
  return std::string(get(name).value_or(std::string_view{}));
}

FormResult decode_form(std::string_view body) {
  FormResult result;
  std::size_t start = 0;
  std::size_t index = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view field = body.substr(start, end - start);
    start = end + 1;
    if (field.empty()) continue;
    ++index;
    const auto eq = field.find('=');
    auto name = form_unescape(field.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                               : form_unescape(field.substr(eq + 1));
    if (!name || !value) {
      result.error = "malformed %-escape in form field " + std::to_string(index);
      result.form.fields.clear();
      return result;
    }
    result.form.fields.emplace_back(std::move(*name), std::move(*value));
  }
  return result;
}

}  // namespace atlas::router
