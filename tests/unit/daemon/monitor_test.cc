// Tests of uxl-monitor: its ring buffer and plan parser, and the real binary running real
// guest processes. Every test removes its directory and kills what it started, even when an
// assertion fails (the fixture's destructor does it).
#include "monitor.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

// --- helpers -------------------------------------------------------------------------------

std::string read_file(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return done();
}

// A live process (a zombie counts as gone: it runs nothing and its parent will reap it).
bool process_alive(pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

std::vector<pid_t> descendants_of(pid_t root) {
    std::vector<std::pair<pid_t, pid_t>> links;
    DIR* proc = ::opendir("/proc");
    while (dirent* e = proc ? ::readdir(proc) : nullptr) {
        pid_t pid = std::atoi(e->d_name);
        if (pid <= 0) continue;
        std::string stat = read_file(std::string("/proc/") + e->d_name + "/stat");
        auto paren = stat.rfind(')');
        if (paren == std::string::npos) continue;
        std::istringstream fields(stat.substr(paren + 1));
        char state;
        pid_t ppid;
        if ((fields >> state >> ppid) && state != 'Z') links.emplace_back(pid, ppid);
    }
    if (proc) ::closedir(proc);
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

struct RunResult {
    int exit_code = -1;
    std::string stderr_text;
};

// Runs `uxl-monitor --dir DIR` (no shell) and waits for it to return.
RunResult run_monitor(const std::filesystem::path& dir) {
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) return {};
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(err[1], 2);
        int null_fd = ::open("/dev/null", O_RDWR);
        ::dup2(null_fd, 0);
        ::dup2(null_fd, 1);
        ::execl(UXL_MONITOR_BINARY, UXL_MONITOR_BINARY, "--dir", dir.c_str(), nullptr);
        ::_exit(126);
    }
    ::close(err[1]);
    RunResult result;
    char buf[512];
    ssize_t n;
    while ((n = ::read(err[0], buf, sizeof buf)) > 0) result.stderr_text.append(buf, n);
    ::close(err[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

// One connection to monitor.sock.
class Client {
public:
    explicit Client(const std::filesystem::path& dir) {
        m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::string path = (dir / "monitor.sock").string();
        std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
        if (::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(m_fd);
            m_fd = -1;
        }
    }
    ~Client() {
        if (m_fd >= 0) ::close(m_fd);
    }
    bool connected() const { return m_fd >= 0; }
    int fd() const { return m_fd; }

    void send(std::string_view text) {
        while (!text.empty()) {
            ssize_t n = ::send(m_fd, text.data(), text.size(), MSG_NOSIGNAL);
            if (n <= 0) return;
            text.remove_prefix(n);
        }
    }
    // Reads until `needle` has been received (true) or the timeout or EOF (false).
    bool read_until(std::string_view needle, std::chrono::milliseconds timeout = 10s) {
        auto deadline = Clock::now() + timeout;
        while (m_received.find(needle) == std::string::npos) {
            if (!read_some(deadline)) return false;
        }
        return true;
    }
    // Reads to EOF; false on timeout.
    bool read_to_eof(std::chrono::milliseconds timeout = 10s) {
        auto deadline = Clock::now() + timeout;
        while (read_some(deadline)) {
        }
        return m_eof;
    }
    std::string line(std::chrono::milliseconds timeout = 10s) {
        if (!read_until("\n", timeout)) return {};
        auto nl = m_received.find('\n');
        std::string result = m_received.substr(0, nl);
        m_received.erase(0, nl + 1);
        return result;
    }
    json command(std::string_view cmd) {
        send(std::string(cmd) + "\n");
        return json::parse(line(), nullptr, false);
    }
    const std::string& received() const { return m_received; }
    std::size_t total() const { return m_total; }
    void keep_tail(std::size_t bytes) {
        if (m_received.size() > bytes) m_received.erase(0, m_received.size() - bytes);
    }

private:
    bool read_some(Clock::time_point deadline) {
        if (m_fd < 0 || m_eof) return false;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
        char buf[65536];
        ssize_t n = ::read(m_fd, buf, sizeof buf);
        if (n <= 0) {
            m_eof = true;
            return false;
        }
        m_received.append(buf, n);
        m_total += n;
        return true;
    }
    int m_fd = -1;
    bool m_eof = false;
    std::string m_received;
    std::size_t m_total = 0;
};

// A temporary DIR for one monitor; kills the monitor and its whole tree on destruction.
class MonitorDir {
public:
    MonitorDir() {
        char tmpl[] = "/tmp/uxlmon-XXXXXX";
        m_path = ::mkdtemp(tmpl);
    }
    ~MonitorDir() {
        pid_t monitor = monitor_pid();
        if (monitor > 0 && process_alive(monitor)) {
            for (pid_t pid : descendants_of(monitor)) {
                ::killpg(pid, SIGKILL);
                ::kill(pid, SIGKILL);
            }
            ::kill(monitor, SIGKILL);
        }
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    const std::filesystem::path& path() const { return m_path; }

    void write_plan(const std::vector<std::string>& argv, json extra = json::object()) {
        json plan = {{"argv", argv},
                     {"env", {"PATH=/usr/bin:/bin", "HOME=/"}},
                     {"disable_aslr", true},
                     {"working_dir", "/"},
                     {"console_log", (m_path / "console.log").string()},
                     {"ring_bytes", 65536}};
        plan.update(extra);
        std::ofstream(m_path / "plan.json") << plan.dump();
    }
    pid_t monitor_pid() const { return std::atoi(read_file(m_path / "monitor.pid").c_str()); }
    bool socket_exists() const { return std::filesystem::exists(m_path / "monitor.sock"); }

private:
    std::filesystem::path m_path;
};

std::vector<std::string> sh(const std::string& script) { return {"/bin/sh", "-c", script}; }

// --- parts ---------------------------------------------------------------------------------

TEST(RingBuffer, KeepsTheMostRecentBytesInOrder) {
    uxl::monitor::RingBuffer ring(8);
    ring.append("abc");
    EXPECT_EQ(ring.contents(), "abc");
    ring.append("defgh");
    EXPECT_EQ(ring.contents(), "abcdefgh");
    ring.append("ij");
    EXPECT_EQ(ring.contents(), "cdefghij");
    ring.append("0123456789");
    EXPECT_EQ(ring.contents(), "23456789");
    ring.append("x");
    EXPECT_EQ(ring.contents(), "3456789x");
}

TEST(RingBuffer, WithNoCapacityKeepsNothing) {
    uxl::monitor::RingBuffer ring(0);
    ring.append("abc");
    EXPECT_EQ(ring.contents(), "");
}

TEST(Plan, ParsesEveryField) {
    auto plan = uxl::monitor::parse_plan(
        R"({"argv":["/bin/true","x"],"env":["A=1"],"disable_aslr":true,"working_dir":"/tmp",
            "console_log":"/tmp/log","ring_bytes":1024})");
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->argv, (std::vector<std::string>{"/bin/true", "x"}));
    EXPECT_EQ(plan->env, (std::vector<std::string>{"A=1"}));
    EXPECT_TRUE(plan->disable_aslr);
    EXPECT_EQ(plan->working_dir, "/tmp");
    EXPECT_EQ(plan->console_log, "/tmp/log");
    EXPECT_EQ(plan->ring_bytes, 1024u);
}

TEST(Plan, RefusesWhatCannotRun) {
    EXPECT_FALSE(uxl::monitor::parse_plan("{"));
    EXPECT_FALSE(uxl::monitor::parse_plan(R"({"argv":[]})"));
    EXPECT_FALSE(uxl::monitor::parse_plan(R"({"argv":"/bin/sh -c x"})"));
    EXPECT_FALSE(uxl::monitor::parse_plan(R"({"argv":["/bin/true"],"ring_bytes":-1})"));
    EXPECT_FALSE(uxl::monitor::parse_plan(R"({"argv":["/bin/true"],"disable_aslr":"yes"})"));
}

// --- the real binary -----------------------------------------------------------------------

TEST(Monitor, ConsoleReplayInputExitCodeAndLog) {
    MonitorDir dir;
    dir.write_plan(sh("echo hello; read x; echo got:$x; exit 7"));
    auto run = run_monitor(dir.path());
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    ASSERT_TRUE(dir.socket_exists());

    // The caller returns once the socket listens; "hello" may come just after.
    ASSERT_TRUE(wait_until([&] { return read_file(dir.path() / "console.log") == "hello\n"; }, 5s));
    Client console(dir.path());
    ASSERT_TRUE(console.connected());
    console.send("console\n");
    ASSERT_TRUE(console.read_until("hello\n"));
    console.send("world\n");
    ASSERT_TRUE(console.read_until("got:world\n"));

    Client control(dir.path());
    json status = control.command("wait");
    ASSERT_TRUE(status.is_object());
    EXPECT_EQ(status["running"], false);
    EXPECT_EQ(status["exit_code"], 7);
    EXPECT_TRUE(status["signal"].is_null());
    EXPECT_EQ(status["monitor_pid"], dir.monitor_pid());
    EXPECT_GT(status["started_at"].get<long>(), 1600000000L);

    // Once the guest is gone the console stream ends after the last byte.
    EXPECT_TRUE(console.read_to_eof());
    EXPECT_EQ(console.received(), "hello\ngot:world\n");
    EXPECT_EQ(read_file(dir.path() / "console.log"), "hello\ngot:world\n");

    // A late console client still gets the replay.
    Client late(dir.path());
    late.send("console\n");
    EXPECT_TRUE(late.read_to_eof());
    EXPECT_EQ(late.received(), "hello\ngot:world\n");

    pid_t monitor = dir.monitor_pid();
    // Nothing unsolicited: the next line on this connection is the answer to the next command.
    status = control.command("status");
    ASSERT_TRUE(status.is_object()) << status;
    EXPECT_EQ(status["exit_code"], 7);
    control.send("release\n");
    EXPECT_EQ(control.line(), "ok");
    EXPECT_TRUE(wait_until([&] { return !process_alive(monitor); }, 5s));
    EXPECT_FALSE(dir.socket_exists());
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "monitor.pid"));
}

