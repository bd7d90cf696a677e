// The exception boundary of every detached coroutine: a bug in one request or one domain's
// event handling is logged and ends that coroutine only; uxld and every other domain carry
// on. Without it, an exception escaping a detached coroutine ends io_context::run().
#pragma once

#include "daemon_log.h"

#include "uxl/asio.h"

#include <exception>
#include <string>
#include <utility>

namespace uxl::daemon {

// co_spawn(executor, task, detached), but an exception that escapes `task` is written to
// `log` with `what` (e.g. "domain 7: reboot") instead of propagating out of run(). `task`
// is an awaitable, or a function object returning one (pass a lambda itself, never a call
// of it: co_spawn keeps the function object, and so its captures, alive while it runs).
template <class Awaitable>
void spawn_guarded(asio::any_io_executor executor, DaemonLog& log, std::string what, Awaitable task)
{
    asio::co_spawn(executor, std::move(task), [&log, what = std::move(what)](std::exception_ptr error, auto&&...) {
        if (!error)
            return;
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            log.write("internal error in " + what + ": " + e.what() + " (uxld carries on)");
        } catch (...) {
            log.write("internal error in " + what + ": unknown exception (uxld carries on)");
        }
    });
}

}  // namespace uxl::daemon
