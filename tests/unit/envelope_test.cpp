#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "atlas/control.hpp"
#include "atlas/envelope.hpp"
#include "atlas/utf8.hpp"
#include "atlas/uuid.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path examples_dir() { return fs::path(ATLAS_SOURCE_DIR) / "docs" / "event_examples"; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::string data(fs::file_size(path), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  REQUIRE_MESSAGE(in.gcount() == static_cast<std::streamsize>(data.size()),
                  "short read of " << path);
  return data;
}

// name -> bytes of every docs/event_examples/*.json
std::map<std::string, std::string> load_examples() {
  std::map<std::string, std::string> examples;
  for (const auto& entry : fs::directory_iterator(examples_dir())) {
    if (entry.path().extension() == ".json") {
      examples[entry.path().filename().string()] = read_file(entry.path());
    }
  }
  return examples;
}

atlas::Envelope example(const std::string& name) {
  const auto result = atlas::parse_envelope(read_file(examples_dir() / name));
  REQUIRE_MESSAGE(result.ok(), name << ": " << result.error().describe());
  return result.value();
}

json example_json(const std::string& name) { return json::parse(read_file(examples_dir() / name)); }

atlas::Uuid uuid(std::string_view text) {
  const auto id = atlas::Uuid::parse(text);
  REQUIRE(id.has_value());
  return *id;
}

struct Expected {
  std::string path;
  atlas::ErrorClass error_class;
};

void check_rejected(std::string_view bytes, const Expected& expected) {
  const auto result = atlas::parse_envelope(bytes);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().path == expected.path);
  CHECK(result.error().error_class == expected.error_class);
  CHECK_FALSE(result.error().message.empty());
  // Messages end up in logs and Kafka headers: always valid UTF-8.
  CHECK_FALSE(atlas::validate_utf8(result.error().message));
}

void check_rejected(const json& document, const std::string& path) {
  check_rejected(document.dump(), Expected{path, atlas::ErrorClass::schema});
}

}  // namespace

TEST_CASE("envelope: every example in docs/event_examples is valid") {
  const auto examples = load_examples();
  for (const char* name :
       {"chat.json", "chat_github.json", "spec_done.json", "spec_error.json",
        "spec_budget_exceeded.json", "control_flush_cache.json", "control_heartbeat.json",
        "control_heartbeat_reply.json", "control_set_budget.json", "control_escalate.json"}) {
    CHECK_MESSAGE(examples.count(name) == 1, "missing example " << name);
  }
  for (const auto& [name, bytes] : examples) {
    CAPTURE(name);
    const auto result = atlas::parse_envelope(bytes);
    CHECK_MESSAGE(result.ok(), (result.ok() ? "" : result.error().describe()));
  }
}

TEST_CASE("envelope: examples have the kind, status and typed fields their names say") {
  const auto chat = example("chat.json");
  CHECK(chat.msg_type == atlas::MsgType::chat);
  CHECK(chat.origin_kind() == atlas::OriginKind::slack);
  CHECK(chat.status() == atlas::Status::in_progress);
  CHECK_FALSE(chat.is_reply());
  CHECK(chat.kafka_key() == chat.task_id);
  CHECK(example("chat_github.json").origin_kind() == atlas::OriginKind::github);

  const auto done = example("spec_done.json");
  CHECK(done.msg_type == atlas::MsgType::spec);
  CHECK(done.status() == atlas::Status::done);
  CHECK(done.model() == "gpt-4.1");
  CHECK(done.tokens() > 0);
  CHECK(done.schema_ver() == 1);
  CHECK(done.kafka_key() == chat.task_id);
  for (const char* field : {"usage", "cost_usd", "attempts", "rag", "timings"}) {
    CHECK_MESSAGE(done.metadata.contains(field), "spec_done.json lacks metadata." << field);
  }
  CHECK(done.metadata["attempts"].is_array());
  CHECK_FALSE(done.metadata["attempts"].empty());
  CHECK(example("spec_error.json").status() == atlas::Status::error);
  CHECK(example("spec_budget_exceeded.json").status() == atlas::Status::budget_exceeded);

  const auto heartbeat_reply = example("control_heartbeat_reply.json");
  CHECK(heartbeat_reply.status() == atlas::Status::ok);
  CHECK(heartbeat_reply.parent_id() == example("control_heartbeat.json").task_id);
  CHECK(example("control_escalate.json").status() == atlas::Status::escalated);
}

