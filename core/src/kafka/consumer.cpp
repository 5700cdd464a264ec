#include "atlas/kafka/consumer.hpp"

#include <algorithm>

#include <map>

#include "atlas/kafka/error.hpp"
#include "atlas/kafka/handles.hpp"
#include "atlas/kafka/properties.hpp"
#include "atlas/offset_tracker.hpp"
#include "client_context.hpp"

namespace atlas::kafka {
namespace {

using Clock = std::chrono::steady_clock;

std::string describe(const rd_kafka_topic_partition_list_t* parts) {
  std::string out;
  for (int i = 0; parts != nullptr && i < parts->cnt; ++i) {
    if (!out.empty()) out += ",";
    out += std::string(parts->elems[i].topic) + "/" + std::to_string(parts->elems[i].partition);
  }
  return out;
}

void wake_poll(void* queue) { rd_kafka_queue_yield(static_cast<rd_kafka_queue_t*>(queue)); }

}  // namespace

struct Consumer::Impl : detail::ClientContext {
  Impl(Logger& l, ConsumerOptions o) : ClientContext(l, o.client_id), options(std::move(o)) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() = default;

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts, void* opaque);

  void poll_once(const Handler& handler, bool accept);
  void handle_error(const rd_kafka_message_t& msg);
  void dispatch(const rd_kafka_message_t& msg, const Handler& handler);
  void drain_completions();
  void store(const std::map<TopicPartition, std::int64_t>& offsets);
  void flow_control();
  void set_paused(bool pause);
  void on_assign(rd_kafka_topic_partition_list_t* parts);
  void on_revoke(rd_kafka_topic_partition_list_t* parts);
  void update_lag();
  void shutdown(const Handler& handler);
  void publish_stats();

  [[nodiscard]] std::size_t abandoned_total() const {
    std::size_t n = 0;
    for (const auto& [tp, count] : abandoned) n += count;
    return n;
  }
  // In-flight messages that can still finish (abandoned ones cannot).
  [[nodiscard]] std::size_t live_inflight() const {
    return tracker.inflight() - abandoned_total();
  }

  ConsumerOptions options;
  std::atomic<bool> stop_requested{false};
  bool ran = false;
  bool shutting_down = false;
  bool paused = false;
  OffsetTracker tracker;
  std::map<TopicPartition, std::size_t> abandoned;  // per partition, current epoch
  std::shared_ptr<detail::CompletionQueue> completions =
      std::make_shared<detail::CompletionQueue>();
  Clock::time_point next_lag_update{};

  std::atomic<std::size_t> stat_assigned{0};
  std::atomic<std::size_t> stat_inflight{0};
  std::atomic<bool> stat_paused{false};
  std::atomic<std::uint64_t> stat_polls{0};
  std::atomic<std::uint64_t> stat_messages{0};
  std::atomic<std::uint64_t> stat_rebalances{0};
  std::atomic<std::int64_t> stat_lag{0};

  // Destroyed in reverse order: the queue before the client it belongs to.
  HandlePtr rk;
  QueuePtr consumer_queue;
};

Consumer::Consumer(const KafkaSettings& settings, ConsumerOptions options, Logger& logger) {
  if (options.topics.empty()) {
    throw KafkaConfigError("Kafka consumer of group \"" + options.group_id +
                           "\" has no topics to subscribe to");
  }
  if (options.max_inflight == 0) {
    throw KafkaConfigError("Kafka consumer max_inflight is 0: it must be at least 1");
  }
  const auto properties = consumer_properties(settings, options.client_id, options.group_id,
                                              options.auto_offset_reset);
  impl_ = std::make_unique<Impl>(logger, std::move(options));
  ConfPtr conf = make_conf(properties);
  detail::install_callbacks(conf.get(), impl_.get());
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Impl::on_rebalance);
  impl_->rk = make_handle(RD_KAFKA_CONSUMER, std::move(conf));
  // Serve everything (errors, logs, rebalances) from rd_kafka_consumer_poll.
  if (const auto err = rd_kafka_poll_set_consumer(impl_->rk.get()); err) {
    throw KafkaError(std::string("cannot redirect the Kafka main queue to the consumer: ") +
                     rd_kafka_err2str(err));
  }
  impl_->consumer_queue.reset(rd_kafka_queue_get_consumer(impl_->rk.get()));
}

Consumer::~Consumer() {
  if (!impl_) return;
  impl_->completions->set_wake(nullptr, nullptr);
  impl_->consumer_queue.reset();
  impl_->rk.reset();
}

void Consumer::stop() noexcept { impl_->stop_requested.store(true); }

