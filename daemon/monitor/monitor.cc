// The per-domain monitor (protocol: doc/monitor.md).
//
// 1. Setup: ignore terminal signals, take SIGCHLD through a signalfd, become a child
//    subreaper, read plan.json, open the console log, write monitor.pid, listen on
//    monitor.sock, then fork and exec the guest with its console on a socketpair. An exec
//    failure comes back through a CLOEXEC pipe. Success or the first error is reported on
//    the caller's readiness pipe.
// 2. Loop (poll(2), one thread): guest console bytes go to the log, the ring buffer and every
//    console client; client bytes in console mode go to the guest; command lines get one
//    reply each. Every socket is non-blocking and every queue is bounded, so a stuck client
//    is dropped rather than stalling the guest's console.
// 3. On SIGCHLD: when the guest exits, everything left of its tree is killed while the guest
//    is still a zombie (so its pid and pgid cannot have been reused), then it is reaped and
//    the status kept. Orphans reparented to us are reaped too.
// 4. The monitor exits on `release` after the guest exited, or when the guest has exited and
//    DIR is gone. SIGTERM, SIGINT and SIGHUP are ignored.
#include "monitor.h"

#include "confinement.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <set>

namespace uxl::monitor {

namespace {

constexpr std::size_t max_line_bytes = 4096;
constexpr std::size_t max_client_queue_bytes = 1 << 20;  // a console client this far behind is dropped
constexpr std::size_t max_guest_input_bytes = 64 << 10;  // input beyond this waits in the client's socket
constexpr std::size_t max_clients = 64;
constexpr int idle_poll_ms = 1000;

using Status = std::expected<void, std::string>;

std::string errno_text(std::string_view what, int err = errno) {
    return std::string(what) + ": " + std::strerror(err);
}

// Closes a file descriptor on scope exit unless released.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            m_fd = std::exchange(other.m_fd, -1);
        }
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }
    void reset() {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = -1;
    }

private:
    int m_fd = -1;
};

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Writes `path` atomically: a temporary file, fsync, rename, fsync of the directory.
Status write_file_atomically(const std::filesystem::path& path, std::string_view content) {
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return std::unexpected(errno_text("cannot create " + tmp.string()));
    if (!write_all(fd.get(), content) || ::fsync(fd.get()) != 0)
        return std::unexpected(errno_text("cannot write " + tmp.string()));
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return std::unexpected(errno_text("cannot rename " + tmp.string()));
    Fd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) ::fsync(dir.get());
    return {};
}

// The whole file, read with plain read(2): no iostreams in the monitor, whose idle memory
// is mostly the code its start-up touched.
std::expected<std::string, std::string> read_file(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::unexpected(errno_text("cannot read " + path));
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::unexpected(errno_text("cannot read " + path));
        if (n == 0) return text;
        text.append(buffer, static_cast<size_t>(n));
    }
}

// Every process below `root`, read from /proc (parent links only; no ptrace, no cgroups).
std::vector<pid_t> descendants_of(pid_t root) {
    std::vector<std::pair<pid_t, pid_t>> links;  // (pid, ppid)
    std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
    if (!proc) return {};
    while (dirent* entry = ::readdir(proc.get())) {
        pid_t pid = 0;
        const char* name = entry->d_name;
        auto [end, ec] = std::from_chars(name, name + std::strlen(name), pid);
        if (ec != std::errc() || *end != '\0') continue;
        auto stat = read_file("/proc/" + std::string(name) + "/stat");
        if (!stat) continue;
        // The command name may hold spaces and parentheses: fields resume after the last
        // ')', as " <state> <ppid> ...".
        auto paren = stat->rfind(')');
        if (paren == std::string::npos || paren + 4 >= stat->size()) continue;
        const char* first = stat->data() + paren + 4;
        pid_t ppid = 0;
        if (std::from_chars(first, stat->data() + stat->size(), ppid).ec == std::errc())
            links.emplace_back(pid, ppid);
    }
    std::vector<pid_t> found;
    std::set<pid_t> frontier{root};
    while (!frontier.empty()) {
        std::set<pid_t> next;
        for (auto [pid, ppid] : links)
            if (frontier.contains(ppid)) next.insert(pid);
        found.insert(found.end(), next.begin(), next.end());
        frontier = std::move(next);
    }
    return found;
}