TEST_CASE("envelope: every example reply's task_id is reply_task_id(parent_id)") {
  // Escalations are not replies: their task_id is escalation_task_id(failed_task_id)
  // and parent_id links them to the failed task (see atlas/envelope.hpp).
  int replies = 0;
  int escalations = 0;
  for (const auto& [name, bytes] : load_examples()) {
    CAPTURE(name);
    const auto result = atlas::parse_envelope(bytes);
    REQUIRE(result.ok());
    const auto& envelope = result.value();
    const auto parent = envelope.parent_id();
    if (!parent) continue;
    const auto control = atlas::parse_control(envelope);
    if (control.ok() && std::holds_alternative<atlas::Escalate>(control.value())) {
      const auto& escalate = std::get<atlas::Escalate>(control.value());
      CHECK(*parent == escalate.failed_task_id);
      CHECK(envelope.task_id == atlas::escalation_task_id(uuid(*parent)).to_string());
      ++escalations;
    } else {
      CHECK(envelope.task_id == atlas::reply_task_id(uuid(*parent)).to_string());
      ++replies;
    }
  }
  CHECK(replies >= 4);  // spec done, error, budget_exceeded, heartbeat reply
  CHECK(escalations == 1);
}

TEST_CASE("envelope: the issue's invalid inputs are rejected with the right path") {
  const json chat = example_json("chat.json");
  const json spec = example_json("spec_done.json");
  const json control = example_json("control_heartbeat.json");
  const std::string chat_bytes = chat.dump();

  SUBCASE("not JSON") {
    check_rejected("{\"task_id\": ", {"", atlas::ErrorClass::not_json});
    check_rejected("", {"", atlas::ErrorClass::not_json});
    check_rejected("{} trailing", {"", atlas::ErrorClass::not_json});
    check_rejected("{\"a\": NaN}", {"", atlas::ErrorClass::not_json});
    check_rejected("\xEF\xBB\xBF" + chat_bytes, {"", atlas::ErrorClass::not_json});
  }
  SUBCASE("invalid UTF-8") {
    std::string bytes = chat_bytes;
    bytes.insert(bytes.find("minimal"), "\xC0\xAF");
    check_rejected(bytes, {"", atlas::ErrorClass::not_utf8});
    check_rejected(chat_bytes + "\xFF", {"", atlas::ErrorClass::not_utf8});
  }
  SUBCASE("over 1 MiB") {
    json big = chat;
    big["content"] = std::string(atlas::kMaxEnvelopeBytes, 'x');
    check_rejected(big.dump(), {"", atlas::ErrorClass::too_large});
  }
  SUBCASE("not an object") {
    check_rejected("[]", {"", atlas::ErrorClass::schema});
    check_rejected("null", {"", atlas::ErrorClass::schema});
  }
  SUBCASE("missing or malformed task_id") {
    json doc = chat;
    doc.erase("task_id");
    check_rejected(doc, "/task_id");
    for (const json& bad : {json("not-a-uuid"), json(42), json(nullptr),
                            json("{cce80f99-b320-4ec0-9eb2-117ea1a35b98}"),
                            json("cce80f99b3204ec09eb2117ea1a35b98"),
                            json("cce80f99-b320-4ec0-9eb2-117ea1a35b98\n")}) {
      CAPTURE(bad.dump());
      doc = chat;
      doc["task_id"] = bad;
      check_rejected(doc, "/task_id");
    }
  }
  SUBCASE("wrong role") {
    json doc = chat;
    doc["role"] = "assistant";
    check_rejected(doc, "/role");
    doc.erase("role");
    check_rejected(doc, "/role");
  }
  SUBCASE("unknown msg_type") {
    json doc = chat;
    doc["msg_type"] = "image";
    check_rejected(doc, "/msg_type");
    doc["msg_type"] = 1;
    check_rejected(doc, "/msg_type");
  }
  SUBCASE("control with an unknown command") {
    json doc = control;
    doc["content"] = {{"command", "reboot"}};
    check_rejected(doc, "/content/command");
    doc["content"] = json::object();
    check_rejected(doc, "/content/command");
  }
  SUBCASE("control with non-object content") {
    json doc = control;
    doc["content"] = "flush_cache";
    check_rejected(doc, "/content");
    doc["content"] = json::array({"flush_cache"});
    check_rejected(doc, "/content");
  }
  SUBCASE("chat whose content is not a string") {
    json doc = chat;
    doc["content"] = {{"text", "Design it"}};
    check_rejected(doc, "/content");
    doc["content"] = "";
    check_rejected(doc, "/content");
    doc.erase("content");
    check_rejected(doc, "/content");
  }
  SUBCASE("schema_ver other than 1") {
    json doc = chat;
    for (const json& bad : {json(2), json(0), json("1"), json(true), json(1.5), json(nullptr)}) {
      CAPTURE(bad.dump());
      doc["metadata"]["schema_ver"] = bad;
      check_rejected(doc, "/metadata/schema_ver");
    }
    doc["metadata"].erase("schema_ver");
    check_rejected(doc, "/metadata/schema_ver");
  }
  SUBCASE("spec without parent_id") {
    json doc = spec;
    doc["metadata"]["parent_id"] = nullptr;
    check_rejected(doc, "/metadata/parent_id");
    doc["metadata"].erase("parent_id");
    check_rejected(doc, "/metadata/parent_id");
  }
}

