// Shared by the integration test executables (uxld_integration_test.cc and
// devices_integration_test.cc): process and file helpers, running a command with deadlines,
// `uxl console` sessions, the guest image. Both executables define UXL_BINARY and
// UXL_SOURCE_DIR.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace uxl_integration {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kLinux = "/usr/bin/linux";
constexpr const char* kBanner = "uxl example guest: up";
constexpr auto kBootTimeout = 60s;
constexpr auto kCommandTimeout = 60s;

// ---------------------------------------------------------------------------------------------
// Small process and file helpers

inline std::string slurp(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void spit(const std::string& path, const std::string& contents)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << contents;
}

inline size_t count_of(const std::string& hay, const std::string& needle)
{
    size_t n = 0;
    for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1))
        ++n;
    return n;
}

// Polls `pred` every 50 ms until it holds or `timeout` has passed; returns its last value.
inline bool wait_until(const std::function<bool()>& pred, Clock::duration timeout)
{
    auto deadline = Clock::now() + timeout;
    for (;;) {
        if (pred())
            return true;
        if (Clock::now() >= deadline)
            return pred();
        std::this_thread::sleep_for(50ms);
    }
}

struct Proc {
    pid_t pid = 0;
    pid_t ppid = 0;
    std::string cmdline;  // arguments joined by spaces
};

inline std::optional<Proc> read_proc(pid_t pid)
{
    std::string base = "/proc/" + std::to_string(pid);
    std::string cmd = slurp(base + "/cmdline");
    if (cmd.empty())
        return std::nullopt;  // gone, a zombie or a kernel thread
    while (!cmd.empty() && cmd.back() == '\0')
        cmd.pop_back();
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    std::string stat = slurp(base + "/stat");
    auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos)
        return std::nullopt;
    std::istringstream rest(stat.substr(close_paren + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (state == 'Z' || state == 'X')
        return std::nullopt;
    return Proc{pid, ppid, cmd};
}

// Every live process whose command line contains `needle`.
inline std::vector<Proc> procs_mentioning(const std::string& needle)
{
    std::vector<Proc> out;
    DIR* d = ::opendir("/proc");
    if (!d)
        return out;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == ::getpid())
            continue;
        if (auto p = read_proc(static_cast<pid_t>(pid)); p && p->cmdline.find(needle) != std::string::npos)
            out.push_back(*p);
    }
    ::closedir(d);
    return out;
}

inline std::string describe(const std::vector<Proc>& procs)
{
    std::string s;
    for (const auto& p : procs)
        s += "  " + std::to_string(p.pid) + " (ppid " + std::to_string(p.ppid) + "): " + p.cmdline + "\n";
    return s;
}

// Why a guest shows no banner, most telling part first (CI keeps only the start of a failing
// test's output): the last lines of its console log, then every process under ROOT with its
// state and where in the host kernel it waits.
inline std::string no_banner_report(const std::string& name, const std::string& log, const std::string& root,
                                    size_t lines = 30)
{
    size_t start = log.size();
    for (size_t n = 0; n <= lines && start > 0; ) {
        start = log.rfind('\n', start - 1);
        if (start == std::string::npos) {
            start = 0;
            break;
        }
        ++n;
    }
    std::string s = "no banner from " + name + "; the last " + std::to_string(lines) + " lines of its console log (" +
                    std::to_string(log.size()) + " bytes):\n" + log.substr(start) + "\n--- processes under " + root + ":\n";
    for (const auto& p : procs_mentioning(root)) {
        std::string base = "/proc/" + std::to_string(p.pid);
        std::string stat = slurp(base + "/stat");
        auto close_paren = stat.rfind(')');
        char state = close_paren == std::string::npos || close_paren + 2 >= stat.size() ? '?' : stat[close_paren + 2];
        std::string wchan = slurp(base + "/wchan");
        s += "  " + std::to_string(p.pid) + " (ppid " + std::to_string(p.ppid) + ") " + state + " wchan=" +
             (wchan.empty() ? "-" : wchan) + ": " + p.cmdline.substr(0, 160) + "\n";
    }
    return s;
}

