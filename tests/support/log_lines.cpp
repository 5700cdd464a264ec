#include "log_lines.hpp"

#include <sstream>

namespace atlas::test {

nlohmann::json log_field(const std::string& log, std::string_view msg, std::string_view field) {
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("msg", "") != msg) continue;
    const auto found = j.find(field);
    if (found != j.end()) return *found;
  }
  return nullptr;
}

int logged_port(const std::string& log, std::string_view msg, std::string_view field) {
  const nlohmann::json port = log_field(log, msg, field);
  return port.is_number_integer() ? port.get<int>() : 0;
}

}  // namespace atlas::test
