// A closed-loop HTTP/1.1 load generator for the benchmarks: `concurrency`
// keep-alive connections on one thread and one epoll set, each sending its
// next pre-serialised request as soon as the previous answer is complete.
//
//   std::vector<std::string> wire = ...;  // "POST /slack/events HTTP/1.1\r\n...\r\n\r\n{...}"
//   LoadResult r = run_closed_loop("127.0.0.1", port, wire, 0, wire.size(), 128);
//
// Written by hand instead of driving libcurl because the load generator
// shares the machine's two cores with the system it measures: libcurl's
// per-transfer work (handle set-up, header callbacks, connection-cache
// lookups, an epoll_ctl per transfer) cost about as much CPU as the router's
// own HTTP handling and capped what the benchmark could observe. This one
// does a write() and one or two read()s per request. It understands exactly
// what the router answers: a status line, headers with Content-Length, and
// "Connection: close" (it then reconnects). It is not a general client.
//
// Header-only: bench/CMakeLists.txt turns every bench/*.cpp into a benchmark.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace atlas::bench {

struct LoadResult {
  std::vector<double> ms;               // latency of each request, in completion order
  std::map<int, std::size_t> statuses;  // HTTP status -> count (0: connection failed)
  double seconds = 0;                   // first send to last answer
};

namespace detail {

inline int connect_to(const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    throw std::runtime_error("not an IPv4 address: " + host);
  }
  // Blocking connect (localhost: immediate), then non-blocking I/O.
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("connect: ") + std::strerror(err));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// The status and total length of the first response in `in`, once its
// headers and body are complete; status 0 while incomplete, -1 if garbled.
inline std::pair<int, std::size_t> complete_response(std::string_view in, bool& close_after) {
  const auto end = in.find("\r\n\r\n");
  if (end == std::string_view::npos) return {0, 0};
  if (in.size() < 12 || in.substr(0, 5) != "HTTP/") return {-1, 0};
  const int status = std::atoi(std::string(in.substr(9, 3)).c_str());
  std::size_t length = 0;
  close_after = false;
  const std::string_view head = in.substr(0, end);
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at < head.size()) {
    const std::size_t next = head.find("\r\n", at + 2);
    const std::string_view line = head.substr(at + 2, next == std::string_view::npos ? std::string_view::npos : next - at - 2);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (name == "content-length") length = std::strtoul(std::string(value).c_str(), nullptr, 10);
      if (name == "connection" && (value == "close" || value == "Close")) close_after = true;
    }
    at = next;
  }
  const std::size_t total = end + 4 + length;
  if (in.size() < total) return {0, 0};
  return {status, total};
}

}  // namespace detail

// Sends wire[first, first + count) over `concurrency` connections to
// host:port and waits for every answer. Throws when a connection cannot be made.
inline LoadResult run_closed_loop(const std::string& host, int port,
                                  const std::vector<std::string>& wire, std::size_t first,
                                  std::size_t count, std::size_t concurrency) {
  using Clock = std::chrono::steady_clock;
  struct Conn {
    int fd = -1;
    std::string in;
    const std::string* out = nullptr;  // request being written
    std::size_t written = 0;
    Clock::time_point sent;
    bool busy = false;
  };
  LoadResult result;
  result.ms.reserve(count);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  std::vector<Conn> conns(std::min(concurrency, count));
  std::size_t next = first;
  const std::size_t end = first + count;
  std::size_t done = 0;

  auto arm = [&](std::size_t i, std::uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = i;
    ::epoll_ctl(ep, op, conns[i].fd, &ev);
  };
  auto open = [&](std::size_t i) {
    conns[i].fd = detail::connect_to(host, port);
    conns[i].in.clear();
    arm(i, EPOLLIN, EPOLL_CTL_ADD);
  };
  auto flush = [&](std::size_t i) {
    Conn& c = conns[i];
    while (c.written < c.out->size()) {
      const ssize_t n = ::send(c.fd, c.out->data() + c.written, c.out->size() - c.written, MSG_NOSIGNAL);
      if (n > 0) {
        c.written += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        arm(i, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
        return;
      } else {
        return;  // the read side sees the error
      }
    }
  };
  auto send_next = [&](std::size_t i) {
    Conn& c = conns[i];
    if (next >= end) {
      c.busy = false;
      return;
    }
    c.out = &wire[next++];
    c.written = 0;
    c.busy = true;
    c.sent = Clock::now();
    flush(i);
  };
  auto finish = [&](std::size_t i, int status) {
    Conn& c = conns[i];
    result.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - c.sent).count());
    ++result.statuses[status];
    ++done;
    c.busy = false;
  };

  const auto started = Clock::now();
  for (std::size_t i = 0; i < conns.size(); ++i) {
    open(i);
    send_next(i);
  }
  std::vector<epoll_event> events(conns.size());
  char buffer[16384];
  while (done < count) {
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    for (int e = 0; e < n; ++e) {
      const auto i = static_cast<std::size_t>(events[e].data.u64);
      Conn& c = conns[i];
      if ((events[e].events & EPOLLOUT) != 0 && c.busy && c.written < c.out->size()) {
        flush(i);
        if (c.written == c.out->size()) arm(i, EPOLLIN, EPOLL_CTL_MOD);
      }
      if ((events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) == 0) continue;
      bool closed = false;
      for (;;) {
        const ssize_t got = ::recv(c.fd, buffer, sizeof buffer, 0);
        if (got > 0) {
          c.in.append(buffer, static_cast<std::size_t>(got));
          if (static_cast<std::size_t>(got) < sizeof buffer) break;
        } else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          break;
        } else {
          closed = true;
          break;
        }
      }
      bool close_after = false;
      for (;;) {
        const auto [status, length] = detail::complete_response(c.in, close_after);
        if (status == 0) break;
        if (status < 0 || !c.busy) {
          closed = true;
          break;
        }
        c.in.erase(0, length);
        finish(i, status);
        if (close_after) {
          closed = true;
          break;
        }
        send_next(i);
      }
      if (closed) {
        if (c.busy) finish(i, 0);  // the request on it got no answer
        ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.fd = -1;
        if (next < end) {
          open(i);
          send_next(i);
        }
      }
    }
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  for (Conn& c : conns) {
    if (c.fd >= 0) ::close(c.fd);
  }
  ::close(ep);
  return result;
}

}  // namespace atlas::bench
