// atlasctl dlq list | replay [ID...|--all] | purge: the dead letters of
// architect_dlq (KAFKA_TOPIC_DLQ), with their reasons.
//
// How "purged" and "replayed" work on Kafka (docs/router.md, "Dead letters"):
// a Kafka topic is an append-only log, so dead letters are not deleted one by
// one. Instead
//   - the consumer group atlas-dlq-admin (which no process ever joins) holds a
//     committed offset per partition: the purge point. `purge` commits the
//     current end of every partition; entries before the purge point are gone
//     from `list` and from dead_letter_count, and the topic's retention
//     removes the bytes later. (librdkafka 2.0.2's mock cluster, atlas-devbus,
//     answers DeleteRecords with "Required feature not supported by broker",
//     and DeleteRecords would also destroy what an operator may still want to
//     inspect with other tools.)
//   - `replay` re-injects an entry into its atlas-original-topic (failure
//     headers removed, so it starts with fresh attempts), then records its
//     coordinates in PostgreSQL router_dlq_replays (migration 005); `list`
//     hides replayed entries unless --all, and dead_letter_count leaves them out.
// An entry's ID is PARTITION:OFFSET in the dead-letter topic.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/transaction>

#include "atlas/config.hpp"
#include "atlas/failure_headers.hpp"
#include "atlas/kafka/admin.hpp"
#include "atlas/kafka/error.hpp"
#include "atlas/kafka/handles.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/kafka/properties.hpp"
#include "atlas/pg/conninfo.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/utf8.hpp"
#include "commands.hpp"

namespace atlas::ctl {
namespace {

constexpr const char* kUsage =
    "usage: atlasctl dlq list   [--all] [--format table|json] [--timeout SECONDS]\n"
    "       atlasctl dlq replay (ID... | --all) [--force] [--format table|json]\n"
    "       atlasctl dlq purge  [--dry-run] [--format table|json]\n"
    "\n"
    "Dead letters on architect_dlq (KAFKA_TOPIC_DLQ). An ID is PARTITION:OFFSET.\n"
    "  list     entries after the purge point, oldest first per partition, with the\n"
    "           reason (atlas-error-class, atlas-error), attempts and original topic;\n"
    "           replayed entries are hidden unless --all\n"
    "  replay   re-inject entries into their original topic (architect_in or\n"
    "           architect_out) with fresh attempts, once each (--force: again)\n"
    "  purge    move the purge point (the committed offsets of the consumer group\n"
    "           atlas-dlq-admin) to the end of every partition: current entries\n"
    "           disappear from list and dead_letter_count; Kafka's retention deletes\n"
    "           the bytes later. --dry-run only says how many would go.\n"
    "  --format table|json   human-readable table (default) or one JSON document\n"
    "  --timeout SECONDS     broker and database time-out (default 15)\n"
    "Needs KAFKA_BROKERS, and DATABASE_URL for the replay records (migration 005).\n";

// The consumer group that marks the purge point; the router reads it for
// dead_letter_count (router/include/atlas/router/housekeeping.hpp, kDlqAdminGroup).
constexpr const char* kDlqAdminGroup = "atlas-dlq-admin";

struct Options {
  std::string action;
  std::vector<std::string> ids;
  bool all = false;
  bool force = false;
  bool dry_run = false;
  bool json = false;
  std::chrono::milliseconds timeout{15'000};
};

struct Entry {
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::optional<std::string> key;
  std::string value;
  kafka::Headers headers;
  bool replayed = false;

