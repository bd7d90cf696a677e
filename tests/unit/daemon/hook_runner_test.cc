// run_hook: argv without a shell, minimal environment, stdin closed, separate stdout,
// failure messages, the timeout that kills the whole process group, the log, and an event
// loop that keeps running while a hook does.
#include "hook_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <signal.h>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

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

bool eventually_dead(pid_t pid)
{
    for (int i = 0; i < 100; ++i) {
        if (process_dead(pid))
            return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

TEST_F(HookRunnerTest, TimeoutKillsTheWholeProcessGroup)
{
    std::string pidfile = m_dir + "/child.pid";
    std::string path = script("hanging", "sleep 300 &\necho $! > " + pidfile + "\necho started\nwait");
    HookSpec s = spec(path);
    s.timeout = 300ms;
    auto begin = std::chrono::steady_clock::now();
    auto result = run(s);
    auto elapsed = std::chrono::steady_clock::now() - begin;
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::timeout);
    EXPECT_TRUE(result.error().message.starts_with("killing execution of " + path + " because of timeout"))
        << result.error().message;
    EXPECT_NE(result.error().message.find("started"), std::string::npos);
    EXPECT_LT(elapsed, 4s);
    pid_t child = std::stoi(read(pidfile));
    EXPECT_TRUE(eventually_dead(child)) << "the script's background child survived";
}

TEST_F(HookRunnerTest, ABackgroundLeftoverHoldingTheOutputNeitherHangsNorSurvives)
{
    std::string pidfile = m_dir + "/child.pid";
    auto begin = std::chrono::steady_clock::now();
    auto result = run(spec(script("leaky", "sleep 300 &\necho $! > " + pidfile + "\necho ok")));
    EXPECT_LT(std::chrono::steady_clock::now() - begin, 5s);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->stdout_text, "ok\n");
    EXPECT_TRUE(eventually_dead(std::stoi(read(pidfile))));
}

TEST_F(HookRunnerTest, TheLoopKeepsRunningWhileAHookRuns)
{
    asio::io_context io;
    std::optional<Result<HookOutcome>> result;
    auto begin = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration hook_done{}, timer_fired{};
    HookSpec s = spec(script("slow", "sleep 1"));
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            result = co_await run_hook(io.get_executor(), s);
            hook_done = std::chrono::steady_clock::now() - begin;
        },
        asio::detached);
    asio::steady_timer timer(io, 100ms);
    timer.async_wait([&](auto) { timer_fired = std::chrono::steady_clock::now() - begin; });
    io.run();
    ASSERT_TRUE(*result) << result->error().message;
    EXPECT_LT(timer_fired, 500ms);
    EXPECT_GE(hook_done, 1s);
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
