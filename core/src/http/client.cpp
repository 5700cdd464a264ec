#include "atlas/http/client.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
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

}  // namespace

class Client::Impl {
 public:
  explicit Impl(ClientOptions options) : options_(std::move(options)) {
    detail::ensure_curl_global_init();
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
    thread_ = std::thread([this] { run(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_.get());
    thread_.join();
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
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        queue_.push_back(std::move(transfer));
        transfer = nullptr;
      }
    }
    if (transfer) {
      fail(std::move(transfer), ErrorKind::other, std::string(kShuttingDown));
      return;
    }
    curl_multi_wakeup(multi_.get());
  }

  [[nodiscard]] std::size_t in_flight() const { return in_flight_.load(); }

 private:
  static void check(CURLMcode code, const char* what) {
    if (code != CURLM_OK) {
      throw std::runtime_error(std::string("libcurl rejected ") + what + ": " +
                               curl_multi_strerror(code));
    }
  }

  void run() {
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
      for (auto& transfer : incoming) start(std::move(transfer));

      int running = 0;
      const CURLMcode performed = curl_multi_perform(multi_.get(), &running);
      if (performed != CURLM_OK) fail_all(std::string("curl_multi_perform: ") +
                                          curl_multi_strerror(performed));
      collect_finished();
      expire_overdue();
      // Sleeps until a socket is ready, a libcurl timer or one of our deadlines
      // is due, or send()/the destructor calls curl_multi_wakeup.
      curl_multi_poll(multi_.get(), nullptr, 0, poll_timeout_ms(), nullptr);
    }
    fail_all(std::string(kShuttingDown));
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

  [[nodiscard]] int poll_timeout_ms() const {
    constexpr long kMaxWaitMs = 1000;
    if (deadlines_.empty()) return static_cast<int>(kMaxWaitMs);
    const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
                           deadlines_.begin()->first - Clock::now())
                           .count() + 1;
    return static_cast<int>(std::clamp<long>(static_cast<long>(until), 0, kMaxWaitMs));
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
  MultiHandle multi_;
  // Client thread only: transfers added to the multi handle, by handle and by deadline.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active_;
  std::multimap<Clock::time_point, CURL*> deadlines_;

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
