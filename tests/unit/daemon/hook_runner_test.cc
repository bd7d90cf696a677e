// run_hook: argv without a shell, minimal environment, stdin closed, separate stdout,
// failure messages, the timeout that kills the whole process group, the log, and an event
// loop that keeps running while a hook does.
#include "hook_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <signal.h>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace uxl::daemon {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class HookRunnerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/uxl-hook-test-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
    }
    void TearDown() override { fs::remove_all(m_dir); }

    // Writes an executable /bin/sh script and returns its path.
    std::string script(const std::string& name, const std::string& body)
    {
        std::string path = m_dir + "/" + name;
        std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
        ::chmod(path.c_str(), 0755);
        return path;
    }

    HookSpec spec(const std::string& path)
    {
        HookSpec s;
        s.script = path;
        s.log_file = m_dir + "/log/hotplug.log";
        return s;
    }

public:
    // Runs one hook to its end on an event loop of its own.
    static Result<HookOutcome> run(HookSpec spec)
    {
        asio::io_context io;
        std::optional<Result<HookOutcome>> result;
        asio::co_spawn(
            io, [&]() -> asio::awaitable<void> { result = co_await run_hook(io.get_executor(), spec); },
            asio::detached);
        io.run();
        return *result;
    }

protected:

    static std::string read(const std::string& path)
    {
        std::ostringstream out;
        out << std::ifstream(path).rdbuf();
        return out.str();
    }

    std::string m_dir;
};

TEST_F(HookRunnerTest, StdoutIsReturnedApartFromStderr)
{
    auto result = run(spec(script("block", "echo noise >&2\necho /dev/loop7")));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->exit_status, 0);
    EXPECT_EQ(result->stdout_text, "/dev/loop7\n");
    EXPECT_NE(result->output_tail.find("noise"), std::string::npos);
}

TEST_F(HookRunnerTest, ArgumentsArePassedLiterallyWithoutAShell)
{
    HookSpec s = spec(script("args", "printf '[%s]\\n' \"$@\""));
    std::string trap = "$(touch " + m_dir + "/pwned)";
    s.args = {"up", "bridge=br;touch " + m_dir + "/pwned2", trap, "a b", "*", "`id`"};
    auto result = run(s);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->stdout_text, "[up]\n[bridge=br;touch " + m_dir + "/pwned2]\n[" + trap +
                                       "]\n[a b]\n[*]\n[`id`]\n");
    EXPECT_FALSE(fs::exists(m_dir + "/pwned"));
    EXPECT_FALSE(fs::exists(m_dir + "/pwned2"));
}

TEST_F(HookRunnerTest, EnvironmentIsMinimalPlusTheGivenEntries)
{
    ::setenv("UXL_HOOK_TEST_LEAK", "1", 1);
    HookSpec s = spec(script("env", "env"));
    s.env = {"vif=vif3.0", "bridge=br 0;x", "domid=3"};
    auto result = run(s);
    ::unsetenv("UXL_HOOK_TEST_LEAK");
    ASSERT_TRUE(result) << result.error().message;
    const std::string& env = result->stdout_text;
    EXPECT_NE(env.find("PATH=/usr/local/sbin:"), std::string::npos) << env;
    EXPECT_NE(env.find("vif=vif3.0\n"), std::string::npos) << env;
    EXPECT_NE(env.find("bridge=br 0;x\n"), std::string::npos) << env;
    EXPECT_NE(env.find("domid=3\n"), std::string::npos) << env;
    EXPECT_EQ(env.find("UXL_HOOK_TEST_LEAK"), std::string::npos) << env;
    EXPECT_EQ(env.find("HOME="), std::string::npos) << env;
}

TEST_F(HookRunnerTest, AGivenPathReplacesTheDefault)
{
    HookSpec s = spec(script("path", "echo \"$PATH\""));
    s.env = {"PATH=/bin"};
    auto result = run(s);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->stdout_text, "/bin\n");
}

TEST_F(HookRunnerTest, StdinIsDevNull)
{
    HookSpec s = spec(script("stdin", "cat\necho done"));
    s.timeout = 5s;
    auto result = run(s);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->stdout_text, "done\n");
}

