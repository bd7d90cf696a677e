// Running a device hook script (vif-bridge, block, …) without blocking the event loop.
//
// 1. The script starts with posix_spawn from an argv vector (never a shell), stdin on
//    /dev/null, stdout and stderr on two pipes, in a process group of its own, with a minimal
//    environment (PATH) plus the entries the caller gives.
// 2. The loop reads both pipes asynchronously and waits for the child through a pidfd, so
//    no SIGCHLD handler is involved and no other child of the daemon is reaped by mistake.
// 3. At the timeout (40 s by default, like libxl's LIBXL_HOTPLUG_TIMEOUT) the whole process
//    group gets SIGKILL and the run fails with libxl's words, "killing execution of <script>
//    because of timeout".
// 4. The output (stdout and stderr, interleaved in arrival order) is appended to the hotplug
//    log under a header line naming the time, the script and its arguments.
// See doc/hotplug.md for the calling conventions of the shipped scripts.
#pragma once

#include "uxl/asio.h"
#include "uxl/result.h"

#include <chrono>
#include <string>
#include <vector>

namespace uxl::daemon {

struct HookSpec {
    std::string script;               // path of the executable, run as argv[0]
    std::vector<std::string> args;    // argv[1…], each passed as one word, never interpreted
    std::vector<std::string> env;     // "NAME=value" entries added to the minimal environment
    std::chrono::milliseconds timeout = std::chrono::seconds(40);
    std::string log_file = "/var/log/uxl/hotplug.log";  // empty: no log
};

struct HookOutcome {
    int exit_status = 0;       // always 0 when run_hook succeeds
    std::string stdout_text;   // the script's stdout (the `block` script prints a path here)
    std::string output_tail;   // the last lines of stdout and stderr, for messages
};

// The last `max_lines` lines of `text` (without a trailing newline).
std::string last_lines(std::string_view text, std::size_t max_lines);

// Runs one hook to completion. Errors: invalid_argument for a malformed spec (an env entry
// without a name, a NUL byte), not_found / backend_failed when the script cannot be started,
// backend_failed when it exits non-zero or dies of a signal (the message names the script,
// the status and the last lines of its output), timeout when it was killed at the timeout.
// May be called from any coroutine; `executor` must be single-threaded (the daemon's loop):
// the helper coroutines share the run's state without locks. Never blocks the calling thread except for
// the posix_spawn call itself and the final append to the log file.
asio::awaitable<Result<HookOutcome>> run_hook(asio::any_io_executor executor, HookSpec spec);

}  // namespace uxl::daemon
