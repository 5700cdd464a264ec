#include "atlas/router/publisher.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace atlas::router {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{250};
constexpr std::chrono::milliseconds kMaxBackoff{10'000};

}  // namespace

Publisher::Publisher(kafka::Producer& producer, boost::asio::thread_pool& work, Logger& logger)
    : producer_(producer), work_(work), logger_(logger) {}

void Publisher::publish(kafka::Record record, OnAck on_ack) {
  attempt(std::make_shared<kafka::Record>(std::move(record)),
          std::make_shared<OnAck>(std::move(on_ack)), kFirstBackoff);
}

void Publisher::attempt(std::shared_ptr<kafka::Record> record, std::shared_ptr<OnAck> on_ack,
                        std::chrono::milliseconds backoff) {
  // produce() copies the record, so a retry can send it again.
  producer_.produce(*record, [this, record, on_ack, backoff](const kafka::DeliveryResult& r) {
    if (r.ok) {
      boost::asio::post(work_, [on_ack, r] { (*on_ack)(r); });
      return;
    }
    if (stopping_) {
      logger_.warn("record not published and the router is stopping; its source message "
                   "stays uncommitted and will be redelivered",
                   {{"topic", record->topic}, {"error", r.error}});
      return;
    }
    logger_.warn("record not acknowledged by Kafka; trying again",
                 {{"topic", record->topic}, {"error", r.error}, {"retry_in_ms", backoff.count()}});
    auto timer = std::make_shared<boost::asio::steady_timer>(work_, backoff);
    timer->async_wait([this, timer, record, on_ack, backoff](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      attempt(record, on_ack, std::min(backoff * 2, kMaxBackoff));
    });
  });
}

}  // namespace atlas::router
