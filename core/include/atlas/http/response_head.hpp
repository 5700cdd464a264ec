#pragma once
// Collects response headers from the lines libcurl hands its header callback.
// Pure: tested on raw strings, no network.
#include <string_view>

#include "atlas/http/headers.hpp"

namespace atlas::http {

class ResponseHeadParser {
 public:
  // One line as libcurl delivers it, CRLF included. A status line ("HTTP/...")
  // starts a new head, so the headers of a 100 Continue or of an earlier
  // response do not leak into the final one. Names are lower-cased, values
  // trimmed; obsolete line folding continues the previous value.
  void feed_line(std::string_view line);

  [[nodiscard]] const HeaderList& headers() const { return headers_; }
  [[nodiscard]] HeaderList take_headers() { return std::move(headers_); }

 private:
  HeaderList headers_;
};

// The URL as it may appear in an error message or a log line:
// scheme://host[:port]/path, without user:password@, query or fragment (both
// can carry credentials, e.g. "?key=...").
[[nodiscard]] std::string url_for_message(std::string_view url);

}  // namespace atlas::http
