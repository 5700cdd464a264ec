#include "atlas/worker/errors.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <nlohmann/json.hpp>

#include "atlas/utf8.hpp"

namespace atlas::worker {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  return {};
}

bool contains_any(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(), [&](std::string_view n) {
    return haystack.find(n) != std::string_view::npos;
  });
}

bool key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// Lower-cased views of an error body, for matching.
struct ErrorText {
  std::string type;
  std::string code;
  std::string message;
};

bool context_too_long(const ErrorText& e) {
  return e.code == "context_length_exceeded" || e.type == "context_length_exceeded" ||
         contains_any(e.message, {"prompt is too long", "context length", "context_length",
                                  "maximum context", "context window", "too many tokens",
                                  "exceed context limit", "exceeds the context",
                                  "input is too long"});
}

bool unsupported_endpoint(const ErrorText& e) {
  return e.code == "unsupported_endpoint" ||
         contains_any(e.message, {"v1/responses", "v1/chat/completions", "v1/completions",
                                  "not a chat model", "not supported on this endpoint",
                                  "this endpoint"});
}

bool unsupported_parameter(const ErrorText& e) {
  return e.code == "unsupported_parameter" || e.code == "unsupported_value" ||
         contains_any(e.message, {"not supported with this model", "unsupported parameter",
                                  "unsupported value"});
}

bool insufficient_quota(const ErrorText& e) {
  return e.code == "insufficient_quota" || e.type == "insufficient_quota" ||
         e.code == "billing_hard_limit_reached" ||
         contains_any(e.message, {"credit balance is too low", "exceeded your current quota"});
}

Classification make(Outcome outcome, std::string reason, std::string detail) {
  return Classification{outcome, std::move(reason), std::move(detail)};
}

}  // namespace

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::retry_same_model: return "retry_same_model";
    case Outcome::next_model: return "next_model";
    case Outcome::fail_permanent: return "fail_permanent";
  }
  return "retry_same_model";
}

ProviderErrorBody parse_provider_error(std::string_view body) {
  ProviderErrorBody out;
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return out;
  out.json = true;
  if (!doc.is_object()) return out;
  if (auto it = doc.find("error"); it != doc.end()) {
    if (it->is_object()) {
      if (auto t = it->find("type"); t != it->end()) out.type = scalar_text(*t);
      if (auto c = it->find("code"); c != it->end()) out.code = scalar_text(*c);
      if (auto m = it->find("message"); m != it->end()) out.message = scalar_text(*m);
    } else if (it->is_string()) {
      out.message = it->get<std::string>();
    }
  }
  if (out.message.empty()) {
    if (auto d = doc.find("detail"); d != doc.end()) {
      out.message = d->is_string() ? d->get<std::string>() : d->dump();
    } else if (auto m = doc.find("message"); m != doc.end()) {
      out.message = scalar_text(*m);
    }
  }
  return out;
}

Classification classify_http_error(int status, std::string_view body, std::string_view api_key) {
  const ProviderErrorBody parsed = parse_provider_error(body);
  std::string detail = sanitize_provider_text(parsed.json ? parsed.message : body, api_key);
  const ErrorText e{lower(parsed.type), lower(parsed.code), lower(parsed.message)};

  if (status <= 0) return make(Outcome::retry_same_model, "transport_error", std::move(detail));
  if (status == 429) {
    if (insufficient_quota(e)) {
      return make(Outcome::fail_permanent, "insufficient_quota", std::move(detail));
    }
    return make(Outcome::retry_same_model, "rate_limited", std::move(detail));
  }
  if (status >= 500 && status <= 599) {
    const bool overloaded = status == 529 || e.type == "overloaded_error";
    return make(Outcome::retry_same_model, overloaded ? "overloaded" : "server_error",
                std::move(detail));
  }
  if (status == 408) return make(Outcome::retry_same_model, "request_timeout", std::move(detail));
  if (status == 409) return make(Outcome::retry_same_model, "conflict", std::move(detail));
  if (status == 401) return make(Outcome::fail_permanent, "unauthorized", std::move(detail));
  if (status == 403) return make(Outcome::fail_permanent, "forbidden", std::move(detail));
  if (status == 402) return make(Outcome::fail_permanent, "payment_required", std::move(detail));

  const bool model_specific = status == 400 || status == 404 || status == 413 || status == 422;
  if (model_specific && context_too_long(e)) {
    return make(Outcome::next_model, "context_length_exceeded", std::move(detail));
  }
  if (model_specific && unsupported_endpoint(e)) {
    return make(Outcome::next_model, "unsupported_endpoint", std::move(detail));
  }
  if (status == 404 || e.code == "model_not_found" || e.type == "not_found_error") {
    return make(Outcome::next_model, "model_not_found", std::move(detail));
  }
  if (status == 413) return make(Outcome::next_model, "request_too_large", std::move(detail));
  if (status == 400 || status == 422) {
    if (unsupported_parameter(e)) {
      return make(Outcome::next_model, "unsupported_parameter", std::move(detail));
    }
    if (insufficient_quota(e)) {
      return make(Outcome::fail_permanent, "insufficient_quota", std::move(detail));
    }
    return make(Outcome::fail_permanent, "invalid_request", std::move(detail));
  }
  // Anything else (another 4xx, a redirect, a 1xx) is unexpected: this model
  // cannot be used as configured, but that says nothing about the provider.
  return make(Outcome::next_model, "http_" + std::to_string(status), std::move(detail));
}

Classification classify_transport_error(TransportError error, std::string_view detail) {
  std::string d = sanitize_provider_text(detail);
  switch (error) {
    case TransportError::timeout: return make(Outcome::retry_same_model, "timeout", std::move(d));
    case TransportError::connect:
      return make(Outcome::retry_same_model, "connection_error", std::move(d));
    case TransportError::tls: return make(Outcome::retry_same_model, "tls_error", std::move(d));
    case TransportError::too_large:
      return make(Outcome::next_model, "response_too_large", std::move(d));
    case TransportError::other:
      return make(Outcome::retry_same_model, "transport_error", std::move(d));
  }
  return make(Outcome::retry_same_model, "transport_error", std::move(d));
}

std::string sanitize_provider_text(std::string_view text, std::string_view api_key,
                                   std::size_t max_bytes) {
  static constexpr std::string_view kMask = "[REDACTED]";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes + 16));
  std::size_t i = 0;
  while (i < text.size() && out.size() <= max_bytes) {
    const std::string_view rest = text.substr(i);
    if (api_key.size() >= 4 && rest.substr(0, api_key.size()) == api_key) {
      out += kMask;
      i += api_key.size();
      continue;
    }
    const bool word_start = i == 0 || !key_char(text[i - 1]);
    if (word_start && rest.substr(0, 3) == "sk-") {
      std::size_t end = 3;
      while (end < rest.size() && key_char(rest[end])) ++end;
      if (end - 3 >= 8) {
        out += kMask;
        i += end;
        continue;
      }
    }
    if (lower(rest.substr(0, 7)) == "bearer ") {
      std::size_t end = 7;
      while (end < rest.size() && key_char(rest[end])) ++end;
      if (end > 7) {
        out += "Bearer ";
        out += kMask;
        i += end;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(text[i]);
    out.push_back(c < 0x20U || c == 0x7FU ? ' ' : text[i]);
    ++i;
  }
  if (out.size() > max_bytes || i < text.size()) {
    std::string cut(utf8_prefix(out, max_bytes));
    cut += "...";
    return cut;
  }
  return out;
}

}  // namespace atlas::worker