enum class ClientMode { command, console };

struct Client {
    Fd fd;
    ClientMode mode = ClientMode::command;
    bool waiting = false;            // a `wait` is pending until the guest exits
    bool close_after_flush = false;
    bool dead = false;
    std::string in;
    std::string out;
};

class Monitor {
public:
    explicit Monitor(std::filesystem::path dir) : m_dir(std::move(dir)) {}

    Status setup();
    int loop();

private:
    Status take_signals();
    Status load_plan();
    Status open_console_log();
    Status listen_socket();
    Status start_guest();

    void handle_signals();
    void guest_exited(int wait_status);
    void accept_clients();
    void read_console();
    void write_console();
    void read_client(Client& client);
    void process_lines(Client& client);
    void write_client(Client& client);
    void handle_line(Client& client, std::string_view line);
    void queue(Client& client, std::string_view bytes);
    void kill_guest_tree();
    std::string status_line() const;
    bool guest_running() const { return m_guest_pid > 0 && !m_exited; }
    void remove_files();

    std::filesystem::path m_dir;
    Plan m_plan;
    std::unique_ptr<RingBuffer> m_ring;
    Fd m_signal_fd;
    Fd m_listen_fd;
    Fd m_console_fd;   // our end of the guest's console socketpair
    Fd m_log_fd;
    std::vector<std::unique_ptr<Client>> m_clients;
    std::string m_to_guest;
    pid_t m_guest_pid = -1;
    time_t m_started_at = 0;
    bool m_exited = false;
    int m_exit_code = -1;
    int m_exit_signal = -1;
    bool m_released = false;
};

Status Monitor::setup() {
    if (auto s = take_signals(); !s) return s;
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return std::unexpected(errno_text("PR_SET_CHILD_SUBREAPER"));
    if (auto s = load_plan(); !s) return s;
    if (auto s = open_console_log(); !s) return s;
    if (auto s = write_file_atomically(m_dir / "monitor.pid", std::to_string(::getpid()) + "\n"); !s) return s;
    if (auto s = listen_socket(); !s) {
        remove_files();
        return s;
    }
    if (auto s = start_guest(); !s) {
        remove_files();
        return s;
    }
    // An unprivileged guest's monitor keeps what it needs to kill the guest (another uid)
    // and nothing more; reaping, the console and its own files need no capability.
    if (m_plan.uid >= 0) {
        if (auto s = keep_only_cap_kill(); !s) {
            kill_guest_tree();
            return s;
        }
    }
    return {};
}


Status Monitor::take_signals() {
    // The monitor must not die with a terminal or an impatient caller; only SIGKILL stops it.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU})
        ::sigaction(sig, &ignore, nullptr);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return std::unexpected(errno_text("sigprocmask"));
    m_signal_fd = Fd(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!m_signal_fd) return std::unexpected(errno_text("signalfd"));
    return {};
}

Status Monitor::load_plan() {
    auto path = m_dir / "plan.json";
    auto text = read_file(path.string());
    if (!text) return std::unexpected(text.error());
    auto plan = parse_plan(*text);
    if (!plan) return std::unexpected(path.string() + ": " + plan.error());
    m_plan = std::move(*plan);
    m_ring = std::make_unique<RingBuffer>(m_plan.ring_bytes);
    return {};
}

Status Monitor::open_console_log() {
    const char* path = m_plan.console_log.empty() ? "/dev/null" : m_plan.console_log.c_str();
    m_log_fd = Fd(::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!m_log_fd) return std::unexpected(errno_text(std::string("cannot open console log ") + path));
    return {};
}