  [[nodiscard]] std::string id() const {
    return std::to_string(partition) + ":" + std::to_string(offset);
  }
};

struct PartitionRange {
  std::int32_t partition = -1;
  std::int64_t start = 0;  // the purge point (first entry still listed)
  std::int64_t high = 0;   // the end of the partition
};

// A consumer handle of group atlas-dlq-admin that never subscribes: it reads
// by assignment and commits the purge point, without joining the group.
class DlqClient {
 public:
  DlqClient(const KafkaSettings& settings, std::string topic, std::chrono::milliseconds timeout)
      : topic_(std::move(topic)), timeout_(timeout) {
    kafka::PropertyList props = kafka::admin_properties(settings, "atlasctl-dlq");
    props.emplace_back("group.id", kDlqAdminGroup);
    props.emplace_back("enable.auto.commit", "false");
    props.emplace_back("enable.auto.offset.store", "false");
    props.emplace_back("enable.partition.eof", "true");
    props.emplace_back("auto.offset.reset", "earliest");
    props.emplace_back("log_level", "3");
    rk_ = kafka::make_handle(RD_KAFKA_CONSUMER, kafka::make_conf(props));
  }
  ~DlqClient() {
    if (rk_) rd_kafka_consumer_close(rk_.get());
  }
  DlqClient(const DlqClient&) = delete;
  DlqClient& operator=(const DlqClient&) = delete;

  // The purge point and end of every partition.
  std::vector<PartitionRange> ranges(int partitions) {
    kafka::PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions));
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p);
    if (const auto err = rd_kafka_committed(rk_.get(), list.get(), ms()); err) {
      throw kafka::KafkaError("cannot read the purge point (group " + std::string(kDlqAdminGroup) +
                              "): " + rd_kafka_err2str(err));
    }
    std::vector<PartitionRange> out;
    for (int i = 0; i < list->cnt; ++i) {
      const auto& e = list->elems[i];
      std::int64_t low = 0;
      std::int64_t high = 0;
      if (const auto err = rd_kafka_query_watermark_offsets(rk_.get(), topic_.c_str(), e.partition,
                                                            &low, &high, ms());
          err) {
        throw kafka::KafkaError("cannot read the watermarks of " + topic_ + "/" +
                                std::to_string(e.partition) + ": " + rd_kafka_err2str(err));
      }
      PartitionRange r;
      r.partition = e.partition;
      r.start = std::max<std::int64_t>(low, e.err == RD_KAFKA_RESP_ERR_NO_ERROR && e.offset >= 0 ? e.offset : 0);
      r.high = high;
      out.push_back(r);
    }
    return out;
  }

  // Every entry in [start, high) of each range.
  std::vector<Entry> read(const std::vector<PartitionRange>& ranges) {
    kafka::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size())));
    std::map<std::int32_t, std::int64_t> remaining;  // partition -> end offset still to reach
    for (const auto& r : ranges) {
      if (r.start >= r.high) continue;
      rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), r.partition)->offset = r.start;
      remaining[r.partition] = r.high;
    }
    std::vector<Entry> out;
    if (remaining.empty()) return out;
    if (const auto err = rd_kafka_assign(rk_.get(), list.get()); err) {
      throw kafka::KafkaError(std::string("cannot read ") + topic_ + ": " + rd_kafka_err2str(err));
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (!remaining.empty()) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw kafka::KafkaError("reading " + topic_ + " timed out: is KAFKA_BROKERS reachable?");
      }
      kafka::MessagePtr msg(rd_kafka_consumer_poll(rk_.get(), 200));
      if (!msg) continue;
      const std::int32_t partition = msg->partition;
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        remaining.erase(partition);
        continue;
      }
      if (msg->err) {
        throw kafka::KafkaError(std::string("reading ") + topic_ + ": " + rd_kafka_message_errstr(msg.get()));
      }
      auto it = remaining.find(partition);
      if (it == remaining.end() || msg->offset >= it->second) continue;
      Entry e;
      e.partition = partition;
      e.offset = msg->offset;
      if (msg->key != nullptr) e.key.emplace(static_cast<const char*>(msg->key), msg->key_len);
      if (msg->payload != nullptr) e.value.assign(static_cast<const char*>(msg->payload), msg->len);
      e.headers = kafka::message_headers(*msg);
      out.push_back(std::move(e));
      if (msg->offset + 1 >= it->second) remaining.erase(it);
    }
    rd_kafka_assign(rk_.get(), nullptr);  // unassign
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
      return a.partition != b.partition ? a.partition < b.partition : a.offset < b.offset;
    });
    return out;
  }

  // Commits `offsets` (partition -> new purge point) for atlas-dlq-admin.
  void commit(const std::map<std::int32_t, std::int64_t>& offsets) {
    kafka::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [p, o] : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p)->offset = o;
    }
    if (const auto err = rd_kafka_commit(rk_.get(), list.get(), 0); err) {
      throw kafka::KafkaError("cannot commit the purge point (group " + std::string(kDlqAdminGroup) +
                              "): " + rd_kafka_err2str(err));
    }
  }

 private:
  [[nodiscard]] int ms() const { return static_cast<int>(timeout_.count()); }
  std::string topic_;
  std::chrono::milliseconds timeout_;
  kafka::HandlePtr rk_;
};