TEST(Monitor, ReleaseIsRefusedWhileTheGuestRuns) {
    MonitorDir dir;
    dir.write_plan(sh("exec sleep 1000"));
    ASSERT_EQ(run_monitor(dir.path()).exit_code, 0);
    Client control(dir.path());
    control.send("release\n");
    EXPECT_EQ(control.line(), "error: the guest is still running");
    control.send("bogus\n");
    EXPECT_EQ(control.line(), "error: unknown command 'bogus'");
    json status = control.command("status");
    EXPECT_EQ(status["running"], true);
    EXPECT_TRUE(status["exit_code"].is_null());
    control.send("signal 15\n");
    EXPECT_EQ(control.line(), "ok");
    status = control.command("wait");
    EXPECT_EQ(status["signal"], 15);
    EXPECT_TRUE(status["exit_code"].is_null());
}

TEST(Monitor, PipelinedCommandsAreAnsweredInOrder) {
    MonitorDir dir;
    dir.write_plan({"/bin/sleep", "1000"});
    ASSERT_EQ(run_monitor(dir.path()).exit_code, 0);
    pid_t monitor = dir.monitor_pid();
    Client control(dir.path());
    control.send("status\nkill\nwait\nrelease\n");
    EXPECT_EQ(json::parse(control.line(), nullptr, false)["running"], true);
    EXPECT_EQ(control.line(), "ok");
    EXPECT_EQ(json::parse(control.line(), nullptr, false)["signal"], 9);
    EXPECT_EQ(control.line(), "ok");  // `release` waited for `wait`, so the guest had exited
    EXPECT_TRUE(wait_until([&] { return !process_alive(monitor); }, 5s));
}

