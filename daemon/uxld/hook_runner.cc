// Hook scripts, run asynchronously (the flow is numbered in hook_runner.h).
//
// All the state of one run lives in a HookRun shared by four coroutines on one executor: a
// reader per pipe, a waiter on the child's pidfd, and the supervisor (supervise), which
// sleeps on a timer that the others cancel whenever something happens. The timer doubles
// as the deadline, since Boost 1.74 has no awaitable operators to race a wait with a timeout.
#include "hook_runner.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace uxl::daemon {

namespace {

using namespace std::chrono_literals;
using boost::system::error_code;
using stream_descriptor = asio::posix::stream_descriptor;

// Enough for any sensible hook; a script that prints more is still drained, not stored.
constexpr std::size_t max_captured = 1 << 20;
constexpr std::size_t tail_lines = 5;
// After the script itself exited, how long a leftover background process of its group may
// keep the pipes open before it is killed. After SIGKILL, how long to wait for the exit.
constexpr auto pipe_grace = 2s;
constexpr auto kill_grace = 5s;

constexpr const char* default_path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct HookRun {
    explicit HookRun(const asio::any_io_executor& executor)
        : out(executor), err(executor), pidfd(executor), wake(executor) {}

    stream_descriptor out;
    stream_descriptor err;
    stream_descriptor pidfd;
    asio::steady_timer wake;  // cancelled by the helpers to wake the supervisor
    pid_t pid = 0;            // also the process group id
    bool out_open = true;
    bool err_open = true;
    bool exited = false;
    int wait_status = 0;
    std::string stdout_text;
    std::string combined;  // stdout and stderr in arrival order

    bool finished() const { return exited && !out_open && !err_open; }
    void notify() { wake.cancel(); }
};

void append_capped(std::string& to, const char* data, std::size_t size)
{
    if (to.size() < max_captured)
        to.append(data, std::min(size, max_captured - to.size()));
}

asio::awaitable<void> read_pipe(std::shared_ptr<HookRun> run, bool is_stdout)
{
    stream_descriptor& pipe = is_stdout ? run->out : run->err;
    char buffer[4096];
    for (;;) {
        error_code ec;
        std::size_t n = co_await pipe.async_read_some(
            asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
        if (n > 0) {
            if (is_stdout)
                append_capped(run->stdout_text, buffer, n);
            append_capped(run->combined, buffer, n);
        }
        if (ec)
            break;  // eof, or cancelled by the supervisor
    }
    (is_stdout ? run->out_open : run->err_open) = false;
    run->notify();
}

asio::awaitable<void> wait_for_exit(std::shared_ptr<HookRun> run)
{
    error_code ec;
    co_await run->pidfd.async_wait(stream_descriptor::wait_read,
                                   asio::redirect_error(asio::use_awaitable, ec));
    // A pidfd becomes readable when the process exits, so this waitpid returns at once. It
    // names our own child: other children of the daemon are never reaped here.
    int status = 0;
    while (::waitpid(run->pid, &status, 0) < 0 && errno == EINTR) {
    }
    run->wait_status = status;
    run->exited = true;
    run->notify();
}

Result<void> check_spec(const HookSpec& spec)
{
    auto has_nul = [](const std::string& s) { return s.find('\0') != std::string::npos; };
    if (spec.script.empty() || has_nul(spec.script))
        return fail(Errc::invalid_argument, "The hook script path is empty or malformed.");
    for (const auto& arg : spec.args)
        if (has_nul(arg))
            return fail(Errc::invalid_argument,
                        "An argument for hook script " + spec.script + " contains a NUL byte.",
                        spec.script);
    for (const auto& entry : spec.env) {
        auto eq = entry.find('=');
        bool good_name = eq != std::string::npos && eq > 0 &&
                         std::all_of(entry.begin(), entry.begin() + eq, [](char c) {
                             return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                    (c >= '0' && c <= '9');
                         });
        if (!good_name || has_nul(entry))
            return fail(Errc::invalid_argument,
                        "Invalid environment entry for hook script " + spec.script + ": `" +
                            entry.substr(0, entry.find('\0')) + "' (expected NAME=value).",
                        spec.script);
    }
    if (spec.timeout <= 0ms)
        return fail(Errc::invalid_argument, "The hook timeout must be positive.", spec.script);
    return {};
}

// PATH, then the caller's entries; a later entry replaces an earlier one of the same name.
std::vector<std::string> build_environment(const std::vector<std::string>& extra)
{
    std::vector<std::string> env{default_path};
    for (const auto& entry : extra) {
        std::string_view name(entry.data(), entry.find('=') + 1);
        std::erase_if(env, [&](const std::string& e) { return e.starts_with(name); });
        env.push_back(entry);
    }
    return env;
}

struct Spawned {
    pid_t pid;
    int out_fd;
    int err_fd;
};

Result<Spawned> spawn_hook(const HookSpec& spec)
{
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0)
        return fail(Errc::io, std::string("pipe: ") + std::strerror(errno));
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        int saved = errno;
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return fail(Errc::io, std::string("pipe: ") + std::strerror(saved));
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    // Its own process group, so a timeout kills whatever the script started too; default
    // signal dispositions and an empty mask, whatever the daemon uses itself.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigfillset(&defaults);
    sigdelset(&defaults, SIGKILL);
    sigdelset(&defaults, SIGSTOP);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::vector<std::string> words;
    words.push_back(spec.script);
    words.insert(words.end(), spec.args.begin(), spec.args.end());
    std::vector<char*> argv;
    for (auto& w : words)
        argv.push_back(w.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = build_environment(spec.env);
    std::vector<char*> envp;
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, spec.script.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        return fail(rc == ENOENT ? Errc::not_found : Errc::backend_failed,
                    "cannot run hook script " + spec.script + ": " + std::strerror(rc),
                    spec.script);
    }
    return Spawned{pid, out_pipe[0], err_pipe[0]};
}

// An argument as it appears in the log: bare when harmless, otherwise in single quotes.
std::string quoted(const std::string& word)
{
    bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("-_.,:/=@+%", c);
    });
    if (plain)
        return word;
    std::string out = "'";
    for (char c : word)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string utc_timestamp(std::chrono::system_clock::time_point when)
{
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// One write with O_APPEND, so concurrent hooks do not interleave their blocks. A log that
// cannot be written is not a reason to fail a device.
void append_log(const HookSpec& spec, std::chrono::system_clock::time_point started,
                const std::string& output, const std::string& result)
{
    if (spec.log_file.empty())
        return;
    std::error_code ignored;
    std::filesystem::create_directories(std::filesystem::path(spec.log_file).parent_path(), ignored);
    int fd = ::open(spec.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0)
        return;
    std::string block = "=== " + utc_timestamp(started) + " " + quoted(spec.script);
    for (const auto& arg : spec.args)
        block += " " + quoted(arg);
    block += "\n" + output;
    if (!output.empty() && output.back() != '\n')
        block += "\n";
    block += "--- " + result + "\n";
    const char* p = block.data();
    std::size_t left = block.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    ::close(fd);
}

std::string with_tail(std::string headline, const std::string& tail)
{
    return tail.empty() ? headline : headline + ":\n" + tail;
}

asio::awaitable<Result<HookOutcome>> supervise(HookSpec spec)
{
    auto executor = co_await asio::this_coro::executor;
    auto started = std::chrono::system_clock::now();

    auto spawned = spawn_hook(spec);
    if (!spawned)
        co_return std::unexpected(spawned.error());
    auto run = std::make_shared<HookRun>(executor);
    run->pid = spawned->pid;
    run->out.assign(spawned->out_fd);
    run->err.assign(spawned->err_fd);

    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, run->pid, 0));
    if (pidfd < 0) {
        int saved = errno;
        ::kill(-run->pid, SIGKILL);
        while (::waitpid(run->pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        co_return fail(Errc::internal, std::string("pidfd_open: ") + std::strerror(saved), spec.script);
    }
    run->pidfd.assign(pidfd);

    asio::co_spawn(executor, read_pipe(run, true), asio::detached);
    asio::co_spawn(executor, read_pipe(run, false), asio::detached);
    asio::co_spawn(executor, wait_for_exit(run), asio::detached);

    enum class Phase { running, killed, draining, abandoning } phase = Phase::running;
    bool timed_out = false;
    bool abandoned = false;
    auto deadline = std::chrono::steady_clock::now() + spec.timeout;
    while (!run->finished() && !abandoned) {
        if (phase == Phase::running && run->exited) {
            // The script is gone; give a background leftover a moment to close the pipes.
            phase = Phase::draining;
            deadline = std::min(deadline, std::chrono::steady_clock::now() + pipe_grace);
        }
        run->wake.expires_at(deadline);
        error_code ec;
        co_await run->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            continue;  // woken by a helper: re-check
        switch (phase) {
        case Phase::running:
            // The script is still unreaped, so its pid is still its process group's id.
            timed_out = true;
            ::kill(-run->pid, SIGKILL);
            phase = Phase::killed;
            deadline = std::chrono::steady_clock::now() + kill_grace;
            break;
        case Phase::killed:
        case Phase::draining:
            // Leftovers of the group hold the pipes (or the script will not die): kill the
            // group, stop reading and return; the helpers finish on their own.
            ::kill(-run->pid, SIGKILL);
            run->out.cancel();
            run->err.cancel();
            phase = Phase::abandoning;
            deadline = std::chrono::steady_clock::now() + 1s;
            break;
        case Phase::abandoning:
            abandoned = true;
            break;
        }
    }
    std::string tail = last_lines(run->combined, tail_lines);
    if (timed_out) {
        std::string headline = "killing execution of " + spec.script + " because of timeout";
        append_log(spec, started, run->combined, headline);
        co_return fail(Errc::timeout, with_tail(headline, tail), spec.script);
    }
    if (!run->exited) {
        append_log(spec, started, run->combined, "did not exit");
        co_return fail(Errc::internal, with_tail(spec.script + " did not exit", tail), spec.script);
    }
    int status = run->wait_status;
    if (WIFSIGNALED(status)) {
        std::string headline = spec.script + " was killed by signal " +
                               std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")";
        append_log(spec, started, run->combined, headline);
        co_return fail(Errc::backend_failed, with_tail(headline, tail), spec.script);
    }
    int code = WEXITSTATUS(status);
    append_log(spec, started, run->combined, "exit status " + std::to_string(code));
    if (code != 0)
        co_return fail(Errc::backend_failed,
                       with_tail(spec.script + " failed with exit status " + std::to_string(code), tail),
                       spec.script);
    co_return HookOutcome{0, std::move(run->stdout_text), std::move(tail)};
}

}  // namespace

std::string last_lines(std::string_view text, std::size_t max_lines)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.remove_suffix(1);
    if (max_lines == 0 || text.empty())
        return {};
    std::size_t start = text.size();
    for (std::size_t lines = 0; start > 0; --start) {
        if (text[start - 1] == '\n' && ++lines == max_lines)
            break;
    }
    return std::string(text.substr(start));
}

asio::awaitable<Result<HookOutcome>> run_hook(asio::any_io_executor executor, HookSpec spec)
{
    if (auto checked = check_spec(spec); !checked)
        co_return std::unexpected(checked.error());
    co_return co_await asio::co_spawn(executor, supervise(std::move(spec)), asio::use_awaitable);
}

}  // namespace uxl::daemon
