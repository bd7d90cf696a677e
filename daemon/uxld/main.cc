// uxld: the domain daemon (the xencommons role).
//
//   1. read options; choose system or session paths (installed or build-tree settings,
//      scripts and monitor: paths.h), or just print them (--print-paths);
//   2. daemonize unless --foreground (guests never depend on this process: each has its
//      own monitor, in its own session);
//   3. re-adopt the domains of the state files;
//   4. serve the control socket until SIGTERM/SIGINT; leave running guests alone on exit.
#include "control_server.h"
#include "daemon_log.h"
#include "domain_manager.h"
#include "guarded.h"
#include "paths.h"

#include "uxl/asio.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace uxl;
using namespace uxl::daemon;

namespace {

struct Options {
    bool foreground = false;
    bool print_paths = false;
    std::string root;
    std::string pidfile;
};

void usage()
{
    std::fputs("Usage: uxld [--foreground] [--root DIR] [--pidfile FILE]\n"
               "       uxld [--root DIR] --print-paths\n\n"
               "The uxl domain daemon. As root it uses /run/uxl, /var/lib/uxl and /var/log/uxl;\n"
               "as a normal user $XDG_RUNTIME_DIR/uxl and ~/.local/share/uxl; --root DIR puts\n"
               "everything under DIR. --print-paths prints the files and directories it would use\n"
               "(settings, hook scripts, monitor, socket, state, logs) and exits.\n",
               stdout);
}

// systemd's Type=notify: tell the service manager we are ready, when it asked.
void notify_ready()
{
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return;
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    if (addr.sun_path[0] == '@')
        addr.sun_path[0] = '\0';
    const char msg[] = "READY=1";
    ::sendto(fd, msg, sizeof msg - 1, 0, reinterpret_cast<sockaddr*>(&addr),
             static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + std::strlen(path)));
    ::close(fd);
}

bool daemonize(std::string& error)
{
    pid_t pid = ::fork();
    if (pid < 0) {
        error = std::strerror(errno);
        return false;
    }
    if (pid > 0)
        ::_exit(0);
    ::setsid();
    pid = ::fork();
    if (pid < 0) {
        error = std::strerror(errno);
        return false;
    }
    if (pid > 0)
        ::_exit(0);
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
        ::dup2(null_fd, 0);
        ::dup2(null_fd, 1);
        ::dup2(null_fd, 2);
        if (null_fd > 2)
            ::close(null_fd);
    }
    return true;
}

// Says at start which settings and hook scripts this uxld uses, and warns when the scripts
// are missing: otherwise the first vif would be the first to tell.
void log_settings_paths(const DaemonPaths& paths, DaemonLog& log)
{
    struct stat st {};
    const bool have_config = ::stat(paths.config_file.c_str(), &st) == 0;
    const bool have_scripts = ::stat(paths.scripts_dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    log.write(std::string(paths.layout == Layout::build_tree ? "running from the build tree: " : "") +
              "settings " + paths.config_file + (have_config ? "" : " (absent: xl's defaults)") +
              ", hook scripts " + paths.scripts_dir + ", monitor " + paths.monitor_binary);
    if (!have_scripts)
        log.write("warning: the hook scripts directory " + paths.scripts_dir +
                  " does not exist; vifs and disks with script= fail until vif-bridge, vif-route"
                  " and block (share/scripts/ in the source tree) are installed there, as"
                  " `cmake --install BUILD_DIR' does");
}

}  // namespace

// uxld holds about three descriptors per running domain and two per shut-down one (the
// monitor's socket, the controller's), so a thousand domains need more than the usual soft
// limit of 1,024: take the whole hard limit. Returns the soft limit now in force.
rlim_t raise_file_limit()
{
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &limit);
        (void)::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

int main(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--foreground" || arg == "-F") {
            options.foreground = true;
        } else if (arg == "--root" && i + 1 < argc) {
            options.root = argv[++i];
        } else if (arg == "--pidfile" && i + 1 < argc) {
            options.pidfile = argv[++i];
        } else if (arg == "--print-paths") {
            options.print_paths = true;
        } else if (arg == "--help" || arg == "-h") {
            usage();
            return 0;
        } else {
            std::fprintf(stderr, "uxld: unknown option %s\n", arg.c_str());
            usage();
            return 2;
        }
    }

    const rlim_t file_limit = raise_file_limit();
    DaemonPaths paths = default_paths(options.root);
    if (options.print_paths) {
        std::fputs(describe_paths(paths).c_str(), stdout);
        return 0;
    }
    std::string error;
    if (!create_directories(paths, error)) {
        std::fprintf(stderr, "uxld: %s\n", error.c_str());
        return 1;
    }

    DaemonLog log(paths.log_file());
    log.set_echo(options.foreground);
    ::signal(SIGPIPE, SIG_IGN);

    // Refuse early, before daemonizing, when another daemon owns the socket.
    {
        asio::io_context probe_io;
        asio::local::stream_protocol::socket probe(probe_io);
        boost::system::error_code ec;
        probe.connect(asio::local::stream_protocol::endpoint(paths.socket), ec);
        if (!ec) {
            std::fprintf(stderr, "uxld: another uxld is already running on %s\n", paths.socket.c_str());
            return 1;
        }
    }
    // Daemonize before any thread exists: fork() keeps only the calling thread.
    if (!options.foreground && !daemonize(error)) {
        std::fprintf(stderr, "uxld: cannot daemonize: %s\n", error.c_str());
        return 1;
    }

    asio::io_context io;
    asio::thread_pool pool(2);
    DomainManager manager(io.get_executor(), pool, paths, log);
    ControlServer server(io.get_executor(), manager, log, paths.system_mode);

    if (!options.pidfile.empty()) {
        const std::string tmp = options.pidfile + ".tmp";
        std::ofstream(tmp) << ::getpid() << "\n";
        std::rename(tmp.c_str(), options.pidfile.c_str());
    }

    log.write("uxld " UXL_VERSION " starting (" + std::string(paths.system_mode ? "system" : "session") +
              " mode, socket " + paths.socket + ", " + std::to_string(file_limit) + " file descriptors)");
    log_settings_paths(paths, log);
    manager.announce_backends();

    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code&, int signo) {
        log.write("uxld stopping on signal " + std::to_string(signo) + "; running domains keep running");
        server.close();
        io.stop();
    });

    spawn_guarded(
        io.get_executor(), log, "start-up",
        [&]() -> asio::awaitable<void> {
            co_await manager.adopt_existing();
            if (auto listening = server.listen(paths.socket); !listening) {
                log.write("uxld: " + listening.error().message);
                std::fprintf(stderr, "uxld: %s\n", listening.error().message.c_str());
                io.stop();
                co_return;
            }
            log.write("uxld ready");
            notify_ready();
        });

    // The last boundary: every coroutine is spawned guarded (guarded.h), but should an
    // exception still reach the loop, it is logged and the loop goes on serving.
    for (;;) {
        try {
            io.run();
            break;
        } catch (const std::exception& e) {
            log.write(std::string("internal error escaped to the event loop: ") + e.what() + " (uxld carries on)");
        }
    }
    pool.stop();
    pool.join();
    manager.release_cgroups();
    if (!options.pidfile.empty())
        ::unlink(options.pidfile.c_str());
    return 0;
}
