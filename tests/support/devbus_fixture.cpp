#include "devbus_fixture.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "test_paths.hpp"

namespace atlas::test {

DevbusFixture::DevbusFixture(std::vector<std::string> extra_args) : dir_("atlas-devbus") {
  const std::string bootstrap_file = dir_.file("bootstrap");
  std::vector<std::string> args = {"--bootstrap-file", bootstrap_file};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<ChildProcess>(binary("atlas-devbus"), args,
                                            std::map<std::string, std::string>{}, dir_.path());
  const bool ready = wait_until(
      [&] { return file_exists(bootstrap_file) || !process_->running(); },
      std::chrono::seconds(10));
  if (!ready || !file_exists(bootstrap_file)) {
    throw std::runtime_error("atlas-devbus did not start: " + process_->stderr_text());
  }
  bootstrap_ = read_text_file(bootstrap_file);
  while (!bootstrap_.empty() && (bootstrap_.back() == '\n' || bootstrap_.back() == '\r')) {
    bootstrap_.pop_back();
  }
  if (bootstrap_.empty()) throw std::runtime_error("atlas-devbus wrote an empty bootstrap file");
}

DevbusFixture::~DevbusFixture() {
  const ExitStatus status = stop();
  if (!status.ok()) {
    std::cerr << "atlas-devbus ended with " << status.describe() << "; its stderr:\n"
              << process_->stderr_text() << "\n";
    if (doctest::is_running_in_test) FAIL_CHECK("atlas-devbus did not exit 0 on SIGTERM");
  }
}

KafkaSettings DevbusFixture::settings() const {
  KafkaSettings s;
  s.brokers = bootstrap_;
  return s;
}

ExitStatus DevbusFixture::stop() {
  if (stopped_) return *stopped_;
  stopped_ = process_->terminate(std::chrono::seconds(10));
  return *stopped_;
}

LogLevel test_log_level(LogLevel fallback) {
  const char* name = std::getenv("ATLAS_TEST_LOG_LEVEL");
  if (name == nullptr) return fallback;
  return parse_log_level(name).value_or(fallback);
}

ConsumerThread::ConsumerThread(const KafkaSettings& settings, kafka::ConsumerOptions options,
                               Logger& logger, kafka::Consumer::Handler handler)
    : consumer_(settings, std::move(options), logger), handler_(std::move(handler)) {
  thread_ = std::thread([this] { consumer_.run(handler_); });
}

bool ConsumerThread::wait_assigned(std::size_t n, std::chrono::milliseconds timeout) {
  return wait_until([&] { return consumer_.stats().assigned_partitions == n; }, timeout);
}

std::chrono::milliseconds ConsumerThread::stop() {
  if (!thread_.joinable()) return std::chrono::milliseconds(0);
  const auto start = std::chrono::steady_clock::now();
  consumer_.stop();
  thread_.join();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

}  // namespace atlas::test