TEST_F(HookRunnerTest, RunsInAProcessGroupOfItsOwn)
{
    auto result = run(spec(script("pgid", "ps -o pid=,pgid= -p $$")));
    ASSERT_TRUE(result) << result.error().message;
    std::istringstream in(result->stdout_text);
    long pid = 0, pgid = -1;
    in >> pid >> pgid;
    EXPECT_EQ(pid, pgid) << result->stdout_text;
    EXPECT_NE(pgid, static_cast<long>(::getpgrp()));
}

TEST_F(HookRunnerTest, NonZeroExitNamesScriptStatusAndLastLines)
{
    std::string path = script("failing", "for i in 1 2 3 4 5 6 7; do echo line $i >&2; done\nexit 3");
    auto result = run(spec(path));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::backend_failed);
    const std::string& m = result.error().message;
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_NE(m.find("exit status 3"), std::string::npos) << m;
    EXPECT_NE(m.find("line 3\nline 4\nline 5\nline 6\nline 7"), std::string::npos) << m;
    EXPECT_EQ(m.find("line 2"), std::string::npos) << m;
}

TEST_F(HookRunnerTest, DeathBySignalIsAFailure)
{
    auto result = run(spec(script("signalled", "kill -TERM $$")));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::backend_failed);
    EXPECT_NE(result.error().message.find("signal 15"), std::string::npos) << result.error().message;
}

// True when `pid` is gone or a zombie (its new parent may not have reaped it yet).
bool process_dead(pid_t pid)
{
    std::string stat;
    std::getline(std::ifstream("/proc/" + std::to_string(pid) + "/stat"), stat);
    if (stat.empty())
        return true;
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

// The live (not zombie) members of process group `pgid`.
std::vector<pid_t> live_members_of_group(pid_t pgid)
{
    std::vector<pid_t> members;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        std::string stat;
        std::getline(std::ifstream(entry.path() / "stat"), stat);
        auto close = stat.rfind(')');
        if (close == std::string::npos)
            continue;
        std::istringstream fields(stat.substr(close + 1));
        char state = 0;
        long ppid = 0, pgrp = 0;
        if (fields >> state >> ppid >> pgrp && pgrp == pgid && state != 'Z')
            members.push_back(std::stoi(entry.path().filename().string()));
    }
    return members;
}

// Polls `condition` until it holds or a deadline far beyond any normal run has passed.
bool eventually(const std::function<bool()>& condition)
{
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

bool eventually_dead(pid_t pid)
{
    return eventually([&] { return process_dead(pid); });
}

// Runs the hook on a thread of its own and waits for it with a generous deadline, so that a
// runner that never returns fails the test instead of hanging it. At the deadline
// `unblock` is called (it should kill what keeps the hook running) and the run is waited for.
Result<HookOutcome> run_or_unblock(const HookSpec& spec, const std::function<void()>& unblock)
{
    auto run = std::async(std::launch::async, [spec] { return HookRunnerTest::run(spec); });
    if (run.wait_for(60s) != std::future_status::ready) {
        ADD_FAILURE() << "run_hook did not return within 60 s";
        unblock();
    }
    return run.get();
}

TEST_F(HookRunnerTest, TimeoutKillsTheWholeProcessGroup)
{
    // The script and its child would run for 60 s; the hook's timeout is 300 ms. What shows
    // that the timeout fired is the error (not how long the run took); what shows that the
    // whole group was killed is that no member of it is left, not even the background child.
    std::string pidfile = m_dir + "/child.pid";
    std::string groupfile = m_dir + "/group.pid";
    std::string path = script("hanging", "echo $$ > " + groupfile + "\nsleep 60 &\necho $! > " + pidfile +
                                             "\necho started\nwait");
    HookSpec s = spec(path);
    s.timeout = 300ms;
    auto result = run_or_unblock(s, [&] { ::kill(-std::stoi(read(groupfile)), SIGKILL); });
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::timeout) << result.error().message;
    EXPECT_TRUE(result.error().message.starts_with("killing execution of " + path + " because of timeout"))
        << result.error().message;
    EXPECT_NE(result.error().message.find("started"), std::string::npos);
    pid_t group = std::stoi(read(groupfile));
    pid_t child = std::stoi(read(pidfile));
    EXPECT_TRUE(eventually([&] { return live_members_of_group(group).empty(); }))
        << "members of the hook's process group survived: " << ::testing::PrintToString(live_members_of_group(group));
    EXPECT_TRUE(process_dead(child)) << "the script's background child survived";
}

