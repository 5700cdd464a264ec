#include "http_raw_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace atlas::test {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

std::runtime_error socket_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

// Waits until fd is readable or the deadline passes; true if readable.
bool wait_readable(int fd, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd entry{fd, POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

// -1 on error/reset, 0 on EOF, else bytes read (appended to out).
long read_some(int fd, std::string& out) {
  char buffer[4096];
  const auto n = ::recv(fd, buffer, sizeof buffer, 0);
  if (n > 0) out.append(buffer, static_cast<std::size_t>(n));
  return static_cast<long>(n);
}

}  // namespace

Fd::~Fd() { reset(); }
Fd::Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}
void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

RawConnection::RawConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  if (fd_.get() < 0) throw socket_error("socket");
  const auto address = loopback(port);
  if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw socket_error("connect to 127.0.0.1:" + std::to_string(port));
  }
}

void RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw socket_error("send");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string RawConnection::read_until_close(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  std::string out = std::exchange(pending_, {});
  while (wait_readable(fd_.get(), until)) {
    if (read_some(fd_.get(), out) <= 0) break;
  }
  return out;
}

std::string RawConnection::read_response(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  std::string& in = pending_;
  for (;;) {
    const auto head_end = in.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::size_t length = 0;
      std::string head = in.substr(0, head_end);
      for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const auto at = head.find("\r\ncontent-length:");
      if (at != std::string::npos) length = std::stoul(head.substr(at + 17));
      const auto total = head_end + 4 + length;
      if (in.size() >= total) {
        std::string response = in.substr(0, total);
        in.erase(0, total);
        return response;
      }
    }
    if (!wait_readable(fd_.get(), until) || read_some(fd_.get(), in) <= 0) {
      return std::exchange(in, {});
    }
  }
}

bool RawConnection::wait_closed(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  std::string discard;
  while (wait_readable(fd_.get(), until)) {
    if (read_some(fd_.get(), discard) <= 0) return true;
    discard.clear();
  }
  return false;
}

std::uint16_t unused_loopback_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  auto address = loopback(0);
  socklen_t size = sizeof address;
  if (fd.get() < 0 || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), size) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw socket_error("reserving a loopback port");
  }
  return ntohs(address.sin_port);  // released when fd closes; never listened on
}

ScriptedServer::ScriptedServer(Reply reply)
    : reply_(std::move(reply)), listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
  auto address = loopback(0);
  socklen_t size = sizeof address;
  if (listener_.get() < 0 ||
      ::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), size) != 0 ||
      ::listen(listener_.get(), 16) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0 ||
      ::pipe(stop_pipe_) != 0) {
    throw socket_error("starting the scripted server");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { run(); });
}

ScriptedServer::~ScriptedServer() {
  const char byte = 'x';
  [[maybe_unused]] const auto written = ::write(stop_pipe_[1], &byte, 1);
  thread_.join();
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

void ScriptedServer::run() {
  for (;;) {
    pollfd entries[2] = {{listener_.get(), POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(entries, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if ((entries[1].revents & POLLIN) != 0) return;
    Fd connection(::accept(listener_.get(), nullptr, nullptr));
    if (connection.get() < 0) continue;
    std::string head;
    const auto until = Clock::now() + std::chrono::seconds(5);
    while (head.find("\r\n\r\n") == std::string::npos && wait_readable(connection.get(), until)) {
      if (read_some(connection.get(), head) <= 0) break;
    }
    const std::string response = reply_(head);
    std::string_view rest = response;
    while (!rest.empty()) {
      const auto n = ::send(connection.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::shutdown(connection.get(), SHUT_WR);
  }
}

}  // namespace atlas::test