Options parse_args(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--all") {
      o.all = true;
    } else if (a == "--force") {
      o.force = true;
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a == "--format") {
      if (i + 1 >= args.size()) throw ConfigError({"--format needs a value: table or json"});
      const std::string& f = args[++i];
      if (f != "table" && f != "json") throw ConfigError({"--format must be table or json, not '" + f + "'"});
      o.json = f == "json";
    } else if (a == "--timeout") {
      if (i + 1 >= args.size()) throw ConfigError({"--timeout needs a value"});
      try {
        o.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(std::stod(args[++i]) * 1000));
      } catch (const std::exception&) {
        throw ConfigError({"--timeout needs a number of seconds"});
      }
    } else if (a.rfind("--", 0) == 0) {
      throw ConfigError({"unknown option " + a + " (see atlasctl dlq --help)"});
    } else if (o.action.empty()) {
      o.action = a;
    } else {
      o.ids.push_back(a);
    }
  }
  if (o.action != "list" && o.action != "replay" && o.action != "purge") {
    throw ConfigError({o.action.empty() ? "dlq needs an action: list, replay or purge"
                                        : "unknown dlq action '" + o.action + "': use list, replay or purge"});
  }
  if (o.action == "replay" && o.ids.empty() && !o.all) {
    throw ConfigError({"dlq replay needs entry IDs (PARTITION:OFFSET, see dlq list) or --all"});
  }
  if (o.action != "replay" && !o.ids.empty()) {
    throw ConfigError({"dlq " + o.action + " takes no IDs"});
  }
  return o;
}

std::optional<std::pair<std::int32_t, std::int64_t>> parse_id(const std::string& id) {
  const auto colon = id.find(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    std::size_t used = 0;
    const int p = std::stoi(id.substr(0, colon), &used);
    if (used != colon || p < 0) return std::nullopt;
    const std::string rest = id.substr(colon + 1);
    const long long o = std::stoll(rest, &used);
    if (used != rest.size() || o < 0) return std::nullopt;
    return std::make_pair(static_cast<std::int32_t>(p), static_cast<std::int64_t>(o));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A connection to DATABASE_URL; errors never carry its password.
std::unique_ptr<pqxx::connection> connect(const CommonConfig& common,
                                          std::chrono::milliseconds timeout) {
  const std::string conninfo = pg::with_connect_timeout(
      common.database_url, std::chrono::ceil<std::chrono::seconds>(timeout));
  try {
    return std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot connect to PostgreSQL (DATABASE_URL): " +
                             pg::redact_conninfo(e.what(), common.database_url));
  }
}

// The entries of `topic` already replayed (router_dlq_replays).
std::set<std::pair<std::int32_t, std::int64_t>> replayed_entries(pqxx::connection& conn,
                                                                 const std::string& topic) {
  std::set<std::pair<std::int32_t, std::int64_t>> out;
  pqxx::work tx(conn);
  for (const auto& row : tx.exec_params(
           "SELECT \"partition\", \"offset\" FROM public.router_dlq_replays WHERE topic = $1", topic)) {
    out.emplace(row[0].as<int>(), row[1].as<long long>());
  }
  tx.commit();
  return out;
}

nlohmann::json entry_json(const Entry& e, bool with_value) {
  const ParsedFailureHeaders h = parse_failure_headers(e.headers, 0);
  nlohmann::json j = {{"id", e.id()},
                      {"partition", e.partition},
                      {"offset", e.offset},
                      {"key", e.key ? nlohmann::json(*e.key) : nlohmann::json()},
                      {"original_topic", h.headers.original_topic},
                      {"attempts", h.headers.attempts},
                      {"error_class", h.headers.error_class},
                      {"error", h.headers.error},
                      {"component", h.headers.component},
                      {"failed_at", h.headers.failed_at ? epoch_ms_text(*h.headers.failed_at) : ""},
                      {"replayed", e.replayed}};
  const nlohmann::json value = nlohmann::json::parse(e.value, nullptr, false);
  j["task_id"] = value.is_object() && value.contains("task_id") && value["task_id"].is_string()
                     ? value["task_id"]
                     : nlohmann::json();
  if (with_value) j["value"] = value.is_discarded() ? nlohmann::json(e.value) : value;
  return j;
}

// One table cell: valid UTF-8, no line breaks, at most `width` bytes.
std::string cell(std::string text, std::size_t width) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (validate_utf8(text)) text = "(not UTF-8)";
  if (text.size() > width) text = std::string(utf8_prefix(text, width - 3)) + "...";
  return text;
}