TEST_F(HookRunnerTest, ABackgroundLeftoverHoldingTheOutputNeitherHangsNorSurvives)
{
    // The leftover would hold the script's stdout open for 300 s: the run returns only
    // because the runner stops waiting for the pipes once the script itself has exited.
    std::string pidfile = m_dir + "/child.pid";
    auto result = run_or_unblock(spec(script("leaky", "sleep 300 &\necho $! > " + pidfile + "\necho ok")),
                                 [&] { ::kill(std::stoi(read(pidfile)), SIGKILL); });
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->stdout_text, "ok\n");
    EXPECT_TRUE(eventually_dead(std::stoi(read(pidfile)))) << "the background leftover survived";
}

TEST_F(HookRunnerTest, TheLoopKeepsRunningWhileAHookRuns)
{
    // The hook cannot finish until a handler on the same loop opens its gate, and that
    // handler opens it only after the hook has started. So the hook succeeds only if the
    // loop went on running handlers while the hook ran; were the loop blocked, the hook
    // would give up waiting for the gate (after 60 s) and fail.
    const std::string started = m_dir + "/started";
    const std::string gate = m_dir + "/gate";
    HookSpec s = spec(script("gated", "touch " + started +
                                          "\ni=0\nwhile [ ! -e " + gate + " ]; do\n"
                                          "  i=$((i + 1)); [ $i -le 1200 ] || { echo gate never opened; exit 1; }\n"
                                          "  sleep 0.05\ndone\necho through"));
    s.timeout = 120s;
    asio::io_context io;
    std::optional<Result<HookOutcome>> result;
    bool gate_opened_while_hook_ran = false;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { result = co_await run_hook(io.get_executor(), s); },
        asio::detached);
    asio::steady_timer poll(io);
    std::function<void()> open_gate_once_started = [&] {
        if (result)
            return;  // the hook finished without the gate: the check below fails
        if (fs::exists(started)) {
            gate_opened_while_hook_ran = true;
            std::ofstream(gate).put('\n');
            return;
        }
        poll.expires_after(10ms);
        poll.async_wait([&](boost::system::error_code) { open_gate_once_started(); });
    };
    asio::post(io, open_gate_once_started);
    io.run();
    ASSERT_TRUE(result.has_value());
    ASSERT_TRUE(*result) << result->error().message;
    EXPECT_EQ((*result)->stdout_text, "through\n");
    EXPECT_TRUE(gate_opened_while_hook_ran);
}

TEST_F(HookRunnerTest, OutputIsAppendedToTheLogUnderAHeader)
{
    std::string path = script("vif-bridge", "echo out-$1\necho err-$1 >&2");
    HookSpec s = spec(path);
    s.args = {"up", "bridge=a b"};
    ASSERT_TRUE(run(s));
    s.args = {"down"};
    ASSERT_TRUE(run(s));
    std::string log = read(s.log_file);
    EXPECT_NE(log.find(" " + path + " up 'bridge=a b'\n"), std::string::npos) << log;
    EXPECT_NE(log.find("out-up\n"), std::string::npos) << log;
    EXPECT_NE(log.find("err-up\n"), std::string::npos) << log;
    EXPECT_NE(log.find(" " + path + " down\n"), std::string::npos) << log;
    EXPECT_NE(log.find("err-down\n--- exit status 0\n"), std::string::npos) << log;
    EXPECT_TRUE(log.starts_with("=== 2")) << log;
}

TEST_F(HookRunnerTest, AMissingScriptIsNotFound)
{
    auto result = run(spec(m_dir + "/no-such-script"));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::not_found);
    EXPECT_NE(result.error().message.find("no-such-script"), std::string::npos);
}

TEST_F(HookRunnerTest, AMalformedEnvironmentEntryIsRefused)
{
    HookSpec s = spec(script("ok", "true"));
    s.env = {"=value"};
    auto result = run(s);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::invalid_argument);
    s.env = {"A;B=1"};
    EXPECT_FALSE(run(s));
}

TEST(LastLines, KeepsTheLastLinesWithoutTheFinalNewline)
{
    EXPECT_EQ(last_lines("a\nb\nc\n", 2), "b\nc");
    EXPECT_EQ(last_lines("a\nb\n", 5), "a\nb");
    EXPECT_EQ(last_lines("", 5), "");
    EXPECT_EQ(last_lines("one", 1), "one");
}

}  // namespace
}  // namespace uxl::daemon
