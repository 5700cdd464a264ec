// atlas-devbus: a local Kafka for development and tests. It runs librdkafka's
// mock cluster (real Kafka wire protocol, in memory) with the Atlas topics
// pre-created, prints the bootstrap servers and runs until SIGTERM/SIGINT.
// Never a production component (DESIGN section 1).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "atlas/kafka/handles.hpp"
#include "atlas/log.hpp"
#include "atlas/stop_signals.hpp"

namespace {

constexpr std::string_view kUsage = R"(usage: atlas-devbus [options]

Starts a local Kafka-protocol cluster (librdkafka's in-memory mock cluster) for
DEVELOPMENT AND TESTS ONLY. It keeps nothing on disk, has no security and is
never a production component: production uses a real Kafka cluster given by
KAFKA_BROKERS.

Prints the bootstrap servers (host:port,...) as one line on stdout, then runs
until SIGTERM or SIGINT and exits 0.

options:
  --brokers N            number of brokers (default 3)
  --partitions N         partitions of each topic (default 6)
  --topic NAME[:N]       create one more topic (N partitions; default --partitions);
                         repeatable. Always created: architect_in, architect_out,
                         architect_retry, architect_dlq, docs.added
  --bootstrap-file PATH  also write the bootstrap servers to PATH (atomically)
  -h, --help             show this help
)";

struct TopicSpec {
  std::string name;
  std::optional<int> partitions;
};

struct Options {
  int brokers = 3;
  int partitions = 6;
  std::vector<TopicSpec> topics = {{"architect_in", {}},
                                   {"architect_out", {}},
                                   {"architect_retry", {}},
                                   {"architect_dlq", {}},
                                   {"docs.added", {}}};
  std::optional<std::string> bootstrap_file;
};

struct UsageError {
  std::string message;
};

std::optional<int> parse_count(std::string_view text, int max) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > max) return std::nullopt;
  return value;
}

bool valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Returns the options, or nullopt when --help was asked for. Throws UsageError.
std::optional<Options> parse_args(int argc, char** argv) {
  Options opts;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    std::optional<std::string_view> value;
    if (const auto eq = flag.find('='); flag.starts_with("--") && eq != std::string_view::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    if (flag == "-h" || flag == "--help") return std::nullopt;
    const bool takes_value = flag == "--brokers" || flag == "--partitions" || flag == "--topic" ||
                             flag == "--bootstrap-file";
    if (!takes_value) throw UsageError{"unknown option " + std::string(args[i])};
    if (!value) {
      if (i + 1 >= args.size()) throw UsageError{std::string(flag) + " needs a value"};
      value = args[++i];
    }
    if (flag == "--brokers") {
      const auto n = parse_count(*value, 32);
      if (!n) throw UsageError{"--brokers must be a number from 1 to 32"};
      opts.brokers = *n;
    } else if (flag == "--partitions") {
      const auto n = parse_count(*value, 1000);
      if (!n) throw UsageError{"--partitions must be a number from 1 to 1000"};
      opts.partitions = *n;
    } else if (flag == "--topic") {
      TopicSpec spec;
      const auto colon = value->find(':');
      spec.name = std::string(value->substr(0, colon));
      if (colon != std::string_view::npos) {
        spec.partitions = parse_count(value->substr(colon + 1), 1000);
        if (!spec.partitions) {
          throw UsageError{"--topic " + std::string(*value) +
                           ": the partition count after ':' must be a number from 1 to 1000"};
        }
      }
      if (!valid_topic_name(spec.name)) {
        throw UsageError{"--topic " + std::string(*value) +
                         ": a topic name is 1-249 characters of [A-Za-z0-9._-]"};
      }
      opts.topics.push_back(std::move(spec));
    } else {
      if (value->empty()) throw UsageError{"--bootstrap-file needs a path"};
      opts.bootstrap_file = std::string(*value);
    }
  }
  return opts;
}

// Writes `text` to `path` through a temporary file and rename(), so a reader
// polling for the file never sees it half written.
bool write_atomically(const std::string& path, const std::string& text, std::string& error) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    error = "cannot create " + tmp + ": " + std::strerror(errno);
    return false;
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    error = "cannot write " + tmp + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

struct MockClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* p) const noexcept { rd_kafka_mock_cluster_destroy(p); }
};
using MockClusterPtr = std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDeleter>;

int run(const Options& opts, atlas::Logger& logger) {
  // Before librdkafka starts its threads, so they inherit the blocked signals.
  atlas::StopSignals signals;

  // The mock cluster needs a client handle for its book-keeping; it serves
  // any number of other clients on its localhost listeners.
  atlas::kafka::ConfPtr conf(rd_kafka_conf_new());
  atlas::kafka::set_property(conf.get(), "client.id", "atlas-devbus");
  atlas::kafka::set_property(conf.get(), "log.connection.close", "false");
  // Warnings and errors only: the handle has no bootstrap.servers by design.
  atlas::kafka::set_property(conf.get(), "log_level", "4");
  atlas::kafka::HandlePtr rk = atlas::kafka::make_handle(RD_KAFKA_PRODUCER, std::move(conf));

  MockClusterPtr cluster(rd_kafka_mock_cluster_new(rk.get(), opts.brokers));
  if (!cluster) {
    logger.error("cannot start the mock Kafka cluster (no free localhost port?)");
    return 1;
  }
  const int replication = opts.brokers < 3 ? opts.brokers : 3;
  for (const auto& topic : opts.topics) {
    const int partitions = topic.partitions.value_or(opts.partitions);
    // The mock cluster has no CreateTopics API; topics are made here.
    if (const auto err = rd_kafka_mock_topic_create(cluster.get(), topic.name.c_str(), partitions,
                                                    replication);
        err) {
      logger.error("cannot create topic", {{"topic", topic.name}, {"error", rd_kafka_err2str(err)}});
      return 1;
    }
  }

  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster.get());
  if (opts.bootstrap_file) {
    std::string error;
    if (!write_atomically(*opts.bootstrap_file, bootstrap + "\n", error)) {
      logger.error("cannot write the bootstrap file: " + error);
      return 1;
    }
  }
  std::cout << bootstrap << std::endl;  // one line, flushed
  nlohmann::json topics = nlohmann::json::array();
  for (const auto& t : opts.topics) topics.push_back(t.name);
  logger.info("atlas-devbus ready (development and tests only, never production)",
              {{"bootstrap", bootstrap}, {"brokers", opts.brokers},
               {"partitions", opts.partitions}, {"topics", topics}});

  const int sig = signals.wait();
  logger.info("atlas-devbus stopping", {{"signal", atlas::stop_signal_name(sig)}});
  cluster.reset();  // before the handle it was created on
  rk.reset();
  if (opts.bootstrap_file) std::remove(opts.bootstrap_file->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> opts;
  try {
    opts = parse_args(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "atlas-devbus: " << e.message << "\n\n" << kUsage;
    return 2;
  }
  if (!opts) {
    std::cout << kUsage;
    return 0;
  }
  atlas::Logger logger("atlas-devbus");
  try {
    return run(*opts, logger);
  } catch (const std::exception& e) {
    logger.error(std::string("atlas-devbus failed: ") + e.what());
    return 1;
  }
}
