// The one project header that includes Boost.Asio. Include Asio only through this file.
//
// Why a header of its own: Boost 1.74's Asio uses std::exchange without including
// <utility>, which g++ 12's libstdc++ no longer pulls in transitively, so <utility> must come
// first. Keeping the Asio includes in one place also keeps them out of widely included
// headers (they are heavy on a 2-core machine; STYLE.md "Build hygiene").
//
// What is here is what the daemon's event loop and the backend controllers use: one
// io_context, C++20 coroutines (awaitable, co_spawn, use_awaitable, this_coro), AF_UNIX
// datagram sockets, steady timers and post. Boost 1.74 has no experimental awaitable
// operators (`||`), so timeouts are a timer whose handler cancels the socket.
#pragma once

#include <utility>  // must precede Asio (see above)

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace uxl {

namespace asio = boost::asio;

// Short names for the coroutine vocabulary used across the daemon and the controllers.
template <class T>
using awaitable = asio::awaitable<T>;

}  // namespace uxl
