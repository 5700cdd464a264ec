#pragma once
// Blocking loopback sockets for HTTP tests that must misbehave on the wire
// (stall mid-request, send a broken request line) or play a server that the
// Atlas Server cannot imitate (chunked responses). Every wait has a deadline.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace atlas::test {

// Owns a socket file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept;
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  void reset();

 private:
  int fd_ = -1;
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:port; throws std::runtime_error on failure.
  explicit RawConnection(std::uint16_t port);

  void send(std::string_view bytes);
  // Reads until the peer closes, an error, or the deadline; returns what came.
  std::string read_until_close(std::chrono::milliseconds deadline);
  // Reads one response head and a Content-Length body (no chunked support).
  // Returns what was read by the deadline (possibly incomplete).
  std::string read_response(std::chrono::milliseconds deadline);
  // True if the peer closed the connection (EOF or reset) within the
  // deadline; bytes that arrive meanwhile are discarded.
  bool wait_closed(std::chrono::milliseconds deadline);

 private:
  Fd fd_;
  std::string pending_;
};

// A port on 127.0.0.1 that nothing listens on (bound, then released).
std::uint16_t unused_loopback_port();

// A one-connection-at-a-time server on 127.0.0.1 that reads each request head
// and answers with `reply(request_head)` verbatim, then closes the connection.
class ScriptedServer {
 public:
  using Reply = std::function<std::string(const std::string& request_head)>;
  explicit ScriptedServer(Reply reply);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  void run();
  Reply reply_;
  Fd listener_;
  std::uint16_t port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace atlas::test