TEST_CASE("envelope: control command payloads are checked field by field") {
  const json set_budget = example_json("control_set_budget.json");
  const json escalate = example_json("control_escalate.json");
  for (const json& bad : {json(0), json(-3), json(1.5), json("8000"), json(nullptr),
                          json(9007199254740992ULL)}) {
    CAPTURE(bad.dump());
    json doc = set_budget;
    doc["content"]["tokens_per_run"] = bad;
    check_rejected(doc, "/content/tokens_per_run");
  }
  json doc = set_budget;
  doc["content"].erase("tokens_per_run");
  check_rejected(doc, "/content/tokens_per_run");

  for (const char* field : {"reason", "failed_task_id", "attempts", "last_error"}) {
    CAPTURE(field);
    doc = escalate;
    doc["content"].erase(field);
    check_rejected(doc, std::string("/content/") + field);
  }
  doc = escalate;
  doc["content"]["failed_task_id"] = "task-17";
  check_rejected(doc, "/content/failed_task_id");
  doc = escalate;
  doc["content"]["attempts"] = -1;
  check_rejected(doc, "/content/attempts");
  doc = escalate;
  doc["content"]["reason"] = 3;
  check_rejected(doc, "/content/reason");
}

TEST_CASE("envelope: metadata fields are checked with their paths") {
  const json chat = example_json("chat.json");
  const json spec = example_json("spec_done.json");
  const std::vector<std::pair<std::vector<std::string>, json>> cases = {
      {{"metadata", "status"}, "finished"},
      {{"metadata", "status"}, nullptr},
      {{"metadata", "parent_id"}, "parent"},
      {{"metadata", "tokens"}, -5},
      {{"metadata", "tokens"}, true},
      {{"metadata", "tokens"}, 0.5},
      {{"metadata", "model"}, 42},
      {{"metadata", "origin"}, "slack"},
      {{"metadata", "origin", "kind"}, "email"},
      {{"metadata", "origin", "kind"}, nullptr},
      {{"metadata", "cost_usd"}, -0.5},
      {{"metadata", "cost_usd"}, "0.01"},
      {{"metadata", "attempts"}, json::object()},
      {{"metadata", "usage"}, json::array()},
      {{"metadata", "rag"}, 1},
      {{"metadata", "timings"}, "fast"},
      {{"metadata"}, json::array()},
  };
  for (const auto& [keys, value] : cases) {
    json doc = spec;
    json* target = &doc;
    std::string path;
    for (const auto& key : keys) {
      target = &(*target)[key];
      path += "/" + key;
    }
    *target = value;
    CAPTURE(path);
    CAPTURE(value.dump());
    check_rejected(doc, path);
  }
  json doc = chat;
  doc["metadata"]["origin"].erase("kind");
  check_rejected(doc, "/metadata/origin/kind");
  doc = chat;
  doc.erase("metadata");
  check_rejected(doc, "/metadata");
  doc = chat;
  doc["priority"] = "high";
  check_rejected(doc, "/priority");
  doc = chat;
  doc["a/b~c"] = 1;
  check_rejected(doc, "/a~1b~0c");
}