TEST(Monitor, KillLeavesNoProcessOfTheGuestTree) {
    MonitorDir dir;
    // Sleepers in the guest's group, a subshell's orphan and one in a session of its own.
    // The last one says "ready" once it is in its own session; the others were forked before.
    dir.write_plan(sh("sleep 1000 & sleep 1000 & (sleep 1000 &); "
                      "setsid sh -c 'echo ready; exec sleep 1000' & wait"));
    ASSERT_EQ(run_monitor(dir.path()).exit_code, 0);
    pid_t monitor = dir.monitor_pid();
    Client console(dir.path());
    console.send("console\n");
    ASSERT_TRUE(console.read_until("ready"));
    auto tree = descendants_of(monitor);
    ASSERT_GE(tree.size(), 5u);

    Client control(dir.path());
    control.send("kill\n");
    EXPECT_EQ(control.line(), "ok");
    json status = control.command("wait");
    EXPECT_EQ(status["signal"], 9);
    EXPECT_TRUE(wait_until([&] { return descendants_of(monitor).empty(); }, 5s));
    for (pid_t pid : tree) EXPECT_FALSE(process_alive(pid)) << pid;
    EXPECT_TRUE(process_alive(monitor));  // it keeps the status until released
}

TEST(Monitor, SurvivesItsCallerAndKeepsTheExitStatusUntilReleased) {
    MonitorDir dir;
    dir.write_plan(sh("read x; exit 3"));
    // The caller: a process that starts the monitor and is then SIGKILLed.
    pid_t caller = ::fork();
    if (caller == 0) {
        int rc = run_monitor(dir.path()).exit_code;
        if (rc != 0) ::_exit(rc);
        ::pause();
        ::_exit(0);
    }
    ASSERT_GT(caller, 0);
    ASSERT_TRUE(wait_until([&] { return dir.socket_exists() && dir.monitor_pid() > 0; }, 5s));
    ::kill(caller, SIGKILL);
    ::waitpid(caller, nullptr, 0);
    pid_t monitor = dir.monitor_pid();
    ASSERT_TRUE(process_alive(monitor));

    // Terminal signals do not stop it either. A fatal signal takes effect before the target
    // runs any more of its own code, so an answer to a command sent after the signals shows
    // that they did not kill it (no waiting for something not to happen).
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::kill(monitor, sig);
    {
        Client after_signals(dir.path());
        json status = after_signals.command("status");
        ASSERT_TRUE(status.is_object()) << "the monitor did not answer after SIGTERM, SIGINT and SIGHUP";
        EXPECT_EQ(status["running"], true);
    }
    ASSERT_TRUE(process_alive(monitor));

    {
        Client console(dir.path());
        console.send("console\ngo\n");  // the guest exits while nobody waits for it
    }
    // Polled with `status' (never `wait'), each time on a new connection.
    EXPECT_TRUE(wait_until([&] {
        Client control(dir.path());
        json status = control.command("status");
        return status.is_object() && status["running"] == false;
    }, 10s)) << "the guest did not exit after its input";
    for (int i = 0; i < 2; ++i) {
        Client control(dir.path());
        json status = control.command("status");
        EXPECT_EQ(status["running"], false);
        EXPECT_EQ(status["exit_code"], 3);
    }
    Client control(dir.path());
    control.send("release\n");
    EXPECT_EQ(control.line(), "ok");
    EXPECT_TRUE(wait_until([&] { return !process_alive(monitor); }, 5s));
    EXPECT_FALSE(dir.socket_exists());
}

