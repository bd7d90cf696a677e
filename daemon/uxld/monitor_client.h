// uxld's side of the per-domain monitor (doc/monitor.md): starting one, and its socket's
// line commands (status, wait, kill, signal, console, release).
#pragma once

#include "uxl/asio.h"
#include "uxl/result.h"

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>

namespace uxl::daemon {

struct MonitorStatus {
    pid_t monitor_pid = 0;
    pid_t guest_pid = 0;
    bool running = false;
    std::optional<int> exit_code;  // the guest's exit status, once it exited normally
    std::optional<int> signal;     // the signal that killed it
    double started_at = 0;
};

Result<MonitorStatus> parse_monitor_status(std::string_view line);

// Starts `binary --dir dir` and waits until it reports ready (the monitor daemonizes and
// outlives us). Blocking: call it from the thread pool, never on the event loop.
Result<void> spawn_monitor(const std::string& binary, const std::string& dir);

std::string monitor_socket(const std::string& dir);

// How long uxld waits for the monitor to answer a command (status, kill, release): it
// answers at once unless it is gone.
constexpr std::chrono::seconds k_monitor_timeout{5};

// One command, one reply line. `timeout` 0 means none (for `wait`).
asio::awaitable<Result<std::string>> monitor_command(std::string dir, std::string command,
                                                     std::chrono::milliseconds timeout);
asio::awaitable<Result<MonitorStatus>> monitor_status(std::string dir);
asio::awaitable<Result<MonitorStatus>> monitor_wait(std::string dir);

// A socket streaming the guest console (recent output first), both ways.
asio::awaitable<Result<asio::local::stream_protocol::socket>> monitor_console(std::string dir);

}  // namespace uxl::daemon