ConsumerStats Consumer::stats() const {
  const Impl& s = *impl_;
  ConsumerStats out;
  out.assigned_partitions = s.stat_assigned.load();
  out.inflight = s.stat_inflight.load();
  out.paused = s.stat_paused.load();
  out.polls = s.stat_polls.load();
  out.messages = s.stat_messages.load();
  out.rebalances = s.stat_rebalances.load();
  out.lag = s.stat_lag.load();
  return out;
}

void Consumer::run(const Handler& handler) {
  Impl& s = *impl_;
  if (s.ran) throw KafkaError("Consumer::run() called twice: a consumer runs once");
  s.ran = true;
  if (s.consumer_queue) s.completions->set_wake(&wake_poll, s.consumer_queue.get());

  PartitionListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(s.options.topics.size())));
  for (const auto& topic : s.options.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (const auto err = rd_kafka_subscribe(s.rk.get(), topics.get()); err) {
    throw KafkaError("cannot subscribe to Kafka topics " + describe(topics.get()) + ": " +
                     rd_kafka_err2str(err));
  }
  s.logger.info("Kafka consumer started",
                {{"kafka_client", s.client_id}, {"group", s.options.group_id},
                 {"topics", s.options.topics}, {"max_inflight", s.options.max_inflight}});

  while (!s.stop_requested.load()) s.poll_once(handler, true);
  s.shutdown(handler);
}

void Consumer::Impl::poll_once(const Handler& handler, bool accept) {
  MessagePtr msg(rd_kafka_consumer_poll(rk.get(), static_cast<int>(options.poll_timeout.count())));
  stat_polls.fetch_add(1);
  if (msg) {
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      handle_error(*msg);
    } else if (accept) {
      dispatch(*msg, handler);
    }
    // else: shutting down; the message was not begun, so no offset past it
    // is ever stored and it is redelivered to the next owner.
  }
  drain_completions();
  flow_control();
  update_lag();
  publish_stats();
}

void Consumer::Impl::handle_error(const rd_kafka_message_t& msg) {
  if (msg.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
  nlohmann::json fields = {{"kafka_client", client_id},
                           {"error_code", rd_kafka_err2name(msg.err)},
                           {"error", rd_kafka_message_errstr(&msg)}};
  if (msg.rkt != nullptr) {
    fields["topic"] = rd_kafka_topic_name(msg.rkt);
    fields["partition"] = msg.partition;
  }
  if (msg.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
      msg.err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
    logger.error("Kafka topic does not exist: create it (or fix KAFKA_TOPIC_*)", fields);
  } else {
    logger.warn("Kafka consumer error", fields);
  }
}

void Consumer::Impl::dispatch(const rd_kafka_message_t& msg, const Handler& handler) {
  TopicPartition tp{rd_kafka_topic_name(msg.rkt), msg.partition};
  const auto epoch = tracker.begin(tp, msg.offset);
  if (!epoch) {
    logger.warn("Kafka message skipped: its partition is not assigned here or its offset was "
                "already delivered (it is redelivered to the partition's owner)",
                {{"kafka_client", client_id}, {"topic", tp.topic}, {"partition", tp.partition},
                 {"offset", msg.offset}});
    return;
  }

  Message out;
  out.topic = tp.topic;
  out.partition = msg.partition;
  out.offset = msg.offset;
  if (msg.key != nullptr) out.key.emplace(static_cast<const char*>(msg.key), msg.key_len);
  if (msg.payload != nullptr) out.value.assign(static_cast<const char*>(msg.payload), msg.len);
  out.headers = message_headers(msg);
  rd_kafka_timestamp_type_t ts_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const std::int64_t ts = rd_kafka_message_timestamp(&msg, &ts_type);
  if (ts_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts >= 0) out.timestamp_ms = ts;

  Completion done(completions, tp, msg.offset, *epoch);
  stat_messages.fetch_add(1);
  try {
    handler(std::move(out), std::move(done));
  } catch (const std::exception& e) {
    logger.error("Kafka message handler threw: the message stays unfinished and will be "
                 "redelivered after a restart or rebalance",
                 {{"kafka_client", client_id}, {"topic", tp.topic}, {"partition", tp.partition},
                  {"offset", msg.offset}, {"error", e.what()}});
  } catch (...) {
    logger.error("Kafka message handler threw a non-standard exception",
                 {{"kafka_client", client_id}, {"topic", tp.topic}, {"partition", tp.partition},
                  {"offset", msg.offset}});
  }
}

void Consumer::Impl::drain_completions() {
  const auto events = completions->take();
  if (events.empty()) return;
  std::map<TopicPartition, std::int64_t> to_store;
  for (const auto& e : events) {
    if (e.abandoned) {
      const bool tracked = tracker.is_inflight(e.tp, e.offset, e.epoch);
      logger.error("Kafka message handler dropped its Completion without calling it (a bug): "
                   "no offset past this message is committed, so it will be redelivered after "
                   "a restart or rebalance",
                   {{"kafka_client", client_id}, {"topic", e.tp.topic},
                    {"partition", e.tp.partition}, {"offset", e.offset}, {"tracked", tracked}});
      if (tracked) ++abandoned[e.tp];
      continue;
    }
    if (const auto next = tracker.finish(e.tp, e.offset, e.epoch)) to_store[e.tp] = *next;
  }
  store(to_store);
}

void Consumer::Impl::store(const std::map<TopicPartition, std::int64_t>& offsets) {
  if (offsets.empty()) return;
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  }
  const auto err = rd_kafka_offsets_store(rk.get(), list.get());
  for (int i = 0; i < list->cnt; ++i) {
    const auto& elem = list->elems[i];
    if (elem.err != RD_KAFKA_RESP_ERR_NO_ERROR || err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      logger.warn("Kafka offset not stored (partition no longer assigned?); the messages "
                  "before it may be redelivered",
                  {{"kafka_client", client_id}, {"topic", elem.topic},
                   {"partition", elem.partition}, {"offset", elem.offset},
                   {"error", rd_kafka_err2str(elem.err != RD_KAFKA_RESP_ERR_NO_ERROR ? elem.err
                                                                                      : err)}});
    }
  }
}