TEST(Monitor, SlowConsoleClientDoesNotStopOthers) {
    // 4 MB in 40 bursts of 100 kB. The guest writes the next burst only once the reader has
    // acknowledged the last one, so the reader is never more than a burst behind however
    // slow the machine is, while the client that never reads falls more than the 1 MiB
    // queue behind and must be dropped.
    MonitorDir dir;
    dir.write_plan(sh("echo ready; read x; i=0; while [ $i -lt 40 ]; do head -c 100000 /dev/zero | tr '\\0' x; "
                      "echo \" end-of-burst-$i\"; read ack; i=$((i+1)); done; echo done; read y; exit 0"));
    ASSERT_EQ(run_monitor(dir.path()).exit_code, 0);
    // Both clients are attached once each has the replay of "ready".
    Client stuck(dir.path());
    stuck.send("console\n");  // and never reads after the replay
    ASSERT_TRUE(stuck.read_until("ready\n"));
    Client reader(dir.path());
    reader.send("console\n");
    ASSERT_TRUE(reader.read_until("ready\n"));
    reader.keep_tail(0);
    reader.send("go\n");
    for (int i = 0; i < 40; ++i) {
        const std::string marker = " end-of-burst-" + std::to_string(i) + "\n";
        ASSERT_TRUE(reader.read_until(marker, 30s)) << "burst " << i << " did not arrive";
        reader.keep_tail(0);  // a burst ends the output until the acknowledgement
        reader.send("\n");
    }
    ASSERT_TRUE(reader.read_until("done\n", 30s));
    EXPECT_GE(reader.total(), 4000000u);

    Client control(dir.path());
    EXPECT_EQ(control.command("status")["running"], true);

    // The stuck client was dropped: its stream ends while the guest still runs (it waits
    // for "bye"), before the end of the output.
    EXPECT_TRUE(stuck.read_to_eof(30s));
    EXPECT_EQ(stuck.received().find("done\n"), std::string::npos);
    EXPECT_EQ(control.command("status")["running"], true);
    reader.send("bye\n");
    EXPECT_EQ(control.command("wait")["exit_code"], 0);
    std::size_t expected_log = std::string("ready\n").size() + 4000000u + std::string("done\n").size();
    for (int i = 0; i < 40; ++i) expected_log += (" end-of-burst-" + std::to_string(i) + "\n").size();
    EXPECT_EQ(std::filesystem::file_size(dir.path() / "console.log"), expected_log);
}

