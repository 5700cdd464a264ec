#include "atlas/pg/conninfo.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "atlas/redact.hpp"
#include "atlas/text.hpp"

namespace atlas::pg {
namespace {

using Pair = std::pair<std::string, std::string>;


// The query part of a URI split into decoded key/value pairs.
std::vector<Pair> uri_parameters(std::string_view uri) {
  std::vector<Pair> out;
  const auto question = uri.find('?');
  if (question == std::string_view::npos) return out;
  std::string_view rest = uri.substr(question + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    const auto eq = item.find('=');
    if (eq != std::string_view::npos) {
      out.emplace_back(percent_decode(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

// libpq's keyword/value syntax: key = value, value unquoted (ends at
// whitespace) or single-quoted; backslash escapes the next character in both.
std::vector<Pair> keyword_pairs(std::string_view text) {
  std::vector<Pair> out;
  std::size_t i = 0;
  const auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= text.size()) break;
    std::string key;
    while (i < text.size() && text[i] != '=' && !std::isspace(static_cast<unsigned char>(text[i]))) {
      key.push_back(text[i++]);
    }
    skip_space();
    if (i >= text.size() || text[i] != '=') break;  // malformed: libpq reports it
    ++i;
    skip_space();
    std::string value;
    if (i < text.size() && text[i] == '\'') {
      ++i;
      while (i < text.size() && text[i] != '\'') {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value.push_back(text[i++]);
      }
      if (i < text.size()) ++i;  // closing quote
    } else {
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value.push_back(text[i++]);
      }
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::vector<Pair> parameters(std::string_view conninfo) {
  return is_uri(conninfo) ? uri_parameters(conninfo) : keyword_pairs(conninfo);
}

// The raw userinfo password of a URI (between the first ':' after the scheme
// and the last '@' of the authority), if any.
std::optional<std::string_view> uri_userinfo_password(std::string_view uri) {
  const auto scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const auto start = scheme_end + 3;
  const auto end = std::min(uri.find_first_of("/?", start), uri.size());
  const std::string_view authority = uri.substr(start, end - start);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const auto colon = authority.find(':');
  if (colon == std::string_view::npos || colon > at) return std::nullopt;
  return authority.substr(colon + 1, at - colon - 1);
}

void add_secret(std::vector<std::string>& out, std::string value) {
  if (value.size() < 4) return;
  if (std::find(out.begin(), out.end(), value) != out.end()) return;
  out.push_back(std::move(value));
}

}  // namespace

bool is_uri(std::string_view conninfo) {
  return conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
}

bool has_connect_timeout(std::string_view conninfo) {
  const auto params = parameters(conninfo);
  return std::any_of(params.begin(), params.end(),
                     [](const Pair& p) { return p.first == "connect_timeout"; });
}

std::string with_connect_timeout(std::string_view conninfo, std::chrono::seconds timeout) {
  std::string out(conninfo);
  if (has_connect_timeout(conninfo)) return out;
  const std::string setting = "connect_timeout=" + std::to_string(std::max<long long>(
                                                       1, static_cast<long long>(timeout.count())));
  if (is_uri(conninfo)) {
    const auto question = out.find('?');
    if (question == std::string::npos) {
      out += '?';
    } else if (out.back() != '?' && out.back() != '&') {
      out += '&';
    }
    out += setting;
  } else {
    if (!out.empty() && !std::isspace(static_cast<unsigned char>(out.back()))) out += ' ';
    out += setting;
  }
  return out;
}

std::vector<std::string> conninfo_passwords(std::string_view conninfo) {
  std::vector<std::string> out;
  if (is_uri(conninfo)) {
    if (const auto raw = uri_userinfo_password(conninfo)) {
      add_secret(out, std::string(*raw));
      add_secret(out, percent_decode(*raw));
    }
  }
  for (const auto& [key, value] : parameters(conninfo)) {
    if (key != "password") continue;
    add_secret(out, value);
    if (is_uri(conninfo)) add_secret(out, percent_decode(value));
  }
  // Longest first, so a secret containing another is masked whole.
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

std::string redact_conninfo(std::string_view text, std::string_view conninfo) {
  std::string out = redact_url_password(text);
  for (const auto& secret : conninfo_passwords(conninfo)) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), Redactor::kMask);
      pos += Redactor::kMask.size();
    }
  }
  return out;
}

}  // namespace atlas::pg
