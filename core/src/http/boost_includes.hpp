#pragma once
// The Boost.Asio and Boost.Beast headers the server uses, included in one
// place. GCC 12 at -O2 reports -Wnull-dereference inside Asio 1.74's
// scheduler (scheduler.ipp, a false positive in a system header that inlining
// exposes); the pragma covers exactly these headers so -Werror builds pass and
// the warning stays on for Atlas's own code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop
