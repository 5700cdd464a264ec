#include "client_context.hpp"

#include <array>
#include <string>
#include <string_view>

namespace atlas::kafka::detail {
namespace {

// librdkafka levels are syslog's: 0 emerg .. 7 debug.
LogLevel level_of(int syslog_level) {
  if (syslog_level <= 3) return LogLevel::error;
  if (syslog_level == 4) return LogLevel::warn;
  if (syslog_level <= 6) return LogLevel::info;
  return LogLevel::debug;
}

void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  ClientContext* ctx = context_of(rk);
  if (ctx == nullptr) return;
  try {
    // librdkafka logs every failed connection attempt (facility FAIL) at
    // error level; it retries them itself, so they are warnings here.
    const bool connection = facility != nullptr && std::string_view(facility) == "FAIL";
    ctx->logger.log(connection && level <= 3 ? LogLevel::warn : level_of(level), "librdkafka: " + std::string(text != nullptr ? text : ""),
                    {{"kafka_client", ctx->client_id},
                     {"facility", facility != nullptr ? facility : ""}});
  } catch (...) {  // a log line must never unwind into librdkafka
  }
}

void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* ctx = static_cast<ClientContext*>(opaque);
  if (ctx == nullptr) return;
  try {
    const auto code = static_cast<rd_kafka_resp_err_t>(err);
    nlohmann::json fields = {{"kafka_client", ctx->client_id},
                             {"error_code", rd_kafka_err2name(code)},
                             {"reason", reason != nullptr ? reason : ""}};
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      std::array<char, 512> buf{};
      const auto fatal = rd_kafka_fatal_error(rk, buf.data(), buf.size());
      fields["fatal_error"] = rd_kafka_err2name(fatal);
      fields["reason"] = std::string(buf.data());
      ctx->logger.error("Kafka client hit a fatal error and cannot continue: restart the process",
                        fields);
      return;
    }
    // Broker connection problems are retried by librdkafka itself.
    const bool transient = code == RD_KAFKA_RESP_ERR__TRANSPORT ||
                           code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
                           code == RD_KAFKA_RESP_ERR__RESOLVE;
    ctx->logger.log(transient ? LogLevel::warn : LogLevel::error,
                    transient ? "Kafka broker connection problem (librdkafka keeps retrying): "
                                "check KAFKA_BROKERS and the network"
                              : "Kafka client error",
                    fields);
  } catch (...) {
  }
}

}  // namespace

void install_callbacks(rd_kafka_conf_t* conf, ClientContext* ctx) {
  rd_kafka_conf_set_opaque(conf, ctx);
  rd_kafka_conf_set_log_cb(conf, &on_log);
  rd_kafka_conf_set_error_cb(conf, &on_error);
}

ClientContext* context_of(const rd_kafka_t* rk) {
  return static_cast<ClientContext*>(rd_kafka_opaque(rk));
}

}  // namespace atlas::kafka::detail
