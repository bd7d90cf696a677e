// uxl-monitor: the tiny per-domain process that parents one guest (see doc/monitor.md).
//
// It is deliberately self-contained (libc, the standard library and nlohmann only) and
// single-threaded around poll(2), because it is the one process that must never fail.
#pragma once

#include "uxl/monitor_plan.h"

#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace uxl::monitor {

// What the caller asks the monitor to run, read from DIR/plan.json (uxl/monitor_plan.h).
using Plan = MonitorPlan;

// Parses plan.json text. May be called at any time; never throws.
inline std::expected<Plan, std::string> parse_plan(std::string_view json_text)
{
    return parse_monitor_plan(json_text);
}

// A fixed-capacity byte ring keeping the most recent output.
class RingBuffer {
public:
    explicit RingBuffer(std::size_t capacity) : m_data(capacity) {}
    void append(std::string_view bytes);
    // The kept bytes, oldest first.
    std::string contents() const;

private:
    std::vector<char> m_data;
    std::size_t m_start = 0;   // index of the oldest byte
    std::size_t m_size = 0;
};

// Runs the monitor in the current process until `release` (or until the guest has exited
// and `dir` has been removed). `ready_fd` (or -1) receives "ok\n" once the socket listens
// and the guest has been exec'd, or "error: <message>\n" if setup failed; it is closed
// afterwards. Returns the process exit status.
int run(const std::filesystem::path& dir, int ready_fd);

}  // namespace uxl::monitor
