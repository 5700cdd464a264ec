#include "atlas/http/client.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>

#include "atlas/http/response_head.hpp"
#include "atlas/log.hpp"
#include "curl_handles.hpp"

namespace atlas::http {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::none: return "none";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::connect: return "connect";
    case ErrorKind::tls: return "tls";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::other: return "other";
  }
  return "other";
}

namespace {

using Clock = std::chrono::steady_clock;
using detail::EasyHandle;
using detail::MultiHandle;
using detail::Slist;

constexpr std::string_view kShuttingDown = "client shutting down";

// One request from send() to its callback. Lives on the heap so libcurl can
// keep a stable pointer to it (CURLOPT_PRIVATE, WRITEDATA, HEADERDATA).
struct Transfer {
  ClientRequest request;
  Client::Callback on_done;
  Clock::time_point queued_at;
  Clock::time_point deadline;  // queued_at + request.timeout
  ClientResponse response;
  ResponseHeadParser head;
  EasyHandle easy;
  Slist header_list;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > transfer->request.max_response_bytes) {
    transfer->too_large = true;
    return 0;  // anything but `bytes` aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  transfer->head.feed_line(std::string_view(data, bytes));
  return bytes;
}

ErrorKind classify(CURLcode code, bool too_large) {
  switch (code) {
    case CURLE_OK: return ErrorKind::none;
    case CURLE_OPERATION_TIMEDOUT: return ErrorKind::timeout;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT: return ErrorKind::connect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT: return ErrorKind::tls;
    case CURLE_FILESIZE_EXCEEDED: return ErrorKind::too_large;
    case CURLE_WRITE_ERROR: return too_large ? ErrorKind::too_large : ErrorKind::other;
    default: return ErrorKind::other;
  }
}

// Methods and header lines go on the wire verbatim; CR, LF or NUL in them
// would let a caller's data inject headers.
bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c > 32 && c < 127 && c != ':' && c != '(' && c != ')' && c != '"' && c != '/' &&
           c != '[' && c != ']' && c != '{' && c != '}' && c != ',' && c != ';' && c != '\\';
  });
}
bool is_header_value(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string describe(const ClientRequest& request) {
  return request.method + " " + url_for_message(request.url);
}

// Owns a file descriptor (the epoll instance, the wake-up eventfd).
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

UniqueFd make_fd(int fd, const char* what) {
  if (fd < 0) throw std::runtime_error(std::string(what) + " failed: " + std::strerror(errno));
  return UniqueFd(fd);
}

// What libcurl should look at on a socket epoll reported. Error and hang-up
// count as readable and writable, as curl_multi_perform's own poll treats
// them, so libcurl reads the EOF or the error and ends the transfer with the
// same result as before.
int curl_mask(std::uint32_t events) {
  int mask = 0;
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) mask |= CURL_CSELECT_IN;
  if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) mask |= CURL_CSELECT_OUT;
  return mask;
}

}  // namespace

