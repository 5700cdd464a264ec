#include "atlas/kafka/handles.hpp"

#include <array>
#include <string>

#include "atlas/kafka/error.hpp"

namespace atlas::kafka {

void set_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  std::array<char, 512> errstr{};
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr.data(), errstr.size()) !=
      RD_KAFKA_CONF_OK) {
    throw KafkaConfigError("Kafka property \"" + name + "\" (" + property_variable(name) +
                           ") was refused by librdkafka: " + std::string(errstr.data()));
  }
}

ConfPtr make_conf(const PropertyList& list) {
  ConfPtr conf(rd_kafka_conf_new());
  for (const auto& [name, value] : list) set_property(conf.get(), name, value);
  return conf;
}

HandlePtr make_handle(rd_kafka_type_t type, ConfPtr conf) {
  std::array<char, 512> errstr{};
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr.data(), errstr.size());
  if (rk == nullptr) {
    // On failure the application keeps ownership of conf; `conf` frees it.
    throw KafkaError(std::string("cannot create the Kafka client: ") + errstr.data());
  }
  // rd_kafka_new takes ownership of conf on success.
  (void)conf.release();
  return HandlePtr(rk);
}

std::vector<std::pair<std::string, std::string>> message_headers(const rd_kafka_message_t& msg) {
  std::vector<std::pair<std::string, std::string>> out;
  rd_kafka_headers_t* headers = nullptr;  // owned by the message
  if (rd_kafka_message_headers(&msg, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR || headers == nullptr) {
    return out;
  }
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  for (std::size_t i = 0;
       rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    out.emplace_back(name, value != nullptr ? std::string(static_cast<const char*>(value), size)
                                            : std::string());
  }
  return out;
}

}  // namespace atlas::kafka