Status Monitor::listen_socket() {
    std::string path = (m_dir / "monitor.sock").string();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return std::unexpected("socket path too long (" + std::to_string(path.size()) + " bytes): " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    m_listen_fd = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!m_listen_fd) return std::unexpected(errno_text("socket"));
    // A leftover socket of a dead monitor is replaced; a live one is never stolen.
    {
        Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (probe && ::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
            return std::unexpected("another monitor is already listening on " + path);
    }
    ::unlink(path.c_str());
    mode_t old_umask = ::umask(077);
    int rc = ::bind(m_listen_fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int err = errno;
    ::umask(old_umask);
    if (rc != 0) return std::unexpected(errno_text("cannot bind " + path, err));
    ::chmod(path.c_str(), 0600);
    if (::listen(m_listen_fd.get(), 16) != 0) return std::unexpected(errno_text("listen"));
    return {};
}

Status Monitor::start_guest() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return std::unexpected(errno_text("socketpair"));
    m_console_fd = Fd(pair[0]);
    Fd guest_end(pair[1]);
    int exec_pipe[2];
    if (::pipe2(exec_pipe, O_CLOEXEC) != 0) return std::unexpected(errno_text("pipe"));
    Fd exec_read(exec_pipe[0]);
    Fd exec_write(exec_pipe[1]);

    // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
    std::vector<char*> argv, envp;
    for (auto& a : m_plan.argv) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : m_plan.env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const char* workdir = m_plan.working_dir.c_str();
    const bool no_aslr = m_plan.disable_aslr;
    const GuestConfinement confinement = prepare_confinement(m_plan);
    const int console = guest_end.get();
    const int log = m_log_fd.get();
    const int report = exec_write.get();

    pid_t pid = ::fork();
    if (pid < 0) return std::unexpected(errno_text("fork"));
    if (pid == 0) {
        // Stage numbers tell the parent which step failed.
        auto fail = [report](int stage) {
            int msg[2] = {stage, errno};
            (void)!::write(report, msg, sizeof msg);
            ::_exit(127);
        };
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::setsid();  // the guest's pgid is its pid (UML would do it itself)
        // Its cgroups first, while it may still join them; then, for a guest with a uid of
        // its own, its tun, ids and no capabilities (confinement.h).
        if (int stage = confine_guest(confinement); stage != 0) fail(stage);
        if (no_aslr && ::personality(ADDR_NO_RANDOMIZE) == -1) fail(1);
        if (::dup2(console, 0) < 0 || ::dup2(console, 1) < 0 || ::dup2(log, 2) < 0) fail(2);
        // report > 2 because fds 0-2 were open before the pipe was made.
        ::close_range(3, report - 1, 0);
        ::close_range(report + 1, ~0U, 0);
        if (::chdir(workdir) != 0) fail(3);
        ::execve(argv[0], argv.data(), envp.data());
        fail(4);
    }

    m_guest_pid = pid;
    m_started_at = ::time(nullptr);
    exec_write.reset();
    guest_end.reset();
    int msg[2];
    ssize_t n;
    do n = ::read(exec_read.get(), msg, sizeof msg);
    while (n < 0 && errno == EINTR);
    if (n == 0) {
        ::fcntl(m_console_fd.get(), F_SETFL, ::fcntl(m_console_fd.get(), F_GETFL) | O_NONBLOCK);
        return {};
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    m_guest_pid = -1;
    if (n != sizeof msg) return std::unexpected("the guest process failed before exec");
    if (msg[0] >= k_stage_cgroup &&
        static_cast<std::size_t>(msg[0] - k_stage_cgroup) < m_plan.cgroup_procs.size())
        return std::unexpected(errno_text("cannot move the guest into its cgroup (" +
                                              m_plan.cgroup_procs[static_cast<std::size_t>(msg[0] - k_stage_cgroup)] + ")",
                                          msg[1]));
    std::string what = msg[0] == 1   ? std::string("cannot disable ASLR")
                       : msg[0] == 2 ? std::string("cannot set up the guest's console")
                       : msg[0] == 3 ? "cannot change to working directory " + m_plan.working_dir
                       : msg[0] == k_stage_ids ? "cannot run the guest as uid " + std::to_string(m_plan.uid)
                       : msg[0] == k_stage_tun ? std::string("cannot give the guest a /dev/net/tun of its own")
                                     : "cannot execute " + m_plan.argv[0];
    return std::unexpected(errno_text(what, msg[1]));
}

int Monitor::loop() {
    std::vector<pollfd> fds;
    while (!m_released) {
        fds.clear();
        fds.push_back({m_signal_fd.get(), POLLIN, 0});
        fds.push_back({m_clients.size() < max_clients ? m_listen_fd.get() : -1, POLLIN, 0});
        short console_events = POLLIN;
        if (!m_to_guest.empty()) console_events |= POLLOUT;
        fds.push_back({m_console_fd ? m_console_fd.get() : -1, console_events, 0});
        const bool take_input = m_to_guest.size() < max_guest_input_bytes;
        for (auto& c : m_clients) {
            short events = 0;
            if (!c->close_after_flush && (c->mode == ClientMode::command || take_input)) events |= POLLIN;
            if (!c->out.empty()) events |= POLLOUT;
            fds.push_back({c->fd.get(), events, 0});
        }
        int n = ::poll(fds.data(), fds.size(), idle_poll_ms);
        if (n < 0 && errno != EINTR) ::usleep(100000);  // cannot happen in practice; never spin
        if (n > 0) {
            if (fds[0].revents) handle_signals();
            if (fds[2].revents & POLLOUT) write_console();
            if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) read_console();
            // Clients accepted below have no pollfd yet; only the first `known` are checked.
            std::size_t known = fds.size() - 3;
            for (std::size_t i = 0; i < known && !m_released; ++i) {
                auto& c = *m_clients[i];
                short re = fds[i + 3].revents;
                if (c.dead) continue;
                if (re & (POLLIN | POLLHUP | POLLERR)) read_client(c);
                if (!c.dead && (re & POLLOUT)) write_client(c);
            }
            if (fds[1].revents) accept_clients();
        }
        std::erase_if(m_clients, [](auto& c) { return c->dead || (c->close_after_flush && c->out.empty()); });
        if (m_exited && !std::filesystem::exists(m_dir)) break;
    }
    // Best effort: the reply to `release` is tiny and the socket buffer is empty by then.
    for (auto& c : m_clients)
        if (!c->out.empty()) (void)!::send(c->fd.get(), c->out.data(), c->out.size(), MSG_NOSIGNAL);
    remove_files();
    return 0;
}

void Monitor::handle_signals() {
    signalfd_siginfo info;
    while (::read(m_signal_fd.get(), &info, sizeof info) == sizeof info) {
    }
    if (guest_running()) {
        siginfo_t si{};
        // WNOWAIT keeps the guest a zombie, so its pid and pgid stay ours while its tree is killed.
        if (::waitid(P_PID, m_guest_pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == m_guest_pid) {
            kill_guest_tree();
            int status = 0;
            if (::waitpid(m_guest_pid, &status, 0) == m_guest_pid) guest_exited(status);
        }
    }
    // Orphans of the guest's tree were reparented to us: reap them.
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (m_exited) {
        // Killed orphans may have had children of their own, now ours.
        for (pid_t pid : descendants_of(::getpid())) ::kill(pid, SIGKILL);
    }
}

void Monitor::guest_exited(int wait_status) {
    m_exited = true;
    if (WIFEXITED(wait_status)) m_exit_code = WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) m_exit_signal = WTERMSIG(wait_status);
    m_to_guest.clear();
    std::string line = status_line();
    for (auto& c : m_clients)
        if (c->waiting) {
            c->waiting = false;
            queue(*c, line);
            process_lines(*c);
        }
    // Pending console bytes may still be buffered in the socketpair: drain them now.
    if (m_console_fd) read_console();
}

void Monitor::kill_guest_tree() {
    if (m_guest_pid > 0 && !m_exited) {
        ::killpg(m_guest_pid, SIGKILL);
        ::kill(m_guest_pid, SIGKILL);
    }
    // Processes that left the guest's group (another session, a daemon) are still below us.
    for (pid_t pid : descendants_of(::getpid())) ::kill(pid, SIGKILL);
}

void Monitor::accept_clients() {
    while (m_clients.size() < max_clients) {
        int fd = ::accept4(m_listen_fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        auto c = std::make_unique<Client>();
        c->fd = Fd(fd);
        m_clients.push_back(std::move(c));
    }
}

void Monitor::read_console() {
    char buf[65536];
    for (int round = 0; round < 4; ++round) {
        ssize_t n = ::read(m_console_fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            // The guest and everything that held its console are gone.
            m_console_fd.reset();
            m_to_guest.clear();
            for (auto& c : m_clients)
                if (c->mode == ClientMode::console) c->close_after_flush = true;
            return;
        }
        std::string_view bytes(buf, static_cast<std::size_t>(n));
        write_all(m_log_fd.get(), bytes);  // a full disk must not stop the console
        m_ring->append(bytes);
        for (auto& c : m_clients)
            if (c->mode == ClientMode::console) {
                queue(*c, bytes);
                if (!c->dead) write_client(*c);
            }
    }
}

void Monitor::write_console() {
    ssize_t n = ::send(m_console_fd.get(), m_to_guest.data(), m_to_guest.size(), MSG_NOSIGNAL);
    if (n > 0) m_to_guest.erase(0, static_cast<std::size_t>(n));
    else if (n < 0 && errno != EAGAIN && errno != EINTR) m_to_guest.clear();
}

void Monitor::read_client(Client& c) {
    char buf[4096];
    ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        c.dead = true;  // closing a client never touches the guest
        return;
    }
    std::string_view bytes(buf, static_cast<std::size_t>(n));
    if (c.mode == ClientMode::console) {
        if (m_console_fd) m_to_guest.append(bytes);
        return;
    }
    c.in.append(bytes);
    process_lines(c);
}

// Replies go out in request order: while a `wait` is pending, later lines stay buffered.
void Monitor::process_lines(Client& c) {
    std::size_t newline;
    while (c.mode == ClientMode::command && !c.waiting && !c.dead &&
           (newline = c.in.find('\n')) != std::string::npos) {
        std::string line = c.in.substr(0, newline);
        c.in.erase(0, newline + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        handle_line(c, line);
    }
    if (c.mode == ClientMode::console) {
        // Bytes that followed `console` in the same read are already input for the guest.
        if (m_console_fd) m_to_guest.append(c.in);
        c.in.clear();
    } else if (c.in.size() > max_line_bytes) {
        queue(c, "error: line too long\n");
        c.close_after_flush = true;
    }
}

void Monitor::write_client(Client& c) {
    ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) c.out.erase(0, static_cast<std::size_t>(n));
    else if (n < 0 && errno != EAGAIN && errno != EINTR) c.dead = true;
    if (c.out.empty() && c.close_after_flush) c.dead = true;
}

void Monitor::queue(Client& c, std::string_view bytes) {
    if (c.dead) return;
    if (c.out.size() + bytes.size() > max_client_queue_bytes) {
        c.dead = true;  // too slow: drop it, the guest and the others carry on
        return;
    }
    c.out.append(bytes);
}

void Monitor::handle_line(Client& c, std::string_view line) {
    auto space = line.find(' ');
    std::string_view verb = line.substr(0, space);
    std::string_view arg = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    if (verb.empty()) return;
    if (verb == "status") {
        queue(c, status_line());
    } else if (verb == "console") {
        c.mode = ClientMode::console;
        queue(c, m_ring->contents());
        if (!m_console_fd) c.close_after_flush = true;
    } else if (verb == "kill") {
        kill_guest_tree();
        queue(c, "ok\n");
    } else if (verb == "signal") {
        int sig = 0;
        auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), sig);
        if (ec != std::errc() || end != arg.data() + arg.size() || sig < 1 || sig >= NSIG)
            queue(c, "error: signal needs a signal number\n");
        else if (!guest_running())
            queue(c, "error: the guest has exited\n");
        else if (::kill(m_guest_pid, sig) != 0)
            queue(c, "error: " + errno_text("kill") + "\n");
        else
            queue(c, "ok\n");
    } else if (verb == "wait") {
        if (m_exited) queue(c, status_line());
        else c.waiting = true;
    } else if (verb == "release") {
        if (!m_exited) {
            queue(c, "error: the guest is still running\n");
        } else {
            queue(c, "ok\n");
            m_released = true;
        }
    } else {
        queue(c, "error: unknown command '" + std::string(verb.substr(0, 64)) + "'\n");
    }
}

