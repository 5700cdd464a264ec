#include "atlas/kafka/producer.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "atlas/kafka/error.hpp"
#include "atlas/kafka/handles.hpp"
#include "atlas/kafka/properties.hpp"
#include "atlas/kafka/sticky_partitioner.hpp"
#include "client_context.hpp"

namespace atlas::kafka {

struct Producer::Impl : detail::ClientContext {
  Impl(Logger& l, std::string id, ProducerOptions o)
      : ClientContext(l, std::move(id)), options(o) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() = default;

  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static std::int32_t sticky_partition(const rd_kafka_topic_t* rkt, const void* key,
                                       std::size_t key_size, std::int32_t partition_count,
                                       void* rkt_opaque, void* msg_opaque);
  // Registers the sticky partitioner for `topic`: the topic's handle is
  // created here, with a copy of the default topic configuration, before
  // any record is produced to it, and kept until the client is destroyed.
  void make_sticky(const std::string& topic);

  void invoke(const DeliveryCallback& cb, const DeliveryResult& result) noexcept {
    try {
      if (cb) cb(result);
    } catch (const std::exception& e) {
      logger.error("Kafka delivery callback threw; the exception was dropped",
                   {{"kafka_client", client_id}, {"topic", result.topic}, {"error", e.what()}});
    } catch (...) {
      logger.error("Kafka delivery callback threw a non-standard exception",
                   {{"kafka_client", client_id}, {"topic", result.topic}});
    }
  }

  void finished_one() {
    std::lock_guard lock(mu);
    --pending;
    if (pending == 0) cv.notify_all();
  }

  // Runs the callbacks of messages that failed before reaching librdkafka's
  // queue, so every callback runs on the poll thread.
  void run_local_failures() {
    std::vector<std::pair<std::unique_ptr<DeliveryCallback>, DeliveryResult>> batch;
    {
      std::lock_guard lock(mu);
      batch.swap(local_failures);
    }
    for (auto& [cb, result] : batch) {
      invoke(*cb, result);
      finished_one();
    }
  }

  void poll_loop() {
    while (!stopping.load(std::memory_order_acquire)) {
      rd_kafka_poll(rk.get(), 50);  // serves delivery reports (on_delivery)
      run_local_failures();
    }
  }

  ProducerOptions options;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::size_t pending = 0;
  std::vector<std::pair<std::unique_ptr<DeliveryCallback>, DeliveryResult>> local_failures;
  std::atomic<bool> stopping{false};
  std::thread poller;
  // Declared in this order so the topic handles go before the client and
  // the partitioners they call only after it.
  std::vector<std::unique_ptr<StickyPartitioner>> partitioners;
  HandlePtr rk;
  std::vector<TopicPtr> sticky_handles;
};

std::int32_t Producer::Impl::sticky_partition(const rd_kafka_topic_t* rkt, const void* /*key*/,
                                              std::size_t /*key_size*/,
                                              std::int32_t partition_count, void* rkt_opaque,
                                              void* /*msg_opaque*/) {
  return static_cast<StickyPartitioner*>(rkt_opaque)
      ->pick(partition_count, StickyPartitioner::Clock::now(), [rkt](std::int32_t partition) {
        return rd_kafka_topic_partition_available(rkt, partition) == 1;
      });
}

void Producer::Impl::make_sticky(const std::string& topic) {
  auto partitioner = std::make_unique<StickyPartitioner>(options.sticky_window);
  rd_kafka_topic_conf_t* conf = rd_kafka_default_topic_conf_dup(rk.get());
  rd_kafka_topic_conf_set_partitioner_cb(conf, &Impl::sticky_partition);
  rd_kafka_topic_conf_set_opaque(conf, partitioner.get());
  TopicPtr handle(rd_kafka_topic_new(rk.get(), topic.c_str(), conf));  // owns conf
  if (!handle) {
    throw KafkaError("cannot create the Kafka topic handle for " + topic + ": " +
                     rd_kafka_err2str(rd_kafka_last_error()));
  }
  partitioners.push_back(std::move(partitioner));
  sticky_handles.push_back(std::move(handle));
}

void Producer::Impl::on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg,
                                 void* opaque) {
  auto* self = static_cast<Impl*>(static_cast<detail::ClientContext*>(opaque));
  // The message's opaque has owned the callback since produce().
  std::unique_ptr<DeliveryCallback> cb(static_cast<DeliveryCallback*>(msg->_private));
  DeliveryResult result;
  result.ok = msg->err == RD_KAFKA_RESP_ERR_NO_ERROR;
  if (!result.ok) {
    result.error = std::string(rd_kafka_err2name(msg->err)) + ": " + rd_kafka_err2str(msg->err);
  }
  result.topic = msg->rkt != nullptr ? rd_kafka_topic_name(msg->rkt) : "";
  result.partition = msg->partition;
  result.offset = msg->offset;
  if (cb) self->invoke(*cb, result);
  self->finished_one();
}

Producer::Producer(const KafkaSettings& settings, std::string client_id, Logger& logger,
                   ProducerOptions options)
    : impl_(std::make_unique<Impl>(logger, client_id, options)) {
  ConfPtr conf = make_conf(producer_properties(settings, client_id));
  detail::install_callbacks(conf.get(), impl_.get());
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Impl::on_delivery);
  impl_->rk = make_handle(RD_KAFKA_PRODUCER, std::move(conf));
  for (const std::string& topic : impl_->options.sticky_topics) impl_->make_sticky(topic);
  impl_->poller = std::thread([impl = impl_.get()] { impl->poll_loop(); });
}

