// parse_envelope: the checks on raw bytes (size, UTF-8, depth, JSON syntax
// and number range) before the schema rules of envelope_validate.cpp.
#include <exception>
#include <string>

#include "atlas/envelope.hpp"
#include "atlas/json_depth.hpp"
#include "atlas/utf8.hpp"

namespace atlas {
namespace {

ValidationError document_error(ErrorClass error_class, std::string message) {
  return ValidationError{"", std::move(message), error_class};
}

// Messages quote library text; keep them valid UTF-8 whatever it contains.
std::string valid_utf8_prefix(std::string text) {
  if (auto error = validate_utf8(text)) text.resize(error->offset);
  return text;
}

// Rejects nesting deeper than kMaxEnvelopeDepth before the parser sees it.
std::optional<ValidationError> check_depth(std::string_view bytes) {
  if (const auto at = json_nesting_exceeds(bytes, kMaxEnvelopeDepth)) {
    return document_error(ErrorClass::too_deep,
                          "objects and arrays nest deeper than " +
                              std::to_string(kMaxEnvelopeDepth) + " levels (at byte " +
                              std::to_string(*at) + "): flatten the content");
  }
  return std::nullopt;
}

ParseResult parse_checked(std::string_view bytes) {
  if (bytes.size() > kMaxEnvelopeBytes) {
    return document_error(ErrorClass::too_large,
                          "the envelope is " + std::to_string(bytes.size()) +
                              " bytes; the limit is " + std::to_string(kMaxEnvelopeBytes) +
                              " (1 MiB): send large documents by reference");
  }
  if (auto error = validate_utf8(bytes)) {
    return document_error(ErrorClass::not_utf8, error->describe() + ": envelopes are UTF-8 JSON");
  }
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    return document_error(ErrorClass::not_json,
                          "starts with a UTF-8 byte order mark: write the JSON without one");
  }
  if (auto error = check_depth(bytes)) return *error;

  nlohmann::json document;
  try {
    document = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::parse_error& e) {
    std::string detail = e.what();
    // Drop the "[json.exception.parse_error.101] " prefix.
    if (const auto end = detail.find("] "); detail.starts_with("[json.exception") &&
                                            end != std::string::npos) {
      detail.erase(0, end + 2);
    }
    return document_error(ErrorClass::not_json, "not valid JSON: " + valid_utf8_prefix(detail));
  } catch (const nlohmann::json::out_of_range&) {
    // A number no double can hold (1e400): it would not survive a round trip.
    return document_error(ErrorClass::not_json,
                          "a number is out of the range of a double: use a smaller number");
  }
  return envelope_from_json(document);
}

}  // namespace

ParseResult parse_envelope(std::string_view bytes) noexcept {
  try {
    return parse_checked(bytes);
  } catch (const std::exception& e) {
    // Not expected (parse errors are caught above); allocation failure, say.
    return document_error(ErrorClass::not_json,
                          "could not be parsed: " + valid_utf8_prefix(std::string(e.what())));
  }
}

}  // namespace atlas
