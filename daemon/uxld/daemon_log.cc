#include "daemon_log.h"

#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace uxl::daemon {

void DaemonLog::write(std::string_view line)
{
    char stamp[32];
    std::time_t now = std::time(nullptr);
    std::tm tm {};
    ::gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    std::string text = std::string(stamp) + " " + std::string(line) + "\n";
    int fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd >= 0) {
        ssize_t ignored = ::write(fd, text.data(), text.size());
        (void)ignored;
        ::close(fd);
    }
    if (m_echo)
        std::fputs(text.c_str(), stderr);
}

std::string DaemonLog::tail(std::size_t max_bytes) const
{
    std::ifstream in(m_path, std::ios::binary);
    if (!in)
        return {};
    in.seekg(0, std::ios::end);
    std::streamoff size = in.tellg();
    std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                               ? size - static_cast<std::streamoff>(max_bytes)
                               : 0;
    in.seekg(start);
    std::ostringstream s;
    s << in.rdbuf();
    std::string text = s.str();
    if (start > 0) {
        size_t nl = text.find('\n');
        if (nl != std::string::npos)
            text.erase(0, nl + 1);
    }
    return text;
}

void DaemonLog::clear()
{
    int fd = ::open(m_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd >= 0)
        ::close(fd);
}

}  // namespace uxl::daemon
