// Envelope enums, accessors and serialization. Parsing is in
// envelope_parse.cpp, the schema rules in envelope_validate.cpp, builders in
// envelope_build.cpp.
#include "atlas/envelope.hpp"

#include <array>
#include <utility>

#include "atlas/utf8.hpp"
#include "envelope_rules.hpp"

namespace atlas {
namespace {

constexpr std::array<std::string_view, 3> kMsgTypeNames = {"chat", "spec", "control"};
constexpr std::array<std::string_view, 6> kStatusNames = {
    "in_progress", "done", "error", "ok", "budget_exceeded", "escalated"};
constexpr std::array<std::string_view, 4> kOriginKindNames = {"slack", "github", "cli", "db"};
constexpr std::array<std::string_view, 5> kErrorClassNames = {"too_large", "not_utf8", "too_deep",
                                                              "not_json", "schema"};

template <class Enum, std::size_t N>
std::optional<Enum> find_name(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

const nlohmann::json* metadata_field(const Envelope& envelope, const char* name) {
  if (!envelope.metadata.is_object()) return nullptr;
  const auto it = envelope.metadata.find(name);
  return it == envelope.metadata.end() ? nullptr : &*it;
}

std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Appends `text` as a JSON string, byte for byte as dump() writes it: quote,
// backslash and control characters escaped (\u00xx in lower case when there
// is no short form), everything else as is. Text that is not UTF-8 goes
// through dump(), which writes U+FFFD for the bad bytes. Written by hand
// because dump() of a string builds a document node, a serializer with a
// 512-byte indentation buffer and an output adapter for every call, and the
// ingress serializes an envelope per webhook.
void append_json_string(std::string& out, std::string_view text) {
  if (validate_utf8(text)) {
    out += dump(nlohmann::json(std::string(text)));
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    out.push_back('\\');
    switch (c) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '\b': out.push_back('b'); break;
      case '\f': out.push_back('f'); break;
      case '\n': out.push_back('n'); break;
      case '\r': out.push_back('r'); break;
      case '\t': out.push_back('t'); break;
      default:
        out += "u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

void append_json(std::string& out, const nlohmann::json& value) {
  if (value.is_string()) {
    append_json_string(out, value.get_ref<const std::string&>());
  } else {
    out += dump(value);
  }
}

}  // namespace

std::string_view to_string(MsgType type) {
  return kMsgTypeNames.at(static_cast<std::size_t>(type));
}
std::string_view to_string(Status status) {
  return kStatusNames.at(static_cast<std::size_t>(status));
}
std::string_view to_string(OriginKind kind) {
  return kOriginKindNames.at(static_cast<std::size_t>(kind));
}
std::string_view to_string(ErrorClass error_class) {
  return kErrorClassNames.at(static_cast<std::size_t>(error_class));
}

std::optional<MsgType> parse_msg_type(std::string_view text) {
  return find_name<MsgType>(kMsgTypeNames, text);
}
std::optional<Status> parse_status(std::string_view text) {
  return find_name<Status>(kStatusNames, text);
}
std::optional<OriginKind> parse_origin_kind(std::string_view text) {
  return find_name<OriginKind>(kOriginKindNames, text);
}

std::string ValidationError::describe() const {
  return "invalid at " + display_path() + ": " + message;
}

std::int64_t Envelope::schema_ver() const {
  const auto* field = metadata_field(*this, "schema_ver");
  if (field == nullptr) return 0;
  return envelope_rules::bounded_integer(*field, -kMaxEnvelopeInteger, kMaxEnvelopeInteger)
      .value_or(0);
}

std::optional<Status> Envelope::status() const {
  const auto* field = metadata_field(*this, "status");
  if (field == nullptr || !field->is_string()) return std::nullopt;
  return parse_status(field->get_ref<const std::string&>());
}

std::optional<std::string> Envelope::parent_id() const {
  const auto* field = metadata_field(*this, "parent_id");
  if (field == nullptr || !field->is_string()) return std::nullopt;
  return field->get<std::string>();
}

nlohmann::json Envelope::origin() const {
  const auto* field = metadata_field(*this, "origin");
  if (field == nullptr || !field->is_object()) return nullptr;
  return *field;
}

std::optional<OriginKind> Envelope::origin_kind() const {
  const auto* field = metadata_field(*this, "origin");
  if (field == nullptr || !field->is_object()) return std::nullopt;
  const auto kind = field->find("kind");
  if (kind == field->end() || !kind->is_string()) return std::nullopt;
  return parse_origin_kind(kind->get_ref<const std::string&>());
}

std::int64_t Envelope::tokens() const {
  const auto* field = metadata_field(*this, "tokens");
  if (field == nullptr) return 0;
  return envelope_rules::bounded_integer(*field, 0, kMaxEnvelopeInteger).value_or(0);
}

std::optional<std::string> Envelope::model() const {
  const auto* field = metadata_field(*this, "model");
  if (field == nullptr || !field->is_string()) return std::nullopt;
  return field->get<std::string>();
}

std::string_view Envelope::text() const {
  if (!content.is_string()) return {};
  return content.get_ref<const std::string&>();
}

std::string Envelope::kafka_key() const { return parent_id().value_or(task_id); }

nlohmann::json to_json(const Envelope& envelope) {
  return nlohmann::json{{"task_id", envelope.task_id},
                        {"role", envelope.role},
                        {"msg_type", std::string(to_string(envelope.msg_type))},
                        {"content", envelope.content},
                        {"metadata", envelope.metadata}};
}

std::string serialize(const Envelope& envelope) {
  // Written by hand to keep the fields in reading order (nlohmann::json sorts keys).
  std::string out;
  out.reserve(128 + (envelope.content.is_string() ? envelope.text().size() : 0));
  out += "{\"task_id\":";
  append_json_string(out, envelope.task_id);
  out += ",\"role\":";
  append_json_string(out, envelope.role);
  out += ",\"msg_type\":";
  append_json_string(out, to_string(envelope.msg_type));
  out += ",\"content\":";
  append_json(out, envelope.content);
  out += ",\"metadata\":";
  out += dump(envelope.metadata);
  out += '}';
  return out;
}

std::string serialize_chat(std::string_view text, const nlohmann::json& origin,
                           const Uuid& task_id) {
  // make_chat's metadata, its keys in the order dump() sorts them.
  std::string out;
  out.reserve(320 + text.size());
  out += "{\"task_id\":\"";
  out += task_id.to_string();
  out += "\",\"role\":";
  append_json_string(out, kEnvelopeRole);
  out += ",\"msg_type\":\"chat\",\"content\":";
  append_json_string(out, text);
  out += ",\"metadata\":{\"model\":null,";
  if (!origin.is_null()) {
    out += "\"origin\":";
    out += dump(origin);
    out += ',';
  }
  out += "\"parent_id\":null,\"schema_ver\":";
  out += std::to_string(kEnvelopeSchemaVersion);
  out += ",\"status\":\"";
  out += to_string(Status::in_progress);
  out += "\",\"tokens\":0}}";
  return out;
}

}  // namespace atlas
