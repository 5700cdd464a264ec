#pragma once
// RAII owners for libcurl handles, and the process-wide curl_global_init.
#include <memory>

#include <curl/curl.h>

namespace atlas::http::detail {

struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct MultiDeleter {
  void operator()(CURLM* handle) const noexcept { curl_multi_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Runs curl_global_init exactly once per process (thread-safe: a function-local
// static) and throws std::runtime_error if it failed. Call before any other
// libcurl function.
void ensure_curl_global_init();

// Appends `line` to `list`; curl_slist_append returns a new head (or null on
// allocation failure, leaving the old list intact and still owned by `list`).
[[nodiscard]] bool slist_append(Slist& list, const char* line);

}  // namespace atlas::http::detail