TEST_CASE("envelope: accepted variations (case, 1.0, extra metadata, minimal metadata)") {
  json chat = example_json("chat.json");
  for (auto change : std::vector<std::function<void(json&)>>{
           [](json& d) { d["task_id"] = "CCE80F99-B320-4EC0-9EB2-117EA1A35B98"; },
           [](json& d) { d["metadata"]["schema_ver"] = 1.0; },
           [](json& d) { d["metadata"]["tokens"] = 12.0; },
           [](json& d) { d["metadata"]["trace_id"] = "abc"; },
           [](json& d) { d["metadata"] = {{"schema_ver", 1}}; },
           [](json& d) { d["content"] = std::string("a\0b", 3); },
       }) {
    json doc = chat;
    change(doc);
    CAPTURE(doc.dump());
    const auto result = atlas::parse_envelope(doc.dump());
    CHECK_MESSAGE(result.ok(), (result.ok() ? "" : result.error().describe()));
  }
}

TEST_CASE("envelope: size, depth and number limits sit exactly at their bounds") {
  json doc = example_json("chat.json");
  doc["content"] = "";
  const std::size_t overhead = doc.dump().size();
  doc["content"] = std::string(atlas::kMaxEnvelopeBytes - overhead, 'x');
  REQUIRE(doc.dump().size() == atlas::kMaxEnvelopeBytes);
  CHECK(atlas::parse_envelope(doc.dump()).ok());
  doc["content"] = std::string(atlas::kMaxEnvelopeBytes - overhead + 1, 'x');
  check_rejected(doc.dump(), {"", atlas::ErrorClass::too_large});

  // Envelope (1) > metadata (2) > rag (3) > arrays: 61 arrays reach depth 64.
  auto nested = [](std::size_t levels) {
    json value = json::array();
    for (std::size_t i = 1; i < levels; ++i) value = json::array({value});
    return value;
  };
  doc = example_json("chat.json");
  doc["metadata"]["rag"] = {{"trace", nested(atlas::kMaxEnvelopeDepth - 3)}};
  CHECK(atlas::parse_envelope(doc.dump()).ok());
  doc["metadata"]["rag"] = {{"trace", nested(atlas::kMaxEnvelopeDepth - 2)}};
  check_rejected(doc.dump(), {"", atlas::ErrorClass::too_deep});
  // Brackets inside strings do not count.
  doc = example_json("chat.json");
  doc["content"] = std::string(200, '[');
  CHECK(atlas::parse_envelope(doc.dump()).ok());
  // A million open brackets: rejected, no stack overflow.
  check_rejected(std::string(1000000, '['), {"", atlas::ErrorClass::too_deep});

  std::string bytes = example_json("chat.json").dump();
  bytes.replace(bytes.find("\"tokens\":0"), 10, "\"tokens\":1e400");
  check_rejected(bytes, {"", atlas::ErrorClass::not_json});
}

TEST_CASE("envelope: serialize round-trips every example and keeps field order") {
  for (const auto& [name, bytes] : load_examples()) {
    CAPTURE(name);
    const auto parsed = atlas::parse_envelope(bytes);
    REQUIRE(parsed.ok());
    const std::string text = atlas::serialize(parsed.value());
    CHECK(text.rfind("{\"task_id\":", 0) == 0);
    CHECK(text.find('\n') == std::string::npos);
    const auto again = atlas::parse_envelope(text);
    REQUIRE(again.ok());
    CHECK(again.value() == parsed.value());
    CHECK(atlas::serialize(again.value()) == text);
    CHECK(json::parse(text) == json::parse(bytes));
  }
}

TEST_CASE("envelope: make_chat builds a valid request") {
  const auto id = uuid("cce80f99-b320-4ec0-9eb2-117ea1a35b98");
  const json origin = {{"kind", "cli"}, {"user", "ops"}};
  const auto chat = atlas::make_chat("Design \"it\" \\ now\n\xC3\xBC", origin, id);
  const auto parsed = atlas::parse_envelope(atlas::serialize(chat));
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().describe()));
  CHECK(parsed.value() == chat);
  CHECK(chat.task_id == id.to_string());
  CHECK(chat.text() == "Design \"it\" \\ now\n\xC3\xBC");
  CHECK(chat.status() == atlas::Status::in_progress);
  CHECK(chat.origin() == origin);
  CHECK_FALSE(chat.parent_id());
  CHECK(chat.schema_ver() == 1);

  const auto no_origin = atlas::make_chat("hi", nullptr, id);
  CHECK(atlas::parse_envelope(atlas::serialize(no_origin)).ok());
  CHECK_FALSE(no_origin.metadata.contains("origin"));
}