std::string Monitor::status_line() const {
    auto or_null = [](int v) { return v < 0 ? std::string("null") : std::to_string(v); };
    return "{\"monitor_pid\":" + std::to_string(::getpid()) + ",\"guest_pid\":" + std::to_string(m_guest_pid) +
           ",\"running\":" + (guest_running() ? "true" : "false") + ",\"exit_code\":" + or_null(m_exit_code) +
           ",\"signal\":" + or_null(m_exit_signal) + ",\"started_at\":" + std::to_string(m_started_at) + "}\n";
}

void Monitor::remove_files() {
    ::unlink((m_dir / "monitor.sock").c_str());
    ::unlink((m_dir / "monitor.pid").c_str());
}

}  // namespace


void RingBuffer::append(std::string_view bytes) {
    const std::size_t cap = m_data.size();
    if (cap == 0) return;
    if (bytes.size() >= cap) {
        bytes = bytes.substr(bytes.size() - cap);
        std::copy(bytes.begin(), bytes.end(), m_data.begin());
        m_start = 0;
        m_size = cap;
        return;
    }
    std::size_t end = (m_start + m_size) % cap;
    std::size_t first = std::min(bytes.size(), cap - end);
    std::copy_n(bytes.data(), first, m_data.begin() + end);
    std::copy_n(bytes.data() + first, bytes.size() - first, m_data.begin());
    m_size += bytes.size();
    if (m_size > cap) {
        m_start = (m_start + m_size - cap) % cap;
        m_size = cap;
    }
}

std::string RingBuffer::contents() const {
    std::string out;
    out.reserve(m_size);
    const std::size_t cap = m_data.size();
    std::size_t first = std::min(m_size, cap - m_start);
    out.append(m_data.data() + m_start, first);
    out.append(m_data.data(), m_size - first);
    return out;
}

int run(const std::filesystem::path& dir, int ready_fd) {
    auto report = [ready_fd](std::string_view text) {
        if (ready_fd >= 0) {
            write_all(ready_fd, text);
            ::close(ready_fd);
        } else if (text != "ok\n") {
            write_all(2, "uxl-monitor: ");
            write_all(2, text);
        }
    };
    try {
        Monitor monitor(dir);
        if (auto s = monitor.setup(); !s) {
            report("error: " + s.error() + "\n");
            return 1;
        }
        report("ok\n");
        return monitor.loop();
    } catch (const std::exception& e) {
        // Only allocation failures can get here; the guest keeps running regardless.
        report(std::string("error: ") + e.what() + "\n");
        return 1;
    }
}

}  // namespace uxl::monitor