void Consumer::Impl::flow_control() {
  const std::size_t live = live_inflight();
  if (!paused && live >= options.max_inflight) {
    set_paused(true);
    logger.debug("Kafka intake paused: max in-flight messages reached",
                 {{"kafka_client", client_id}, {"inflight", live}});
  } else if (paused && !shutting_down && live <= options.max_inflight / 2) {
    set_paused(false);
    logger.debug("Kafka intake resumed", {{"kafka_client", client_id}, {"inflight", live}});
  }
}

void Consumer::Impl::set_paused(bool pause) {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (const auto err = rd_kafka_assignment(rk.get(), &raw); err) {
    logger.error("cannot read the Kafka assignment", {{"kafka_client", client_id},
                                                      {"error", rd_kafka_err2str(err)}});
    return;
  }
  PartitionListPtr assignment(raw);
  const auto err = pause ? rd_kafka_pause_partitions(rk.get(), assignment.get())
                         : rd_kafka_resume_partitions(rk.get(), assignment.get());
  if (err) {
    logger.error(pause ? "cannot pause Kafka partitions" : "cannot resume Kafka partitions",
                 {{"kafka_client", client_id}, {"error", rd_kafka_err2str(err)}});
    return;
  }
  paused = pause;
}

void Consumer::Impl::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* self = static_cast<Impl*>(static_cast<detail::ClientContext*>(opaque));
  self->stat_rebalances.fetch_add(1);
  // The lag measured for the old assignment says nothing about the new one.
  self->stat_lag.store(-1);
  self->next_lag_update = {};
  try {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->on_assign(parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      self->on_revoke(parts);
    } else {
      self->logger.error("Kafka rebalance failed; dropping the assignment",
                         {{"kafka_client", self->client_id}, {"error", rd_kafka_err2str(err)}});
      self->on_revoke(parts);
    }
  } catch (const std::exception& e) {
    self->logger.error("Kafka rebalance handling failed",
                       {{"kafka_client", self->client_id}, {"error", e.what()}});
    rd_kafka_assign(rk, nullptr);
  }
  self->publish_stats();
}

void Consumer::Impl::on_assign(rd_kafka_topic_partition_list_t* parts) {
  for (int i = 0; i < parts->cnt; ++i) {
    TopicPartition tp{parts->elems[i].topic, parts->elems[i].partition};
    tracker.assign(tp);
    abandoned.erase(tp);
  }
  if (const auto err = rd_kafka_assign(rk.get(), parts); err) {
    logger.error("cannot take the Kafka assignment",
                 {{"kafka_client", client_id}, {"partitions", describe(parts)},
                  {"error", rd_kafka_err2str(err)}});
    return;
  }
  // Paused at capacity (or stopping): new partitions start paused too.
  if (paused) {
    if (const auto err = rd_kafka_pause_partitions(rk.get(), parts); err) {
      logger.error("cannot pause newly assigned Kafka partitions",
                   {{"kafka_client", client_id}, {"error", rd_kafka_err2str(err)}});
    }
  }
  logger.info("Kafka partitions assigned",
              {{"kafka_client", client_id}, {"group", options.group_id},
               {"partitions", describe(parts)}});
}