// serialize() and serialize_chat() escape strings by hand; nlohmann's dump
// (ensure_ascii off, U+FFFD for bad bytes) is the reference, byte for byte.
TEST_CASE("envelope: serialize and serialize_chat write strings byte for byte as nlohmann's dump") {
  const auto dump = [](const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); };
  const auto reference = [&](const atlas::Envelope& e) {
    return "{\"task_id\":" + dump(e.task_id) + ",\"role\":" + dump(e.role) +
           ",\"msg_type\":" + dump(std::string(atlas::to_string(e.msg_type))) +
           ",\"content\":" + dump(e.content) + ",\"metadata\":" + dump(e.metadata) + "}";
  };
  std::vector<std::string> texts = {"plain", "", "quote \" backslash \\ slash /",
                                    "tab\tnewline\ncr\rbackspace\bformfeed\f",
                                    "\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80 unicode", "del \x7F",
                                    "cut \xE2\x82", "bad \xFF\xFE byte", "surrogate \xED\xA0\x80"};
  for (int c = 0; c < 0x20; ++c) texts.push_back(std::string("ctl ") + static_cast<char>(c) + "!");
  const auto id = uuid("cce80f99-b320-4ec0-9eb2-117ea1a35b98");
  const json origins[] = {nullptr,
                          {{"kind", "slack"}, {"team", "T\"1"}, {"channel", "C\\1"}},
                          {{"kind", "github"}, {"repo", "o/r"}, {"issue", 42}, {"installation_id", 7}}};
  for (const auto& text : texts) {
    CAPTURE(text);
    for (const auto& origin : origins) {
      const auto chat = atlas::make_chat(text, origin, id);
      CHECK(atlas::serialize(chat) == reference(chat));
      CHECK(atlas::serialize_chat(text, origin, id) == atlas::serialize(chat));
    }
  }
  for (const auto& [name, bytes] : load_examples()) {
    CAPTURE(name);
    const auto parsed = atlas::parse_envelope(bytes);
    REQUIRE(parsed.ok());
    CHECK(atlas::serialize(parsed.value()) == reference(parsed.value()));
  }
}

TEST_CASE("envelope: make_reply derives the id, links the parent and copies the origin") {
  const auto request = example("chat.json");
  const json extra = {{"usage", {{"total_tokens", 120}}},
                      {"tokens", 120},
                      {"model", "gpt-4.1"},
                      {"cost_usd", 0.001},
                      {"parent_id", "ignored"},
                      {"schema_ver", 7}};
  const auto reply =
      atlas::make_reply(request, atlas::MsgType::spec, "# ADR", atlas::Status::done, extra);
  const auto parsed = atlas::parse_envelope(atlas::serialize(reply));
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().describe()));
  CHECK(reply.task_id == atlas::reply_task_id(uuid(request.task_id)).to_string());
  CHECK(reply.parent_id() == request.task_id);
  CHECK(reply.origin() == request.origin());
  CHECK(reply.status() == atlas::Status::done);
  CHECK(reply.tokens() == 120);
  CHECK(reply.model() == "gpt-4.1");
  CHECK(reply.schema_ver() == 1);
  CHECK(reply.kafka_key() == request.task_id);
  // Reprocessing the same request gives the same reply id.
  CHECK(atlas::make_reply(request, atlas::MsgType::spec, "other text", atlas::Status::error)
            .task_id == reply.task_id);
  // The example reply to this request has the same id.
  CHECK(example("spec_done.json").task_id == reply.task_id);

  const auto heartbeat = example("control_heartbeat.json");
  const auto pong = atlas::make_reply(heartbeat, atlas::MsgType::control,
                                      {{"command", "heartbeat"}, {"replica", "w-1"}},
                                      atlas::Status::ok);
  CHECK(atlas::parse_envelope(atlas::serialize(pong)).ok());
  CHECK(pong.task_id == example("control_heartbeat_reply.json").task_id);
}

