#include "atlas/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include "atlas/text.hpp"

namespace atlas {

using std::chrono::milliseconds;

JitterSource make_jitter_source(std::optional<std::uint64_t> seed) {
  const std::uint64_t s =
      seed ? *seed : (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  auto engine = std::make_shared<boost::random::mt19937_64>(s);
  return [engine]() {
    boost::random::uniform_real_distribution<double> dist(0.0, 1.0);
    return dist(*engine);
  };
}

RetryPolicy::RetryPolicy(RetryOptions options, JitterSource jitter)
    : options_(options), jitter_(std::move(jitter)) {
  options_.max_attempts = std::max(1, options_.max_attempts);
  options_.multiplier = std::max(1.0, options_.multiplier);
  if (!jitter_) jitter_ = make_jitter_source();
}

milliseconds RetryPolicy::backoff_ceiling(int attempts_made) const {
  const double exponent = std::max(0, attempts_made - 1);
  const double ceiling = static_cast<double>(options_.initial_backoff.count()) *
                         std::pow(options_.multiplier, exponent);
  const double capped = std::min(ceiling, static_cast<double>(options_.max_backoff.count()));
  return milliseconds(static_cast<std::int64_t>(capped));
}

RetryPolicy::Decision RetryPolicy::next(int attempts_made, milliseconds elapsed,
                                        std::optional<milliseconds> retry_after) const {
  Decision d;
  if (attempts_made >= options_.max_attempts) {
    d.stop = Stop::attempts_exhausted;
    return d;
  }
  if (retry_after) {
    const milliseconds requested = std::max(milliseconds(0), *retry_after);
    d.retry_after_capped = requested > options_.max_retry_after;
    d.wait = std::min(requested, options_.max_retry_after);
  } else {
    const double u = std::clamp(jitter_(), 0.0, 1.0);
    d.wait = milliseconds(
        static_cast<std::int64_t>(u * static_cast<double>(backoff_ceiling(attempts_made).count())));
  }
  if (options_.deadline.count() > 0 && elapsed + d.wait >= options_.deadline) {
    d.stop = Stop::deadline;
    d.wait = milliseconds(0);
    return d;
  }
  d.retry = true;
  return d;
}

std::string_view to_string(RetryPolicy::Stop stop) {
  switch (stop) {
    case RetryPolicy::Stop::none: return "none";
    case RetryPolicy::Stop::attempts_exhausted: return "attempts_exhausted";
    case RetryPolicy::Stop::deadline: return "deadline";
  }
  return "none";
}

namespace {

// Values beyond this (about 31 years) are clamped before conversion so a
// hostile header cannot overflow the integer; the policy caps them anyway.
constexpr double kMaxMillis = 1e12;


std::optional<double> parse_non_negative(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v) || v < 0) {
    return std::nullopt;
  }
  return v;
}

int month_index(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == m) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  const std::string s(trim(text));
  std::tm tm{};
  char wkday[16] = {};
  char month[4] = {};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  char zone[4] = {};
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  if (std::sscanf(s.c_str(), "%15[A-Za-z], %d %3s %d %d:%d:%d %3s", wkday, &day, month, &year, &hh,
                  &mm, &ss, zone) == 8 &&
      std::strcmp(zone, "GMT") == 0) {
    // RFC 850 (Sunday, 06-Nov-94 08:49:37 GMT) is handled below.
  } else if (std::sscanf(s.c_str(), "%15[A-Za-z], %d-%3s-%d %d:%d:%d %3s", wkday, &day, month, &year,
                         &hh, &mm, &ss, zone) == 8 &&
             std::strcmp(zone, "GMT") == 0) {
    if (year < 100) year += year < 70 ? 2000 : 1900;
  } else if (std::sscanf(s.c_str(), "%15s %3s %d %d:%d:%d %d", wkday, month, &day, &hh, &mm, &ss,
                         &year) == 7) {
    // asctime: Sun Nov  6 08:49:37 1994
  } else {
    return std::nullopt;
  }
  const int mon = month_index(month);
  if (mon < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970 || hh < 0 ||
      mm < 0 || ss < 0) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

std::optional<milliseconds> parse_retry_after(std::optional<std::string_view> retry_after_ms,
                                              std::optional<std::string_view> retry_after,
                                              std::chrono::system_clock::time_point now) {
  if (retry_after_ms) {
    if (auto v = parse_non_negative(*retry_after_ms)) {
      return milliseconds(static_cast<std::int64_t>(std::ceil(std::min(*v, kMaxMillis))));
    }
  }
  if (retry_after) {
    if (auto v = parse_non_negative(*retry_after)) {
      return milliseconds(static_cast<std::int64_t>(std::ceil(std::min(*v * 1000.0, kMaxMillis))));
    }
    if (auto when = parse_http_date(*retry_after)) {
      const auto delta = std::chrono::duration_cast<milliseconds>(*when - now);
      return std::max(milliseconds(0), delta);
    }
  }
  return std::nullopt;
}

}  // namespace atlas
