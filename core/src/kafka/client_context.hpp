#pragma once
// Internal: what librdkafka's log and error callbacks need. Each adapter's
// state derives from ClientContext and is the client's opaque, so the
// callbacks reach the adapter's Logger. Callbacks log; they never throw.
#include <string>

#include <librdkafka/rdkafka.h>

#include "atlas/log.hpp"

namespace atlas::kafka::detail {

struct ClientContext {
  ClientContext(Logger& l, std::string id) : logger(l), client_id(std::move(id)) {}
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;
  ~ClientContext() = default;

  Logger& logger;
  std::string client_id;
};

// Sets the opaque (`ctx`), the log callback and the error callback on `conf`.
void install_callbacks(rd_kafka_conf_t* conf, ClientContext* ctx);

// The ClientContext behind a client created with install_callbacks().
ClientContext* context_of(const rd_kafka_t* rk);

}  // namespace atlas::kafka::detail