void print_table(const std::vector<nlohmann::json>& rows) {
  std::printf("%-12s %-36s %-14s %-8s %-16s %-9s %s\n", "ID", "TASK_ID", "ORIGINAL_TOPIC",
              "ATTEMPTS", "ERROR_CLASS", "REPLAYED", "ERROR");
  for (const auto& r : rows) {
    std::printf("%-12s %-36s %-14s %-8d %-16s %-9s %s\n", cell(r["id"], 12).c_str(),
                cell(r["task_id"].is_string() ? r["task_id"].get<std::string>() : "-", 36).c_str(),
                cell(r["original_topic"], 14).c_str(), r["attempts"].get<int>(),
                cell(r["error_class"], 16).c_str(), r["replayed"].get<bool>() ? "yes" : "no",
                cell(r["error"], 100).c_str());
  }
}

}  // namespace

int cmd_dlq(const std::vector<std::string>& args, Context& ctx) {
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  const Options o = parse_args(args);
  const CommonConfig common = load_common_config(ctx);
  const std::string& topic = common.kafka.topic_dlq;

  kafka::Admin admin(common.kafka, "atlasctl-dlq", ctx.log);
  const kafka::ClusterInfo cluster = admin.describe_cluster(o.timeout);
  const kafka::TopicInfo* info = cluster.topic(topic);
  if (info == nullptr || !info->error.empty() || info->partitions <= 0) {
    throw kafka::KafkaError("the dead-letter topic " + topic + " does not exist on " +
                            common.kafka.brokers + ": check KAFKA_BROKERS and KAFKA_TOPIC_DLQ");
  }
  DlqClient dlq(common.kafka, topic, o.timeout);
  const std::vector<PartitionRange> ranges = dlq.ranges(info->partitions);

  if (o.action == "purge") {
    std::map<std::int32_t, std::int64_t> points;
    std::int64_t purged = 0;
    for (const auto& r : ranges) {
      points[r.partition] = r.high;
      purged += r.high - r.start;
    }
    if (!o.dry_run) {
      dlq.commit(points);
      // Replay records before the purge point no longer matter.
      const auto conn = connect(common, o.timeout);
      pqxx::work tx(*conn);
      for (const auto& [p, high] : points) {
        tx.exec_params("DELETE FROM public.router_dlq_replays WHERE topic = $1 AND \"partition\" = $2 "
                       "AND \"offset\" < $3",
                       topic, p, static_cast<long long>(high));
      }
      tx.commit();
    }
    if (o.json) {
      nlohmann::json points_json = nlohmann::json::object();
      for (const auto& [p, high] : points) points_json[std::to_string(p)] = high;
      std::printf("%s\n", nlohmann::json{{"purged", purged},
                                         {"dry_run", o.dry_run},
                                         {"purge_point", points_json}}
                              .dump()
                              .c_str());
    } else {
      std::printf("%s %lld dead letter(s) from %s (purge point: group %s)\n",
                  o.dry_run ? "would purge" : "purged", static_cast<long long>(purged), topic.c_str(),
                  kDlqAdminGroup);
    }
    return kExitOk;
  }

  std::vector<Entry> entries = dlq.read(ranges);
  const auto conn = connect(common, o.timeout);
  const auto replayed = replayed_entries(*conn, topic);
  for (Entry& e : entries) e.replayed = replayed.count({e.partition, e.offset}) != 0;

  if (o.action == "list") {
    std::vector<nlohmann::json> rows;
    for (const Entry& e : entries) {
      if (e.replayed && !o.all) continue;
      rows.push_back(entry_json(e, o.json));
    }
    if (o.json) {
      std::printf("%s\n", nlohmann::json(rows).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else if (rows.empty()) {
      std::printf("no dead letters on %s\n", topic.c_str());
    } else {
      print_table(rows);
    }
    return kExitOk;
  }

  // replay
  std::vector<const Entry*> chosen;
  int problems = 0;
  if (o.all) {
    for (const Entry& e : entries) {
      if (!e.replayed || o.force) chosen.push_back(&e);
    }
  } else {
    for (const std::string& id : o.ids) {
      const auto coords = parse_id(id);
      if (!coords) throw ConfigError({"'" + id + "' is not an entry ID: use PARTITION:OFFSET from dlq list"});
      const auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
        return e.partition == coords->first && e.offset == coords->second;
      });
      if (it == entries.end()) {
        std::fprintf(stderr, "atlasctl dlq replay: no dead letter %s (purged, or never there)\n", id.c_str());
        ++problems;
      } else if (it->replayed && !o.force) {
        std::fprintf(stderr, "atlasctl dlq replay: %s was replayed already (--force replays it again)\n",
                     id.c_str());
        ++problems;
      } else {
        chosen.push_back(&*it);
      }
    }
  }

  const std::set<std::string> allowed = {common.kafka.topic_in, common.kafka.topic_out};
  kafka::Producer producer(common.kafka, "atlasctl-dlq", ctx.log);
  std::vector<nlohmann::json> results;
  for (const Entry* e : chosen) {
    const ParsedFailureHeaders h = parse_failure_headers(e->headers, 0);
    nlohmann::json result = {{"id", e->id()}, {"target_topic", h.headers.original_topic}};
    if (allowed.count(h.headers.original_topic) == 0) {
      result["replayed"] = false;
      result["error"] = "atlas-original-topic '" + h.headers.original_topic +
                        "' is not architect_in or architect_out";
      ++problems;
      results.push_back(result);
      continue;
    }
    kafka::Record record;
    record.topic = h.headers.original_topic;
    record.key = e->key;
    record.value = e->value;
    record.headers = without_failure_headers(e->headers);
    const kafka::DeliveryResult delivered = producer.produce_sync(std::move(record), o.timeout);
    if (!delivered.ok) {
      result["replayed"] = false;
      result["error"] = delivered.error;
      ++problems;
      results.push_back(result);
      continue;
    }
    pqxx::work tx(*conn);
    tx.exec_params(
        "INSERT INTO public.router_dlq_replays (topic, \"partition\", \"offset\", replayed_to) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (topic, \"partition\", \"offset\") "
        "DO UPDATE SET replayed_at = now(), replayed_to = EXCLUDED.replayed_to",
        topic, e->partition, static_cast<long long>(e->offset), h.headers.original_topic);
    tx.commit();
    result["replayed"] = true;
    results.push_back(result);
  }
  if (o.json) {
    std::printf("%s\n", nlohmann::json(results).dump().c_str());
  } else {
    for (const auto& r : results) {
      if (r["replayed"].get<bool>()) {
        std::printf("replayed %s -> %s\n", r["id"].get<std::string>().c_str(),
                    r["target_topic"].get<std::string>().c_str());
      } else {
        std::printf("NOT replayed %s: %s\n", r["id"].get<std::string>().c_str(),
                    r["error"].get<std::string>().c_str());
      }
    }
    if (results.empty() && problems == 0) std::printf("nothing to replay\n");
  }
  return problems == 0 ? kExitOk : kExitError;
}

}  // namespace atlas::ctl
