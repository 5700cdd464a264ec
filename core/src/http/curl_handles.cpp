#include "curl_handles.hpp"

#include <stdexcept>
#include <string>

namespace atlas::http::detail {
namespace {

// Not business state: libcurl demands one global initialisation per process
// before any handle exists, and its cleanup after the last one is gone.
class CurlGlobal {
 public:
  CurlGlobal() : code_(curl_global_init(CURL_GLOBAL_DEFAULT)) {}
  ~CurlGlobal() {
    if (code_ == CURLE_OK) curl_global_cleanup();
  }
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
  [[nodiscard]] CURLcode code() const { return code_; }

 private:
  CURLcode code_;
};

}  // namespace

void ensure_curl_global_init() {
  static const CurlGlobal global;
  if (global.code() != CURLE_OK) {
    throw std::runtime_error(std::string("libcurl initialisation failed: ") +
                             curl_easy_strerror(global.code()));
  }
}

bool slist_append(Slist& list, const char* line) {
  curl_slist* head = curl_slist_append(list.get(), line);
  if (head == nullptr) return false;
  static_cast<void>(list.release());  // the new head owns the old nodes
  list.reset(head);
  return true;
}

}  // namespace atlas::http::detail