// The event loop uses libcurl's socket interface: libcurl tells us which
// sockets it wants watched (on_socket) and when it next needs a timeout call
// (on_timer); we watch them with epoll and call curl_multi_socket_action for
// the sockets that are ready. The cost of a wake-up is then proportional to
// the sockets that have something to do, not to every transfer in flight, as
// it is with curl_multi_perform/curl_multi_poll (which walk them all).
class Client::Impl {
 public:
  explicit Impl(ClientOptions options)
      : options_(std::move(options)),
        epoll_(make_fd(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
        wakeup_(make_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")) {
    detail::ensure_curl_global_init();
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wakeup_.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wakeup_.get(), &event) != 0) {
      throw std::runtime_error(std::string("epoll_ctl(eventfd) failed: ") + std::strerror(errno));
    }
    multi_.reset(curl_multi_init());
    if (!multi_) throw std::runtime_error("curl_multi_init failed (out of memory?)");
    check(curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS,
                            std::max(0L, options_.max_host_connections)),
          "CURLMOPT_MAX_HOST_CONNECTIONS");
    if (options_.max_cached_connections > 0) {
      check(curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, options_.max_cached_connections),
            "CURLMOPT_MAXCONNECTS");
    }
    check(curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING,
                            options_.http2 ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING),
          "CURLMOPT_PIPELINING");
    check(curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &Impl::on_socket),
          "CURLMOPT_SOCKETFUNCTION");
    check(curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this), "CURLMOPT_SOCKETDATA");
    check(curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &Impl::on_timer),
          "CURLMOPT_TIMERFUNCTION");
    check(curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this), "CURLMOPT_TIMERDATA");
    thread_ = std::thread([this] { run(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake();
    thread_.join();
    // curl_multi_cleanup closes cached connections and may call on_socket
    // for them: do it now, while the epoll descriptor is still open.
    multi_.reset();
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void send(ClientRequest request, Callback on_done) {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->on_done = std::move(on_done);
    transfer->queued_at = Clock::now();
    transfer->deadline = transfer->queued_at + std::max(transfer->request.timeout,
                                                        std::chrono::milliseconds(1));
    in_flight_.fetch_add(1);
    bool was_empty = false;
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        was_empty = queue_.empty();
        queue_.push_back(std::move(transfer));
        transfer = nullptr;
      }
    }
    if (transfer) {
      fail(std::move(transfer), ErrorKind::other, std::string(kShuttingDown));
      return;
    }
    // The client thread takes the whole queue at once, so only the request
    // that finds it empty has to wake it; the others ride along.
    if (was_empty) wake();
  }

  [[nodiscard]] std::size_t in_flight() const { return in_flight_.load(); }

 private:
  static void check(CURLMcode code, const char* what) {
    if (code != CURLM_OK) {
      throw std::runtime_error(std::string("libcurl rejected ") + what + ": " +
                               curl_multi_strerror(code));
    }
  }

  // Makes epoll_wait on the client thread return (eventfd counter > 0).
  void wake() const {
    const std::uint64_t one = 1;
    // Only fails (EAGAIN) when the counter is near overflow: it is readable then anyway.
    [[maybe_unused]] const auto written = ::write(wakeup_.get(), &one, sizeof one);
  }

  // CURLMOPT_SOCKETFUNCTION: libcurl wants `socket` watched for `what`, or no
  // longer (CURL_POLL_REMOVE, called before it closes the socket). Runs on the
  // client thread, inside a libcurl call.
  static int on_socket(CURL* /*easy*/, curl_socket_t socket, int what, void* self_ptr,
                       void* /*socket_ptr*/) {
    auto* self = static_cast<Impl*>(self_ptr);
    const int epoll_fd = self->epoll_.get();
    if (what == CURL_POLL_REMOVE) {
      // Fails harmlessly if the socket was already closed (epoll forgets it then).
      ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, socket, nullptr);
      return 0;
    }
    epoll_event event{};
    event.data.fd = socket;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) event.events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) event.events |= EPOLLOUT;
    // libcurl does not say whether the socket is new to us: try the likely
    // operation and fall back to the other.
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, socket, &event) == 0) return 0;
    if (errno == ENOENT) ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, socket, &event);
    // If epoll refused too (out of memory or watches), the socket is never
    // reported and its transfer ends at its deadline. Returning -1 instead
    // would make libcurl abort the whole multi handle, every transfer with it.
    return 0;
  }

  // CURLMOPT_TIMERFUNCTION: libcurl wants curl_multi_socket_action(
  // CURL_SOCKET_TIMEOUT) called in `timeout_ms` (0: as soon as possible), or
  // never (-1). It must not be called from inside this callback.
  static int on_timer(CURLM* /*multi*/, long timeout_ms, void* self_ptr) {
    auto* self = static_cast<Impl*>(self_ptr);
    if (timeout_ms < 0) {
      self->curl_timer_.reset();
    } else {
      self->curl_timer_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  void run() {
    constexpr int kMaxEvents = 256;
    std::array<epoll_event, kMaxEvents> events{};
    for (;;) {
      std::deque<std::unique_ptr<Transfer>> incoming;
      bool stopping = false;
      {
        std::lock_guard lock(mutex_);
        incoming.swap(queue_);
        stopping = stopping_;
      }
      if (stopping) {
        for (auto& transfer : incoming) {
          fail(std::move(transfer), ErrorKind::other, std::string(kShuttingDown));
        }
        break;
      }
      // curl_multi_add_handle sets libcurl's timer to "now": the transfers
      // start at the timeout call below, after this wait returns at once.
      for (auto& transfer : incoming) start(std::move(transfer));

      // Sleeps until a socket is ready, libcurl's timer or one of our
      // deadlines is due, or send()/the destructor writes the eventfd.
      const int ready = ::epoll_wait(epoll_.get(), events.data(), kMaxEvents, wait_timeout_ms());
      for (int i = 0; i < ready; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == wakeup_.get()) {
          std::uint64_t count = 0;
          [[maybe_unused]] const auto read = ::read(fd, &count, sizeof count);  // reset it
          continue;
        }
        act(fd, curl_mask(events[static_cast<std::size_t>(i)].events));
      }
      if (curl_timer_ && *curl_timer_ <= Clock::now()) {
        curl_timer_.reset();  // before the call: libcurl may set a new one in it
        act(CURL_SOCKET_TIMEOUT, 0);
      }
      collect_finished();
      expire_overdue();
    }
    fail_all(std::string(kShuttingDown));
  }

  // Lets libcurl handle a ready socket (or its due timeouts).
  void act(curl_socket_t socket, int mask) {
    int running = 0;
    const CURLMcode code = curl_multi_socket_action(multi_.get(), socket, mask, &running);
    if (code != CURLM_OK) {
      fail_all(std::string("curl_multi_socket_action: ") + curl_multi_strerror(code));
    }
  }

  void start(std::unique_ptr<Transfer> transfer) {
    const ClientRequest& request = transfer->request;
    if (!is_token(request.method)) {
      fail(std::move(transfer), ErrorKind::other, "invalid HTTP method: use an RFC 9110 token such as GET or POST");
      return;
    }
    for (const auto& [name, value] : request.headers) {
      if (!is_token(name) || !is_header_value(value)) {
        fail(std::move(transfer), ErrorKind::other,
             describe(request) + ": invalid request header name or value (control characters?)");
        return;
      }
    }
    transfer->easy.reset(curl_easy_init());
    if (!transfer->easy || !configure(*transfer)) {
      fail(std::move(transfer), ErrorKind::other, describe(request) + ": could not set up the transfer");
      return;
    }
    CURL* easy = transfer->easy.get();
    const CURLMcode added = curl_multi_add_handle(multi_.get(), easy);
    if (added != CURLM_OK) {
      fail(std::move(transfer), ErrorKind::other,
           describe(request) + ": " + curl_multi_strerror(added));
      return;
    }
    deadlines_.emplace(transfer->deadline, easy);
    active_.emplace(easy, std::move(transfer));
  }

  // Removes a transfer from the multi handle and from our books.
  std::unique_ptr<Transfer> detach(CURL* easy) {
    curl_multi_remove_handle(multi_.get(), easy);
    auto found = active_.find(easy);
    if (found == active_.end()) return nullptr;
    auto transfer = std::move(found->second);
    active_.erase(found);
    auto [first, last] = deadlines_.equal_range(transfer->deadline);
    for (auto it = first; it != last; ++it) {
      if (it->second == easy) {
        deadlines_.erase(it);
        break;
      }
    }
    return transfer;
  }

  // libcurl does not apply CURLOPT_TIMEOUT_MS to a transfer that is still
  // waiting for a free connection (CURLMOPT_MAX_HOST_CONNECTIONS), so the
  // request's deadline is enforced here as well.
  void expire_overdue() {
    const auto now = Clock::now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      auto transfer = detach(deadlines_.begin()->second);
      if (!transfer) {  // not ours any more; cannot happen, but never loop forever
        deadlines_.erase(deadlines_.begin());
        continue;
      }
      std::string message = describe(transfer->request) + ": timed out after " +
                            std::to_string(transfer->request.timeout.count()) + " ms";
      fail(std::move(transfer), ErrorKind::timeout, std::move(message));
    }
  }

  // Milliseconds until libcurl's timer or the earliest request deadline is
  // due, rounded up so that we do not wake just before it; at most a second.
  [[nodiscard]] int wait_timeout_ms() const {
    constexpr std::chrono::milliseconds kMaxWait{1000};
    auto due = Clock::now() + kMaxWait;
    if (curl_timer_) due = std::min(due, *curl_timer_);
    if (!deadlines_.empty()) due = std::min(due, deadlines_.begin()->first);
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(due - Clock::now());
    return static_cast<int>(std::clamp(wait, std::chrono::milliseconds(0), kMaxWait).count());
  }

  bool configure(Transfer& transfer) {
    CURL* easy = transfer.easy.get();
    const ClientRequest& request = transfer.request;
    const long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
    const long connect_ms =
        std::clamp<long>(static_cast<long>(options_.connect_timeout.count()), 1, timeout_ms);
    bool ok = true;
    const auto set = [&ok](CURLcode code) { ok = ok && code == CURLE_OK; };

    set(curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str()));
    set(curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer));
    set(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer.data()));
    set(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body));
    set(curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer));
    set(curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header));
    set(curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer));
    set(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms));
    set(curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms));
    set(curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                         static_cast<curl_off_t>(std::min<std::size_t>(
                             request.max_response_bytes, static_cast<std::size_t>(INT64_MAX)))));
    set(curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str()));
    set(curl_easy_setopt(easy, CURLOPT_HTTP_VERSION,
                         options_.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1));
    if (options_.http2) set(curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L));

    const std::string& method = request.method;
    if (method == "GET" && request.body.empty()) {
      set(curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L));
    } else if (method == "HEAD") {
      set(curl_easy_setopt(easy, CURLOPT_NOBODY, 1L));
    } else {
      if (method != "POST") set(curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str()));
      if (method == "POST" || !request.body.empty()) {
        // The body stays alive in the Transfer for the whole transfer.
        set(curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size())));
        set(curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data()));
      }
    }

    bool has_expect = false;
    for (const auto& [name, value] : request.headers) {
      has_expect = has_expect || iequals(name, "expect");
      // "Name;" is libcurl's spelling of a header with an empty value.
      const std::string line = value.empty() ? name + ";" : name + ": " + value;
      ok = ok && detail::slist_append(transfer.header_list, line.c_str());
    }
    // No "Expect: 100-continue" round trip for large bodies unless asked for.
    if (!has_expect) ok = ok && detail::slist_append(transfer.header_list, "Expect:");
    set(curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.header_list.get()));
    return ok;
  }

  void collect_finished() {
    int remaining = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_.get(), &remaining)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode result = message->data.result;
      auto transfer = detach(easy);
      if (transfer) finish(std::move(transfer), result);
    }
  }

  void finish(std::unique_ptr<Transfer> transfer, CURLcode result) {
    const ErrorKind kind = classify(result, transfer->too_large);
    if (kind == ErrorKind::none) {
      long status = 0;
      curl_easy_getinfo(transfer->easy.get(), CURLINFO_RESPONSE_CODE, &status);
      transfer->response.status = static_cast<int>(status);
      transfer->response.headers = transfer->head.take_headers();
      complete(std::move(transfer));
      return;
    }
    std::string reason;
    if (kind == ErrorKind::too_large) {
      reason = "response body exceeds max_response_bytes (" +
               std::to_string(transfer->request.max_response_bytes) + " bytes)";
    } else if (transfer->error_buffer[0] != '\0') {
      reason = transfer->error_buffer.data();
    } else {
      reason = curl_easy_strerror(result);
    }
    const std::string message = describe(transfer->request) + ": " + reason;
    fail(std::move(transfer), kind, message);
  }

  void fail(std::unique_ptr<Transfer> transfer, ErrorKind kind, std::string message) {
    ClientResponse& response = transfer->response;
    response.status = 0;
    response.headers.clear();
    response.body.clear();
    response.error = kind;
    response.error_message = std::move(message);
    complete(std::move(transfer));
  }

  void fail_all(const std::string& message) {
    auto active = std::move(active_);
    active_.clear();
    deadlines_.clear();
    for (auto& [easy, transfer] : active) {
      curl_multi_remove_handle(multi_.get(), easy);
      std::string text = describe(transfer->request) + ": " + message;
      fail(std::move(transfer), ErrorKind::other, std::move(text));
    }
  }

  void complete(std::unique_ptr<Transfer> transfer) {
    transfer->response.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        Clock::now() - transfer->queued_at);
    // Release libcurl's handle first: the callback may be slow to return.
    transfer->easy.reset();
    transfer->header_list.reset();
    try {
      transfer->on_done(std::move(transfer->response));
    } catch (const std::exception& e) {
      if (options_.logger) {
        options_.logger->warn("http client callback threw; fix the callback",
                              {{"error", e.what()}, {"url", url_for_message(transfer->request.url)}});
      }
    } catch (...) {
      if (options_.logger) options_.logger->warn("http client callback threw a non-exception");
    }
    in_flight_.fetch_sub(1);
  }

  ClientOptions options_;
  // Declared before multi_ so that they outlive it (see ~Impl).
  UniqueFd epoll_;   // the sockets libcurl asked for, and wakeup_
  UniqueFd wakeup_;  // eventfd written by send() and ~Impl
  MultiHandle multi_;
  // Client thread only: transfers added to the multi handle, by handle and by deadline.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active_;
  std::multimap<Clock::time_point, CURL*> deadlines_;
  // Client thread only: when libcurl wants CURL_SOCKET_TIMEOUT (on_timer).
  std::optional<Clock::time_point> curl_timer_;

  mutable std::mutex mutex_;
  std::deque<std::unique_ptr<Transfer>> queue_;  // guarded by mutex_
  bool stopping_ = false;                        // guarded by mutex_
  std::atomic<std::size_t> in_flight_{0};
  std::thread thread_;  // last: starts after everything above exists
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

void Client::send(ClientRequest request, Callback on_done) {
  impl_->send(std::move(request), std::move(on_done));
}

std::future<ClientResponse> Client::send(ClientRequest request) {
  auto promise = std::make_shared<std::promise<ClientResponse>>();
  auto future = promise->get_future();
  impl_->send(std::move(request),
              [promise](ClientResponse response) { promise->set_value(std::move(response)); });
  return future;
}

std::size_t Client::in_flight() const { return impl_->in_flight(); }

}  // namespace atlas::http
