// uxl-monitor --dir DIR [--foreground]
//
// 1. Check the arguments and make DIR absolute (the daemonized monitor lives in "/").
// 2. Without --foreground: fork, setsid, fork again, so the monitor is in its own session,
//    is not a session leader (it can never get a controlling terminal) and survives its
//    caller. The caller waits on a pipe until the monitor says "ok" (socket listening, guest
//    exec'd) or reports the setup error, and exits 0 or 1 accordingly.
// 3. The monitor itself: uxl::monitor::run().
#include "monitor.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace {

struct Options {
    std::filesystem::path dir;
    bool foreground = false;
};

int usage() {
    std::fputs("usage: uxl-monitor --dir DIR [--foreground]\n", stderr);
    return 2;
}

// Fds 0-2 must be open, or the guest's console socket could land on one of them.
void ensure_standard_fds() {
    for (;;) {
        int fd = ::open("/dev/null", O_RDWR);
        if (fd < 0 || fd > 2) {
            if (fd > 2) ::close(fd);
            return;
        }
    }
}

void redirect_stdio(const std::filesystem::path& dir) {
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
        ::dup2(null_fd, 0);
        ::dup2(null_fd, 1);
        ::close(null_fd);
    }
    int log_fd = ::open((dir / "monitor.log").c_str(), O_WRONLY | O_APPEND | O_CREAT, 0640);
    if (log_fd >= 0) {
        ::dup2(log_fd, 2);
        ::close(log_fd);
    }
}

int daemonize_and_run(const std::filesystem::path& dir) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) {
        std::fprintf(stderr, "uxl-monitor: pipe: %s\n", std::strerror(errno));
        return 1;
    }
    pid_t child = ::fork();
    if (child < 0) {
        std::fprintf(stderr, "uxl-monitor: fork: %s\n", std::strerror(errno));
        return 1;
    }
    if (child == 0) {
        ::close(ready[0]);
        ::setsid();
        pid_t monitor = ::fork();
        if (monitor != 0) ::_exit(monitor < 0 ? 1 : 0);
        (void)!::chdir("/");
        redirect_stdio(dir);
        // Fds inherited from the caller (a pipe it reads to EOF, say) must not be held open.
        if (ready[1] > 3) ::close_range(3, ready[1] - 1, 0);
        ::close_range(ready[1] + 1, ~0U, 0);
        ::_exit(uxl::monitor::run(dir, ready[1]));
    }
    ::close(ready[1]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    std::string reply;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(ready[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        reply.append(buf, static_cast<std::size_t>(n));
    }
    if (reply == "ok\n") return 0;
    if (reply.empty()) reply = "error: the monitor exited during setup\n";
    std::fprintf(stderr, "uxl-monitor: %s", reply.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--dir" && i + 1 < argc) options.dir = argv[++i];
        else if (arg == "--foreground") options.foreground = true;
        else return usage();
    }
    if (options.dir.empty()) return usage();
    std::error_code ec;
    options.dir = std::filesystem::absolute(options.dir, ec);
    if (ec || !std::filesystem::is_directory(options.dir, ec)) {
        std::fprintf(stderr, "uxl-monitor: %s is not a directory\n", options.dir.c_str());
        return 1;
    }
    ensure_standard_fds();
    if (options.foreground) return uxl::monitor::run(options.dir, -1);
    return daemonize_and_run(options.dir);
}
