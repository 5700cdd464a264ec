#include "atlas/http/response_head.hpp"

#include <string>

#include "atlas/text.hpp"

namespace atlas::http {
namespace {


}  // namespace

void ResponseHeadParser::feed_line(std::string_view line) {
  if (line.rfind("HTTP/", 0) == 0) {
    headers_.clear();
    return;
  }
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    const auto more = trim(line);
    if (!headers_.empty() && !more.empty()) {
      auto& value = headers_.back().second;
      if (!value.empty()) value += ' ';
      value += more;
    }
    return;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return;  // blank line or junk
  headers_.emplace_back(to_lower(trim(line.substr(0, colon))),
                        std::string(trim(line.substr(colon + 1))));
}

std::string url_for_message(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const auto scheme_end = url.find("://");
  const std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto path_start = url.find('/', authority_start);
  const auto authority_end = path_start == std::string_view::npos ? url.size() : path_start;
  const auto at = url.rfind('@', authority_end);
  std::string out;
  if (at != std::string_view::npos && at >= authority_start) {
    out.append(url.substr(0, authority_start));
    out.append(url.substr(at + 1));
  } else {
    out.append(url);
  }
  return out;
}

}  // namespace atlas::http
