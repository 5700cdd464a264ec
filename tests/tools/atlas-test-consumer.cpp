// atlas-test-consumer: a consumer process for integration tests of
// atlas::kafka::Consumer. It consumes a topic in a group and, for every
// message, writes "partition offset key" to --out. Messages are completed out
// of order, after a small random delay, from worker threads (exercising the
// OffsetTracker); --status is rewritten with "assigned N" whenever the number
// of assigned partitions changes. Runs until SIGTERM/SIGINT, exits 0.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "atlas/kafka/consumer.hpp"
#include "atlas/log.hpp"

namespace {

struct Args {
  std::string brokers, topic, group, out, status;
  std::map<std::string, std::string> properties;  // --property name=value
  std::size_t max_inflight = 16;
  int delay_ms = 5;
};

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--brokers") a.brokers = value;
    else if (flag == "--topic") a.topic = value;
    else if (flag == "--group") a.group = value;
    else if (flag == "--out") a.out = value;
    else if (flag == "--status") a.status = value;
    else if (flag == "--max-inflight") a.max_inflight = std::stoul(value);
    else if (flag == "--delay-ms") a.delay_ms = std::stoi(value);
    else if (flag == "--property" && value.find('=') != std::string::npos)
      a.properties[value.substr(0, value.find('='))] = value.substr(value.find('=') + 1);
    else return false;
  }
  return argc % 2 == 1 && !a.brokers.empty() && !a.topic.empty() && !a.group.empty() &&
         !a.out.empty();
}

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  if (std::FILE* f = std::fopen(tmp.c_str(), "w")) {
    std::fputs(text.c_str(), f);
    std::fclose(f);
    std::rename(tmp.c_str(), path.c_str());
  }
}

// Work items completed in random order by a few threads.
class Workers {
 public:
  Workers(std::FILE* out, int delay_ms) : out_(out), delay_ms_(delay_ms) {
    for (int i = 0; i < 3; ++i) threads_.emplace_back([this, i] { loop(i); });
  }
  ~Workers() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void push(atlas::kafka::Message m, atlas::kafka::Completion done) {
    {
      std::lock_guard lock(mu_);
      items_.emplace_back(std::move(m), std::move(done));
    }
    cv_.notify_one();
  }

 private:
  void loop(int seed) {
    std::mt19937 rng(std::random_device{}() + static_cast<unsigned>(seed));
    for (;;) {
      std::pair<atlas::kafka::Message, atlas::kafka::Completion> item;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !items_.empty(); });
        if (items_.empty()) return;
        // A random item, not the oldest: completions come out of order.
        const auto pick = std::uniform_int_distribution<std::size_t>(0, items_.size() - 1)(rng);
        item = std::move(items_[pick]);
        items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pick));
      }
      if (delay_ms_ > 0) {
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(0, delay_ms_)(rng)));
      }
      {
        std::lock_guard lock(out_mu_);
        std::fprintf(out_, "%d %lld %s\n", item.first.partition,
                     static_cast<long long>(item.first.offset),
                     item.first.key.value_or("-").c_str());
        std::fflush(out_);
      }
      item.second();
    }
  }

  std::FILE* out_;
  int delay_ms_;
  std::mutex mu_;
  std::mutex out_mu_;
  std::condition_variable cv_;
  std::deque<std::pair<atlas::kafka::Message, atlas::kafka::Completion>> items_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::cerr << "usage: atlas-test-consumer --brokers B --topic T --group G --out FILE "
                 "[--status FILE] [--max-inflight N] [--delay-ms N] [--property NAME=VALUE]...\n";
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts

  std::FILE* out = std::fopen(args.out.c_str(), "a");
  if (out == nullptr) {
    std::cerr << "cannot open " << args.out << "\n";
    return 1;
  }
  const char* level = std::getenv("LOG_LEVEL");
  atlas::Logger logger("atlas-test-consumer",
                       atlas::parse_log_level(level != nullptr ? level : "info")
                           .value_or(atlas::LogLevel::info));
  atlas::KafkaSettings settings;
  settings.brokers = args.brokers;
  settings.properties = args.properties;
  atlas::kafka::ConsumerOptions options;
  options.group_id = args.group;
  options.topics = {args.topic};
  options.client_id = "atlas-test-consumer";
  options.max_inflight = args.max_inflight;
  atlas::kafka::Consumer consumer(settings, options, logger);

  std::atomic<bool> done{false};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    consumer.stop();
  });
  std::thread status([&] {
    std::size_t last = static_cast<std::size_t>(-1);
    while (!done.load()) {
      const auto assigned = consumer.stats().assigned_partitions;
      if (!args.status.empty() && assigned != last) {
        write_atomically(args.status, "assigned " + std::to_string(assigned) + "\n");
        last = assigned;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  try {
    Workers workers(out, args.delay_ms);
    consumer.run([&](atlas::kafka::Message m, atlas::kafka::Completion c) {
      workers.push(std::move(m), std::move(c));
    });
  } catch (const std::exception& e) {
    std::cerr << "atlas-test-consumer: " << e.what() << "\n";
    std::_Exit(1);
  }
  done.store(true);
  status.join();
  signals.join();
  std::fclose(out);
  return 0;
}