inline std::vector<char*> c_strings(std::vector<std::string>& v)
{
    std::vector<char*> out;
    for (auto& s : v)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

inline std::vector<std::string> environment_with(const std::vector<std::string>& extra)
{
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string entry(*e);
        bool overridden = false;
        for (const auto& x : extra)
            if (entry.substr(0, entry.find('=') + 1) == x.substr(0, x.find('=') + 1))
                overridden = true;
        if (!overridden)
            env.push_back(entry);
    }
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

struct RunResult {
    int exit_code = -1;  // 128+N when killed by signal N; -2 on timeout
    std::string out;
    std::string err;
    bool timed_out = false;
};

// Runs argv (argv[0] a path) with `input` on stdin, collecting both streams; kills it at the
// deadline. All pipes are close-on-exec so nothing leaks into uxld, monitors or guests.
inline RunResult run(std::vector<std::string> argv, const std::vector<std::string>& env_extra,
              const std::string& input = "", Clock::duration timeout = kCommandTimeout)
{
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) || ::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC))
        throw std::runtime_error("pipe2 failed");
    auto env = environment_with(env_extra);
    auto cargv = c_strings(argv);
    auto cenv = c_strings(env);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        ::execve(cargv[0], cargv.data(), cenv.data());
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    ::signal(SIGPIPE, SIG_IGN);
    if (!input.empty())
        (void)!::write(in_pipe[1], input.data(), input.size());
    ::close(in_pipe[1]);

    RunResult r;
    auto deadline = Clock::now() + timeout;
    int fds[2] = {out_pipe[0], err_pipe[0]};
    std::string* bufs[2] = {&r.out, &r.err};
    int open_count = 2;
    while (open_count > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            r.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
        int n = ::poll(p, 2, static_cast<int>(std::min<long long>(left, 200)));
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t got = ::read(fds[i], buf, sizeof buf);
            if (got > 0) {
                bufs[i]->append(buf, static_cast<size_t>(got));
            } else {
                ::close(fds[i]);
                fds[i] = -1;
                p[i].fd = -1;
                --open_count;
            }
        }
    }
    for (int fd : fds)
        if (fd >= 0)
            ::close(fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = r.timed_out ? -2 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

inline std::string show(const RunResult& r)
{
    return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") +
           "\n--- stdout:\n" + r.out + "\n--- stderr:\n" + r.err;
}

// ---------------------------------------------------------------------------------------------
// The guests' initramfs: $UXL_TEST_INITRAMFS when it exists (as scripts/test provides, which
// saves the 2-3 s build in every test process ctest starts), else built once per test
// executable with share/examples/build-guest.sh into a temporary directory.

struct GuestImage {
    std::string path;   // the initramfs to boot
    std::string error;  // why there is none
    std::string dir;    // the temporary directory it was built in, if any

    void prepare(const std::string& temp_prefix)
    {
        if (const char* prebuilt = std::getenv("UXL_TEST_INITRAMFS"); prebuilt && fs::exists(prebuilt)) {
            path = prebuilt;
            return;
        }
        std::string tmpl = "/tmp/" + temp_prefix + "-img.XXXXXX";
        if (!::mkdtemp(tmpl.data())) {
            error = "mkdtemp failed";
            return;
        }
        dir = tmpl;
        ::chmod(dir.c_str(), 0755);  // guests run unprivileged: they read it themselves
        path = dir + "/initramfs.cpio.gz";
        RunResult r = run({"/bin/sh", std::string(UXL_SOURCE_DIR) + "/share/examples/build-guest.sh", path}, {}, "",
                          120s);
        if (r.exit_code != 0 || !fs::exists(path))
            error = "build-guest.sh failed: " + show(r);
    }

    void remove()
    {
        if (!dir.empty()) {
            std::error_code ec;
            fs::remove_all(dir, ec);
            dir.clear();
        }
    }
};

// ---------------------------------------------------------------------------------------------
// `uxl list` rows, and the per-domain directories of a daemon root.

struct ListRow {
    std::string name;
    int domid = -1;
    std::string state;
};

// The rows of `uxl list` output (the header skipped).
inline std::vector<ListRow> parse_list_rows(const std::string& list_output)
{
    std::vector<ListRow> rows;
    std::istringstream in(list_output);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream f(line);
        ListRow row;
        std::string mem, vcpus;
        if (f >> row.name >> row.domid >> mem >> vcpus >> row.state)
            rows.push_back(row);
    }
    return rows;
}

// The names in ROOT/d: one directory per domain the daemon holds.
inline std::vector<std::string> domain_dirs_of(const std::string& root)
{
    std::vector<std::string> out;
    std::error_code ec;
    if (fs::exists(root + "/d"))
        for (const auto& e : fs::directory_iterator(root + "/d", ec))
            out.push_back(e.path().filename().string());
    return out;
}

// ---------------------------------------------------------------------------------------------
// One uxld in the foreground with `--root ROOT` (behind `prefix`, e.g. `ip netns exec NS`),
// stdin from /dev/null, its output appended to ROOT/uxld.stderr.

