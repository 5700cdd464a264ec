#pragma once
// Responder: how a route handler answers, now or later, from any thread.
//
// A handler receives a Responder by value and may move it into a callback
// (a Kafka delivery report, a timer, another thread) and call send() when the
// answer is known. The first send() wins; later calls are ignored. A
// Responder destroyed without answering sends 500 {"error": ...}, so a
// connection never hangs on a forgotten request.
//
// post() runs work on the connection's I/O thread, the thread that called the
// handler. A handler whose answer is decided on another thread can finish
// there: what the request allocated on that thread is then freed on it, which
// glibc's per-thread caches serve far better than memory freed elsewhere.
#include <functional>
#include <memory>

#include "atlas/http/server_message.hpp"

namespace atlas::http {

class Responder {
 public:
  // Where the answer goes and where post()ed work runs. The Server's channel
  // posts both to the connection's executor; tests may record instead.
  class Channel {
   public:
    virtual ~Channel() = default;
    // Receives the one response.
    virtual void deliver(ServerResponse response) = 0;
    // Queues `work` (moving from it) and returns true, or returns false and
    // leaves it untouched when there is no thread to run it (the server is
    // stopping).
    virtual bool post(std::function<void()>& work) = 0;
  };
  // A channel that calls `deliver` and has no thread for post().
  using Deliver = std::function<void(ServerResponse)>;

  Responder() = default;
  explicit Responder(std::unique_ptr<Channel> channel) : channel_(std::move(channel)) {}
  explicit Responder(Deliver deliver);
  ~Responder();
  Responder(Responder&& other) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Thread-safe with respect to the connection; a single Responder object must
  // not be used by two threads at once (move it to the one that answers).
  void send(ServerResponse response);
  void operator()(ServerResponse response) { send(std::move(response)); }

  // Queues `work` on the connection's I/O thread and returns true. Returns
  // false, leaving `work` to the caller, once answered or when the server no
  // longer runs work (stopping). Never runs `work` itself, so it may be called
  // under a lock that `work` takes.
  [[nodiscard]] bool post(std::function<void()>& work) const {
    return channel_ && channel_->post(work);
  }

  // True once send() ran (or for a default-constructed / moved-from Responder).
  [[nodiscard]] bool answered() const { return !channel_; }

 private:
  void drop() noexcept;
  std::unique_ptr<Channel> channel_;
};

}  // namespace atlas::http
