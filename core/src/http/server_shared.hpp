#pragma once
// State shared by a Server, its listener and its sessions. Sessions hold it
// by shared_ptr, so it outlives the Server object if a connection lingers.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "atlas/http/router.hpp"
#include "atlas/http/server.hpp"

namespace atlas {
class Logger;
}

namespace atlas::http::detail {

class Session;

struct ServerShared {
  ServerLimits limits;
  std::string name;
  Router router;  // not modified once the server has started
  Logger* logger = nullptr;

  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> open{0};
  std::atomic<std::uint64_t> requests{0};

  // Responders post into the io_contexts from any thread. Server::stop()
  // closes this gate once the I/O threads have finished (and ~Server before
  // the io_contexts are destroyed), so a late Responder never touches a dead
  // executor, and work it is asked to post is left to its caller.
  std::mutex post_mutex;
  bool accepting_posts = true;  // guarded by post_mutex

  // Live sessions, so stop() can close the idle ones.
  std::mutex sessions_mutex;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions;  // guarded

  std::vector<std::shared_ptr<Session>> live_sessions() {
    std::vector<std::shared_ptr<Session>> out;
    std::lock_guard lock(sessions_mutex);
    for (const auto& [key, weak] : sessions) {
      if (auto session = weak.lock()) out.push_back(std::move(session));
    }
    return out;
  }
};

}  // namespace atlas::http::detail