TEST(Monitor, ExecFailureIsReportedToTheCaller) {
    MonitorDir dir;
    dir.write_plan({"/nonexistent/guest-binary", "x"});
    auto run = run_monitor(dir.path());
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.stderr_text.find("cannot execute /nonexistent/guest-binary: No such file or directory"),
              std::string::npos)
        << run.stderr_text;
    EXPECT_FALSE(dir.socket_exists());
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "monitor.pid"));
}

// A plain file stands in for cgroup.procs: the guest's process writes "0" (itself) into each
// before it execs, and the guest runs only after that.
TEST(Monitor, GuestJoinsItsCgroupsBeforeItRuns) {
    MonitorDir dir;
    const std::string first = (dir.path() / "procs-a").string();
    const std::string second = (dir.path() / "procs-b").string();
    std::ofstream(first).flush();
    std::ofstream(second).flush();
    dir.write_plan(sh("cat " + first + " " + second + "; exit 0"), {{"cgroup_procs", {first, second}}});
    auto run = run_monitor(dir.path());
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    ASSERT_TRUE(wait_until([&] { return read_file(dir.path() / "console.log") == "00"; }, 5s))
        << read_file(dir.path() / "console.log");
}

TEST(Monitor, CgroupJoinFailureIsReportedToTheCaller) {
    MonitorDir dir;
    const std::string missing = (dir.path() / "no-such-cgroup" / "cgroup.procs").string();
    dir.write_plan(sh("exit 0"), {{"cgroup_procs", {missing}}});
    auto run = run_monitor(dir.path());
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.stderr_text.find("cannot move the guest into its cgroup (" + missing +
                                   "): No such file or directory"),
              std::string::npos)
        << run.stderr_text;
    EXPECT_FALSE(dir.socket_exists());
}

TEST(Monitor, BadPlanIsReportedToTheCaller) {
    MonitorDir dir;
    std::ofstream(dir.path() / "plan.json") << R"({"argv": "not a list"})";
    auto run = run_monitor(dir.path());
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.stderr_text.find("plan.json: argv must be an array of strings"), std::string::npos)
        << run.stderr_text;
    EXPECT_FALSE(dir.socket_exists());
}

TEST(Monitor, ExitsWhenTheGuestHasExitedAndItsDirectoryIsGone) {
    MonitorDir dir;
    dir.write_plan(sh("exit 0"));
    ASSERT_EQ(run_monitor(dir.path()).exit_code, 0);
    pid_t monitor = dir.monitor_pid();
    Client control(dir.path());
    EXPECT_EQ(control.command("wait")["exit_code"], 0);
    std::filesystem::remove_all(dir.path());
    EXPECT_TRUE(wait_until([&] { return !process_alive(monitor); }, 5s));
}

TEST(Monitor, BootsARealUmlGuest) {
    const char* initramfs = std::getenv("UXL_TEST_INITRAMFS");
    if (!std::filesystem::exists("/usr/bin/linux") || !initramfs || !std::filesystem::exists(initramfs))
        GTEST_SKIP() << "needs /usr/bin/linux and an initramfs at $UXL_TEST_INITRAMFS";
    const char* marker_env = std::getenv("UXL_TEST_INIT_MARKER");
    std::string marker = marker_env ? marker_env : "uxl example guest: up";

    MonitorDir dir;
    std::string umid = "uxlmon" + std::to_string(::getpid());
    dir.write_plan({"/usr/bin/linux", "mem=64M", std::string("initrd=") + initramfs, "umid=" + umid,
                    "uml_dir=" + dir.path().string(), "con0=fd:0,fd:1", "con=null"},
                   {{"env", {"TMPDIR=/dev/shm", "PATH=/usr/bin:/bin"}}});
    auto run = run_monitor(dir.path());
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    pid_t monitor = dir.monitor_pid();
    Client console(dir.path());
    console.send("console\n");
    EXPECT_TRUE(console.read_until(marker, 60s)) << console.received();
    auto tree = descendants_of(monitor);
    EXPECT_GE(tree.size(), 2u);

    Client control(dir.path());
    control.send("kill\n");
    EXPECT_EQ(control.line(), "ok");
    EXPECT_EQ(control.command("wait")["signal"], 9);
    EXPECT_TRUE(wait_until([&] { return descendants_of(monitor).empty(); }, 10s));
    for (pid_t pid : tree) EXPECT_FALSE(process_alive(pid)) << pid;
    EXPECT_NE(read_file(dir.path() / "console.log").find(marker), std::string::npos);
    control.send("release\n");
    EXPECT_EQ(control.line(), "ok");
}

}  // namespace
