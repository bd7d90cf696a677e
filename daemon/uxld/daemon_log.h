// The daemon's log (`uxl dmesg`): timestamped lines appended to uxld.log.
#pragma once

#include <string>
#include <string_view>

namespace uxl::daemon {

class DaemonLog {
public:
    explicit DaemonLog(std::string path) : m_path(std::move(path)) {}

    // Appends one line; also to stderr when running in the foreground.
    void write(std::string_view line);
    // The last `max_bytes` of the log.
    std::string tail(std::size_t max_bytes = 64 * 1024) const;
    void clear();

    void set_echo(bool echo) { m_echo = echo; }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
    bool m_echo = false;
};

}  // namespace uxl::daemon