TEST_CASE("envelope: make_control and make_escalation build valid control messages") {
  const auto id = uuid("6b9e3a93-1f0d-4a2b-bc92-2ff80396a297");
  const auto flush = atlas::make_control(atlas::to_json(atlas::ControlCommand{atlas::FlushCache{}}),
                                         id, {{"kind", "cli"}});
  REQUIRE(atlas::parse_envelope(atlas::serialize(flush)).ok());
  CHECK(flush.task_id == example("control_flush_cache.json").task_id);
  CHECK(flush.content == example("control_flush_cache.json").content);

  const auto spec_done = example("spec_done.json");
  const auto escalation = atlas::make_escalation(
      "delivery_failed", uuid(spec_done.task_id), 3, "slack chat.postMessage: channel_not_found",
      spec_done.origin());
  const auto parsed = atlas::parse_envelope(atlas::serialize(escalation));
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().describe()));
  // Same fields as the example, built independently.
  CHECK(escalation == example("control_escalate.json"));
}

TEST_CASE("envelope: parse_control returns typed commands") {
  const auto budget = atlas::parse_control(example("control_set_budget.json"));
  REQUIRE(budget.ok());
  CHECK(std::get<atlas::SetBudget>(budget.value()).tokens_per_run == 8000);
  CHECK(atlas::command_name(budget.value()) == "set_budget");

  const auto escalate = atlas::parse_control(example("control_escalate.json"));
  REQUIRE(escalate.ok());
  const auto& e = std::get<atlas::Escalate>(escalate.value());
  CHECK(e.reason == "delivery_failed");
  CHECK(e.attempts == 3);
  CHECK(e.failed_task_id == example("spec_done.json").task_id);
  CHECK(atlas::to_json(escalate.value()) == example("control_escalate.json").content);

  CHECK(std::holds_alternative<atlas::FlushCache>(
      atlas::parse_control(example("control_flush_cache.json")).value()));
  CHECK(std::holds_alternative<atlas::Heartbeat>(
      atlas::parse_control(example("control_heartbeat_reply.json")).value()));

  const auto not_control = atlas::parse_control(example("chat.json"));
  REQUIRE_FALSE(not_control.ok());
  CHECK(not_control.error().path == "/msg_type");

  const auto bad = atlas::parse_control_content({{"command", "set_budget"}}, "");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().path == "/tokens_per_run");

  for (const atlas::ControlCommand& command :
       {atlas::ControlCommand{atlas::FlushCache{}}, atlas::ControlCommand{atlas::Heartbeat{}},
        atlas::ControlCommand{atlas::SetBudget{42}},
        atlas::ControlCommand{
            atlas::Escalate{"r", "cce80f99-b320-4ec0-9eb2-117ea1a35b98", 0, "e"}}}) {
    const auto round = atlas::parse_control_content(atlas::to_json(command));
    REQUIRE(round.ok());
    CHECK(round.value() == command);
  }
}

TEST_CASE("envelope: error describe and display_path name the document as /") {
  const auto result = atlas::parse_envelope("nope");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().display_path() == "/");
  CHECK(result.error().describe().rfind("invalid at /: not valid JSON", 0) == 0);
  CHECK(atlas::to_string(result.error().error_class) == "not_json");
}

TEST_CASE("envelope: random bytes, truncations and byte flips never escape as exceptions") {
  // parse_envelope is noexcept: an escaping exception would terminate the test.
  std::mt19937_64 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(static_cast<std::size_t>(rng() % 300), '\0');
    for (auto& c : bytes) c = static_cast<char>(byte(rng));
    CHECK_FALSE(atlas::parse_envelope(bytes).ok());
  }
  for (const auto& [name, bytes] : load_examples()) {
    CAPTURE(name);
    const std::size_t end = bytes.rfind('}');
    for (std::size_t cut = 0; cut <= end; ++cut) {
      const auto result = atlas::parse_envelope(std::string_view(bytes).substr(0, cut));
      REQUIRE_FALSE(result.ok());
      REQUIRE_FALSE(atlas::validate_utf8(result.error().message));
    }
    for (int i = 0; i < 300; ++i) {
      std::string mutated = bytes;
      mutated[rng() % mutated.size()] = static_cast<char>(byte(rng));
      const auto result = atlas::parse_envelope(mutated);
      if (result.ok()) {
        // Whatever survives a flip must still round-trip.
        CHECK(atlas::parse_envelope(atlas::serialize(result.value())).value() == result.value());
      } else {
        CHECK_FALSE(atlas::validate_utf8(result.error().message));
      }
    }
  }
}