class DaemonProcess {
public:
    DaemonProcess() = default;
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;
    ~DaemonProcess() { stop(SIGKILL); }

    // Starts it and waits until its socket accepts connections. Returns "" or what went
    // wrong, with the daemon's output.
    std::string start(const std::string& binary, const std::string& root, const std::string& socket,
                      std::vector<std::string> prefix = {})
    {
        m_socket = socket;
        const std::string log = root + "/uxld.stderr";
        std::vector<std::string> argv = std::move(prefix);
        for (const std::string& word : {binary, std::string("--foreground"), std::string("--root"), root})
            argv.push_back(word);
        auto cargv = c_strings(argv);
        m_pid = ::fork();
        if (m_pid == 0) {
            int null_fd = ::open("/dev/null", O_RDONLY);
            int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(null_fd, 0);
            ::dup2(log_fd, 1);
            ::dup2(log_fd, 2);
            ::execv(cargv[0], cargv.data());
            ::_exit(127);
        }
        if (m_pid < 0)
            return std::string("fork: ") + std::strerror(errno);
        bool up = wait_until([&] { return !alive() || connects(); }, 20s);
        if (!up || !alive())
            return "uxld did not come up; its output:\n" + slurp(log);
        return {};
    }

    bool alive()
    {
        if (m_pid <= 0)
            return false;
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            return false;
        }
        return true;
    }

    // Sends `sig` and waits up to 15 s for the exit; kills it after that. Returns false
    // when it had to be killed.
    bool stop(int sig)
    {
        if (m_pid <= 0)
            return true;
        ::kill(m_pid, sig);
        if (wait_until([&] { return !alive(); }, 15s))
            return true;
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
        m_pid = -1;
        return false;
    }

    // A connection to the control socket, or -1.
    int connect() const
    {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, m_socket.c_str(), sizeof addr.sun_path - 1);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }

    bool connects() const
    {
        int fd = connect();
        if (fd < 0)
            return false;
        ::close(fd);
        return true;
    }

    pid_t pid() const { return m_pid; }

private:
    pid_t m_pid = -1;
    std::string m_socket;
};

// ---------------------------------------------------------------------------------------------
// `uxl console NAME` as a child process: read its output with deadlines, type into it.

class ConsoleSession {
public:
    ConsoleSession(const std::string& name, const std::vector<std::string>& env_extra)
    {
        int in_pipe[2], out_pipe[2];
        if (::pipe2(in_pipe, O_CLOEXEC) || ::pipe2(out_pipe, O_CLOEXEC))
            throw std::runtime_error("pipe2 failed");
        std::vector<std::string> argv{UXL_BINARY, "console", name};
        auto env = environment_with(env_extra);
        auto cargv = c_strings(argv);
        auto cenv = c_strings(env);
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(in_pipe[0], 0);
            ::dup2(out_pipe[1], 1);
            ::dup2(out_pipe[1], 2);
            ::execve(cargv[0], cargv.data(), cenv.data());
            ::_exit(127);
        }
        ::close(in_pipe[0]);
        ::close(out_pipe[1]);
        m_in = in_pipe[1];
        m_out = out_pipe[0];
        ::signal(SIGPIPE, SIG_IGN);
    }

    ~ConsoleSession()
    {
        if (m_in >= 0)
            ::close(m_in);
        if (m_out >= 0)
            ::close(m_out);
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }

    ConsoleSession(const ConsoleSession&) = delete;
    ConsoleSession& operator=(const ConsoleSession&) = delete;

    // Waits until the output (from the start of the session) holds `needle` `times` times.
    bool wait_for(const std::string& needle, Clock::duration timeout, size_t times = 1)
    {
        auto deadline = Clock::now() + timeout;
        for (;;) {
            if (count_of(m_buf, needle) >= times)
                return true;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left <= 0 || m_out < 0)
                return false;
            pollfd p{m_out, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(std::min<long long>(left, 200))) > 0) {
                char buf[4096];
                ssize_t got = ::read(m_out, buf, sizeof buf);
                if (got > 0) {
                    m_buf.append(buf, static_cast<size_t>(got));
                } else {
                    ::close(m_out);
                    m_out = -1;
                }
            }
        }
    }

    bool send(const std::string& text)
    {
        return ::write(m_in, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    }

    const std::string& output() const { return m_buf; }

private:
    pid_t m_pid = -1;
    int m_in = -1;
    int m_out = -1;
    std::string m_buf;
};

}  // namespace uxl_integration
