#pragma once
// Responder: how a route handler answers, now or later, from any thread.
//
// A handler receives a Responder by value and may move it into a callback
// (a Kafka delivery report, a timer, another thread) and call send() when the
// answer is known. The first send() wins; later calls are ignored. A
// Responder destroyed without answering sends 500 {"error": ...}, so a
// connection never hangs on a forgotten request.
#include <functional>

#include "atlas/http/server_message.hpp"

namespace atlas::http {

class Responder {
 public:
  // Receives the one response: from send(), or a 500 if the Responder is
  // dropped unanswered. The Server's deliver function posts to the
  // connection's executor; tests may pass one that records the response.
  using Deliver = std::function<void(ServerResponse)>;

  Responder() = default;
  explicit Responder(Deliver deliver) : deliver_(std::move(deliver)) {}
  ~Responder();
  Responder(Responder&& other) noexcept;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Thread-safe with respect to the connection; a single Responder object must
  // not be used by two threads at once (move it to the one that answers).
  void send(ServerResponse response);
  void operator()(ServerResponse response) { send(std::move(response)); }

  // True once send() ran (or for a default-constructed / moved-from Responder).
  [[nodiscard]] bool answered() const { return !deliver_; }

 private:
  void drop() noexcept;
  Deliver deliver_;
};

}  // namespace atlas::http
