// The envelope's schema rules, kept identical to
// schema/events/envelope.schema.json (tests/e2e/validate_examples.sh runs both
// on the same cases). The first problem found is reported with its JSON Pointer.
#include <array>
#include <string>

#include "atlas/control.hpp"
#include "atlas/envelope.hpp"
#include "envelope_rules.hpp"

namespace atlas {
namespace {

using envelope_rules::check_count;
using envelope_rules::check_uuid;
using envelope_rules::quoted_excerpt;
using envelope_rules::schema_error;
using envelope_rules::type_name;
using Error = std::optional<ValidationError>;

constexpr std::array<std::string_view, 5> kTopLevelFields = {"task_id", "role", "msg_type",
                                                             "content", "metadata"};

Error check_task_id(const nlohmann::json& document) {
  const auto it = document.find("task_id");
  if (it == document.end()) {
    return schema_error("/task_id", "missing: every envelope needs a task_id, a UUID that is "
                                    "unique per message");
  }
  return check_uuid(*it, "/task_id");
}

Error check_role(const nlohmann::json& document) {
  const auto it = document.find("role");
  if (it == document.end()) return schema_error("/role", "missing: set \"role\": \"architect\"");
  if (!it->is_string() || it->get_ref<const std::string&>() != kEnvelopeRole) {
    const std::string got = it->is_string() ? quoted_excerpt(it->get_ref<const std::string&>())
                                            : std::string(type_name(*it));
    return schema_error("/role", "must be \"architect\", got " + got);
  }
  return std::nullopt;
}

Error check_msg_type(const nlohmann::json& document, MsgType& type) {
  const auto it = document.find("msg_type");
  if (it == document.end()) {
    return schema_error("/msg_type", "missing: set \"msg_type\" to chat, spec or control");
  }
  if (!it->is_string()) {
    return schema_error("/msg_type", "must be the string chat, spec or control, not " +
                                         std::string(type_name(*it)));
  }
  const auto parsed = parse_msg_type(it->get_ref<const std::string&>());
  if (!parsed) {
    return schema_error("/msg_type", "unknown msg_type " +
                                         quoted_excerpt(it->get_ref<const std::string&>()) +
                                         ": use chat, spec or control");
  }
  type = *parsed;
  return std::nullopt;
}

Error check_content(const nlohmann::json& document, MsgType type) {
  const auto it = document.find("content");
  if (it == document.end()) {
    return schema_error("/content", type == MsgType::control
                                        ? "missing: a control message needs content such as "
                                          "{\"command\": \"heartbeat\"}"
                                        : "missing: a chat or spec needs its text in content");
  }
  const auto& content = *it;
  switch (type) {
    case MsgType::chat:
      if (!content.is_string()) {
        return schema_error("/content", "a chat's content must be a string (the request text), "
                                        "not " + std::string(type_name(content)));
      }
      if (content.get_ref<const std::string&>().empty()) {
        return schema_error("/content", "a chat's content must not be empty: say what to design");
      }
      return std::nullopt;
    case MsgType::spec:
      if (!content.is_string()) {
        return schema_error("/content", "a spec's content must be a string (the Markdown "
                                        "spec), not " + std::string(type_name(content)));
      }
      return std::nullopt;
    case MsgType::control: {
      auto command = parse_control_content(content, "/content");
      if (!command) return command.error();
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Error check_origin(const nlohmann::json& origin) {
  if (!origin.is_object()) {
    return schema_error("/metadata/origin", "must be an object such as {\"kind\": \"slack\", "
                                            "...}, not " + std::string(type_name(origin)));
  }
  const auto kind = origin.find("kind");
  if (kind == origin.end()) {
    return schema_error("/metadata/origin/kind", "missing: say where the request came from "
                                                 "(slack, github, cli or db)");
  }
  if (!kind->is_string() || !parse_origin_kind(kind->get_ref<const std::string&>())) {
    const std::string got = kind->is_string()
                                ? quoted_excerpt(kind->get_ref<const std::string&>())
                                : std::string(type_name(*kind));
    return schema_error("/metadata/origin/kind", "must be slack, github, cli or db, got " + got);
  }
  return std::nullopt;
}

// Optional reply fields: only their JSON type is fixed here.
Error check_reply_fields(const nlohmann::json& metadata) {
  struct TypedField {
    const char* name;
    nlohmann::json::value_t type;  // object or array
  };
  constexpr std::array<TypedField, 4> kTyped = {{{"usage", nlohmann::json::value_t::object},
                                                 {"attempts", nlohmann::json::value_t::array},
                                                 {"rag", nlohmann::json::value_t::object},
                                                 {"timings", nlohmann::json::value_t::object}}};
  for (const auto& field : kTyped) {
    const auto it = metadata.find(field.name);
    if (it != metadata.end() && it->type() != field.type) {
      const nlohmann::json expected(field.type);
      return schema_error("/metadata/" + std::string(field.name),
                          "must be " + std::string(type_name(expected)) + ", not " +
                              std::string(type_name(*it)));
    }
  }
  const auto cost = metadata.find("cost_usd");
  if (cost != metadata.end() && (!cost->is_number() || cost->get<double>() < 0)) {
    return schema_error("/metadata/cost_usd", "must be a number >= 0 (US dollars)");
  }
  return std::nullopt;
}

Error check_metadata(const nlohmann::json& document, MsgType type) {
  const auto it = document.find("metadata");
  if (it == document.end()) {
    return schema_error("/metadata", "missing: every envelope needs metadata, at least "
                                     "{\"schema_ver\": 1}");
  }
  const auto& metadata = *it;
  if (!metadata.is_object()) {
    return schema_error("/metadata", "must be an object such as {\"schema_ver\": 1}, not " +
                                         std::string(type_name(metadata)));
  }

  const auto version = metadata.find("schema_ver");
  if (version == metadata.end()) {
    return schema_error("/metadata/schema_ver", "missing: set \"schema_ver\": 1");
  }
  if (envelope_rules::bounded_integer(*version, kEnvelopeSchemaVersion, kEnvelopeSchemaVersion) !=
      kEnvelopeSchemaVersion) {
    if (!version->is_number()) {
      return schema_error("/metadata/schema_ver",
                          "must be the integer 1, not " + std::string(type_name(*version)));
    }
    return schema_error("/metadata/schema_ver", "unsupported schema_ver " + version->dump() +
                                                    ": this version of Atlas reads schema_ver 1");
  }

  if (const auto status = metadata.find("status"); status != metadata.end()) {
    if (!status->is_string() || !parse_status(status->get_ref<const std::string&>())) {
      const std::string got = status->is_string()
                                  ? quoted_excerpt(status->get_ref<const std::string&>())
                                  : std::string(type_name(*status));
      return schema_error("/metadata/status", "must be one of in_progress, done, error, ok, "
                                              "budget_exceeded, escalated; got " + got);
    }
  }

  const auto parent = metadata.find("parent_id");
  const bool has_parent = parent != metadata.end() && !parent->is_null();
  if (has_parent) {
    if (auto error = check_uuid(*parent, "/metadata/parent_id")) {
      error->message += " (or null for a request)";
      return error;
    }
  } else if (type == MsgType::spec) {
    return schema_error("/metadata/parent_id", "a spec is a reply: set parent_id to the "
                                               "task_id of the request it answers");
  }

  if (const auto tokens = metadata.find("tokens"); tokens != metadata.end()) {
    if (auto error = check_count(*tokens, "/metadata/tokens", 0)) return error;
  }
  if (const auto model = metadata.find("model"); model != metadata.end()) {
    if (!model->is_null() && !model->is_string()) {
      return schema_error("/metadata/model", "must be a string (provider model name) or null, "
                                             "not " + std::string(type_name(*model)));
    }
  }
  if (const auto origin = metadata.find("origin"); origin != metadata.end()) {
    if (auto error = check_origin(*origin)) return error;
  }
  return check_reply_fields(metadata);
}

Error check_no_unknown_fields(const nlohmann::json& document) {
  for (const auto& [key, value] : document.items()) {
    bool known = false;
    for (const auto field : kTopLevelFields) known = known || key == field;
    if (!known) {
      return schema_error("/" + envelope_rules::pointer_token(key),
                          "unknown field " + quoted_excerpt(key) +
                              ": an envelope has only task_id, role, msg_type, content and "
                              "metadata (put extra data in metadata)");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ValidationError> validate_envelope(const nlohmann::json& document) {
  if (!document.is_object()) {
    return schema_error("", "the envelope must be a JSON object with task_id, role, msg_type, "
                            "content and metadata, not " + std::string(type_name(document)));
  }
  if (auto error = check_task_id(document)) return error;
  if (auto error = check_role(document)) return error;
  MsgType type = MsgType::chat;
  if (auto error = check_msg_type(document, type)) return error;
  if (auto error = check_content(document, type)) return error;
  if (auto error = check_metadata(document, type)) return error;
  return check_no_unknown_fields(document);
}

ParseResult envelope_from_json(const nlohmann::json& document) {
  if (auto error = validate_envelope(document)) return *std::move(error);
  Envelope envelope;
  envelope.task_id = document.at("task_id").get<std::string>();
  envelope.role = document.at("role").get<std::string>();
  envelope.msg_type = *parse_msg_type(document.at("msg_type").get_ref<const std::string&>());
  envelope.content = document.at("content");
  envelope.metadata = document.at("metadata");
  return envelope;
}

}  // namespace atlas