void Consumer::Impl::on_revoke(rd_kafka_topic_partition_list_t* parts) {
  const bool lost = rd_kafka_assignment_lost(rk.get()) != 0;
  if (!lost) {
    // Store what is committable for the partitions we are giving up and
    // commit it now, so the next owner starts where we stopped.
    drain_completions();
    std::map<TopicPartition, std::int64_t> to_store;
    for (int i = 0; i < parts->cnt; ++i) {
      TopicPartition tp{parts->elems[i].topic, parts->elems[i].partition};
      if (const auto next = tracker.committable(tp)) to_store[tp] = *next;
    }
    store(to_store);
    const auto err = rd_kafka_commit(rk.get(), nullptr, 0 /* synchronous */);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      logger.warn("Kafka offset commit on revocation failed; the next owner may redeliver "
                  "some messages",
                  {{"kafka_client", client_id}, {"error", rd_kafka_err2str(err)}});
    }
  }
  std::size_t dropped = 0;
  for (int i = 0; i < parts->cnt; ++i) {
    TopicPartition tp{parts->elems[i].topic, parts->elems[i].partition};
    dropped += tracker.revoke(tp);
    abandoned.erase(tp);
  }
  if (const auto err = rd_kafka_assign(rk.get(), nullptr); err) {
    logger.error("cannot drop the Kafka assignment",
                 {{"kafka_client", client_id}, {"error", rd_kafka_err2str(err)}});
  }
  logger.info(lost ? "Kafka partitions lost (session timed out?); in-flight work will be "
                     "redelivered to their new owner"
                   : "Kafka partitions revoked",
              {{"kafka_client", client_id}, {"group", options.group_id},
               {"partitions", describe(parts)}, {"inflight_dropped", dropped}});
}

void Consumer::Impl::update_lag() {
  const auto now = Clock::now();
  if (now < next_lag_update) return;
  next_lag_update = now + std::chrono::seconds(1);
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(rk.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  PartitionListPtr assignment(raw);
  if (rd_kafka_position(rk.get(), assignment.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  // -1 (unknown) until every assigned partition has cached watermarks, which
  // arrive with its first fetch response.
  std::int64_t lag = 0;
  for (int i = 0; i < assignment->cnt && lag >= 0; ++i) {
    const auto& elem = assignment->elems[i];
    std::int64_t low = -1;
    std::int64_t high = -1;
    // Cached watermarks from fetch responses: no network round trip.
    if (rd_kafka_get_watermark_offsets(rk.get(), elem.topic, elem.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      lag = -1;
    } else if (elem.offset >= 0) {
      lag += std::max<std::int64_t>(0, high - elem.offset);  // position: last consumed + 1
    } else if (options.auto_offset_reset == "earliest" && low >= 0) {
      lag += high - low;  // nothing consumed yet: all of it is behind
    }
  }
  stat_lag.store(lag);
}

void Consumer::Impl::publish_stats() {
  stat_assigned.store(tracker.partitions());
  stat_inflight.store(tracker.inflight());
  stat_paused.store(paused);
}

void Consumer::Impl::shutdown(const Handler& handler) {
  shutting_down = true;
  drain_completions();
  logger.info("Kafka consumer stopping: intake paused, waiting for in-flight messages",
              {{"kafka_client", client_id}, {"inflight", live_inflight()},
               {"grace_ms", options.shutdown_grace.count()}});
  if (!paused) set_paused(true);
  paused = true;  // also for partitions assigned from now on
  const auto deadline = Clock::now() + options.shutdown_grace;
  while (live_inflight() > 0 && Clock::now() < deadline) poll_once(handler, false);
  drain_completions();
  if (const auto left = tracker.inflight(); left > 0) {
    logger.warn("Kafka consumer closing with unfinished messages: their offsets are not "
                "committed, so they will be redelivered",
                {{"kafka_client", client_id}, {"unfinished", left}});
  }
  // Close serves the final revocation (on_revoke stores and commits), then
  // commits and leaves the group.
  if (const auto err = rd_kafka_consumer_close(rk.get()); err) {
    logger.warn("Kafka consumer close reported an error",
                {{"kafka_client", client_id}, {"error", rd_kafka_err2str(err)}});
  }
  completions->set_wake(nullptr, nullptr);
  consumer_queue.reset();
  rk.reset();  // rd_kafka_destroy
  publish_stats();
  stat_assigned.store(0);
  logger.info("Kafka consumer closed", {{"kafka_client", client_id}});
}

}  // namespace atlas::kafka
