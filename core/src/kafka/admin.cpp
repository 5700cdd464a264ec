#include "atlas/kafka/admin.hpp"

#include <algorithm>

#include "atlas/kafka/error.hpp"
#include "atlas/kafka/handles.hpp"
#include "atlas/kafka/properties.hpp"
#include "client_context.hpp"

namespace atlas::kafka {

const TopicInfo* ClusterInfo::topic(const std::string& name) const {
  for (const auto& t : topics) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::int64_t PartitionOffsets::lag() const {
  if (high < 0) return 0;
  const std::int64_t from = committed.value_or(low < 0 ? 0 : low);
  return high > from ? high - from : 0;
}

struct Admin::Impl : detail::ClientContext {
  Impl(Logger& l, std::string id, KafkaSettings s)
      : ClientContext(l, std::move(id)), settings(std::move(s)) {}
  KafkaSettings settings;
  HandlePtr rk;  // a producer handle: metadata needs no group
};

Admin::Admin(const KafkaSettings& settings, std::string client_id, Logger& logger)
    : impl_(std::make_unique<Impl>(logger, client_id, settings)) {
  ConfPtr conf = make_conf(admin_properties(settings, client_id));
  detail::install_callbacks(conf.get(), impl_.get());
  impl_->rk = make_handle(RD_KAFKA_PRODUCER, std::move(conf));
}

Admin::~Admin() = default;

namespace {

MetadataPtr fetch_metadata(rd_kafka_t* rk, rd_kafka_topic_t* only, std::chrono::milliseconds timeout,
                           const std::string& brokers) {
  const rd_kafka_metadata_t* raw = nullptr;
  const auto err = rd_kafka_metadata(rk, only == nullptr ? 1 : 0, only, &raw,
                                     static_cast<int>(timeout.count()));
  MetadataPtr md(raw);
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT) {
    throw KafkaError("no Kafka broker answered within " + std::to_string(timeout.count()) +
                     " ms at " + brokers + ": check KAFKA_BROKERS and that the cluster is up");
  }
  if (err) throw KafkaError(std::string("Kafka metadata request failed: ") + rd_kafka_err2str(err));
  return md;
}

}  // namespace

ClusterInfo Admin::describe_cluster(std::chrono::milliseconds timeout) {
  const auto md = fetch_metadata(impl_->rk.get(), nullptr, timeout, impl_->settings.brokers);
  ClusterInfo info;
  for (int i = 0; i < md->broker_cnt; ++i) {
    info.brokers.push_back({md->brokers[i].id, md->brokers[i].host, md->brokers[i].port});
  }
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    TopicInfo topic{t.topic, t.partition_cnt, {}};
    if (t.err) topic.error = rd_kafka_err2str(t.err);
    info.topics.push_back(std::move(topic));
  }
  std::sort(info.topics.begin(), info.topics.end(),
            [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
  return info;
}

std::vector<PartitionOffsets> Admin::group_offsets(const std::string& group,
                                                   const std::string& topic,
                                                   std::chrono::milliseconds timeout) {
  const auto info = describe_cluster(timeout);
  const TopicInfo* t = info.topic(topic);
  if (t == nullptr || !t->error.empty()) {
    throw KafkaError("Kafka topic \"" + topic + "\" does not exist" +
                     (t != nullptr ? " (" + t->error + ")" : std::string()));
  }

  // rd_kafka_committed needs a consumer handle of the group. It never
  // subscribes, so it does not join the group or disturb its members.
  PropertyList props = admin_properties(impl_->settings, impl_->client_id);
  props.emplace_back("group.id", group);
  props.emplace_back("enable.auto.commit", "false");
  ConfPtr conf = make_conf(props);
  detail::install_callbacks(conf.get(), impl_.get());
  HandlePtr consumer = make_handle(RD_KAFKA_CONSUMER, std::move(conf));

  PartitionListPtr list(rd_kafka_topic_partition_list_new(t->partitions));
  for (int p = 0; p < t->partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  }
  if (const auto err = rd_kafka_committed(consumer.get(), list.get(),
                                          static_cast<int>(timeout.count()));
      err) {
    throw KafkaError("cannot read committed offsets of group \"" + group + "\": " +
                     rd_kafka_err2str(err));
  }
  std::vector<PartitionOffsets> out;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& elem = list->elems[i];
    PartitionOffsets po;
    po.partition = elem.partition;
    if (elem.err == RD_KAFKA_RESP_ERR_NO_ERROR && elem.offset >= 0) po.committed = elem.offset;
    if (const auto err = rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(),
                                                          elem.partition, &po.low, &po.high,
                                                          static_cast<int>(timeout.count()));
        err) {
      throw KafkaError("cannot read watermarks of " + topic + "/" +
                       std::to_string(elem.partition) + ": " + rd_kafka_err2str(err));
    }
    out.push_back(po);
  }
  rd_kafka_consumer_close(consumer.get());
  return out;
}

}  // namespace atlas::kafka
