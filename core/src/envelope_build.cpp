// Builders for requests, replies and escalations (see atlas/envelope.hpp).
#include <utility>

#include "atlas/control.hpp"
#include "atlas/envelope.hpp"

namespace atlas {
namespace {

nlohmann::json request_metadata(nlohmann::json origin) {
  nlohmann::json metadata = {{"schema_ver", kEnvelopeSchemaVersion},
                             {"status", std::string(to_string(Status::in_progress))},
                             {"parent_id", nullptr},
                             {"tokens", 0},
                             {"model", nullptr}};
  if (!origin.is_null()) metadata["origin"] = std::move(origin);
  return metadata;
}

// reply_task_id of a request id; a request that somehow holds no UUID still
// gets a stable id derived from its raw text.
Uuid derived_reply_id(const std::string& request_task_id) {
  if (const auto id = Uuid::parse(request_task_id)) return reply_task_id(*id);
  return Uuid::v5(kAtlasNamespace, "reply:" + request_task_id);
}

}  // namespace

Envelope make_chat(std::string text, nlohmann::json origin, const Uuid& task_id) {
  Envelope envelope;
  envelope.task_id = task_id.to_string();
  envelope.msg_type = MsgType::chat;
  envelope.content = std::move(text);
  envelope.metadata = request_metadata(std::move(origin));
  return envelope;
}

Envelope make_control(nlohmann::json command, const Uuid& task_id, nlohmann::json origin) {
  Envelope envelope;
  envelope.task_id = task_id.to_string();
  envelope.msg_type = MsgType::control;
  envelope.content = std::move(command);
  envelope.metadata = request_metadata(std::move(origin));
  return envelope;
}

Envelope make_reply(const Envelope& request, MsgType msg_type, nlohmann::json content,
                    Status status, const nlohmann::json& extra_metadata) {
  Envelope reply;
  reply.task_id = derived_reply_id(request.task_id).to_string();
  reply.msg_type = msg_type;
  reply.content = std::move(content);
  reply.metadata = {{"tokens", 0}, {"model", nullptr}};
  if (extra_metadata.is_object()) {
    for (const auto& [key, value] : extra_metadata.items()) reply.metadata[key] = value;
  }
  reply.metadata["schema_ver"] = kEnvelopeSchemaVersion;
  reply.metadata["parent_id"] = request.task_id;
  reply.metadata["status"] = std::string(to_string(status));
  if (auto origin = request.origin(); !origin.is_null()) {
    reply.metadata["origin"] = std::move(origin);
  } else {
    reply.metadata.erase("origin");
  }
  return reply;
}

Envelope make_escalation(std::string reason, const Uuid& failed_task_id, std::int64_t attempts,
                         std::string last_error, nlohmann::json origin) {
  Envelope envelope;
  envelope.task_id = escalation_task_id(failed_task_id).to_string();
  envelope.msg_type = MsgType::control;
  envelope.content = to_json(ControlCommand{Escalate{std::move(reason), failed_task_id.to_string(),
                                                     attempts, std::move(last_error)}});
  envelope.metadata = request_metadata(std::move(origin));
  envelope.metadata["parent_id"] = failed_task_id.to_string();
  envelope.metadata["status"] = std::string(to_string(Status::escalated));
  return envelope;
}

}  // namespace atlas