Producer::~Producer() {
  Impl& s = *impl_;
  if (!flush(s.options.close_timeout)) {
    s.logger.warn("Kafka producer closing with undelivered messages: purging them, their "
                  "callbacks report the failure",
                  {{"kafka_client", s.client_id}, {"pending", pending()}});
    rd_kafka_purge(s.rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    flush(std::chrono::seconds(5));
  }
  s.stopping.store(true, std::memory_order_release);
  s.poller.join();
  // Whatever is left (a broker that never answered) is reported here.
  rd_kafka_poll(s.rk.get(), 0);
  s.run_local_failures();
  s.sticky_handles.clear();
  s.rk.reset();
}

void Producer::produce(Record record, DeliveryCallback on_delivery) {
  Impl& s = *impl_;
  auto cb = std::make_unique<DeliveryCallback>(std::move(on_delivery));
  {
    std::lock_guard lock(s.mu);
    ++s.pending;
  }

  auto fail = [&](std::string error) {
    DeliveryResult result;
    result.error = std::move(error);
    result.topic = record.topic;
    result.partition = record.partition.value_or(-1);
    {
      std::lock_guard lock(s.mu);
      s.local_failures.emplace_back(std::move(cb), std::move(result));
    }
    rd_kafka_yield(s.rk.get());  // wake the poll thread to report it now
  };

  HeadersPtr headers(rd_kafka_headers_new(record.headers.size()));
  for (const auto& [name, value] : record.headers) {
    if (rd_kafka_header_add(headers.get(), name.data(), static_cast<ssize_t>(name.size()),
                            value.data(), static_cast<ssize_t>(value.size())) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      fail("cannot add Kafka header \"" + name + "\"");
      return;
    }
  }

  std::vector<rd_kafka_vu_t> vus;
  auto add = [&vus](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
    rd_kafka_vu_t vu{};
    vu.vtype = type;
    vus.push_back(vu);
    return vus.back();
  };
  add(RD_KAFKA_VTYPE_TOPIC).u.cstr = record.topic.c_str();
  add(RD_KAFKA_VTYPE_PARTITION).u.i32 = record.partition.value_or(RD_KAFKA_PARTITION_UA);
  add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;  // value and key are copied
  auto& value = add(RD_KAFKA_VTYPE_VALUE);
  value.u.mem.ptr = record.value.data();
  value.u.mem.size = record.value.size();
  if (record.key) {
    auto& key = add(RD_KAFKA_VTYPE_KEY);
    key.u.mem.ptr = record.key->data();
    key.u.mem.size = record.key->size();
  }
  add(RD_KAFKA_VTYPE_HEADERS).u.headers = headers.get();
  add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = cb.get();

  const auto deadline = std::chrono::steady_clock::now() + s.options.enqueue_timeout;
  for (;;) {
    ErrorPtr error(rd_kafka_produceva(s.rk.get(), vus.data(), vus.size()));
    if (!error) {
      // The message now owns the headers, and its opaque owns the callback
      // until on_delivery() takes it back.
      (void)headers.release();
      (void)cb.release();
      return;
    }
    const auto code = rd_kafka_error_code(error.get());
    if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL && std::chrono::steady_clock::now() < deadline) {
      // The poll thread is draining delivery reports; wait for room.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    std::string reason = std::string(rd_kafka_err2name(code)) + ": " +
                         rd_kafka_error_string(error.get());
    if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      reason = "Kafka producer queue stayed full for " +
               std::to_string(s.options.enqueue_timeout.count()) +
               " ms (brokers slow or unreachable?): " + reason;
    } else if (code == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
      reason = "message of " + std::to_string(record.value.size()) +
               " bytes is too large for the producer (message.max.bytes): " + reason;
    }
    fail(std::move(reason));
    return;
  }
}

std::future<DeliveryResult> Producer::produce_async(Record record) {
  auto promise = std::make_shared<std::promise<DeliveryResult>>();
  auto future = promise->get_future();
  produce(std::move(record),
          [promise](const DeliveryResult& result) { promise->set_value(result); });
  return future;
}

DeliveryResult Producer::produce_sync(Record record, std::chrono::milliseconds timeout) {
  std::string topic = record.topic;
  auto future = produce_async(std::move(record));
  if (future.wait_for(timeout) != std::future_status::ready) {
    DeliveryResult result;
    result.topic = std::move(topic);
    result.error = "no delivery report within " + std::to_string(timeout.count()) +
                   " ms (the message may still be delivered later)";
    return result;
  }
  return future.get();
}

bool Producer::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [this] { return impl_->pending == 0; });
}

std::size_t Producer::pending() const {
  std::lock_guard lock(impl_->mu);
  return impl_->pending;
}

std::vector<std::string> Producer::warm_up(const std::vector<std::string>& topics,
                                           std::chrono::milliseconds timeout) {
  std::vector<std::string> failed;
  for (const std::string& topic : topics) {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(impl_->rk.get(), topic.c_str(), nullptr);
    if (handle == nullptr) {
      failed.push_back(topic);
      continue;
    }
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(impl_->rk.get(), 0, handle, &metadata,
                                                      static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || metadata == nullptr || metadata->topic_cnt != 1 ||
        metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failed.push_back(topic);
    }
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(handle);
  }
  return failed;
}

}  // namespace atlas::kafka
