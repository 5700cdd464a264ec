#include "atlas/router/text.hpp"

#include <algorithm>

namespace atlas::router {

std::string unescape_slack_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') {
      if (text.compare(i, 4, "&lt;") == 0) {
        out.push_back('<');
        i += 3;
        continue;
      }
      if (text.compare(i, 4, "&gt;") == 0) {
        out.push_back('>');
        i += 3;
        continue;
      }
      if (text.compare(i, 5, "&amp;") == 0) {
        out.push_back('&');
        i += 4;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string escape_slack_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c); break;
    }
  }
  return out;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace atlas::router
