#include "monitor_client.h"

#include <memory>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace uxl::daemon {

using asio::local::stream_protocol;

std::string monitor_socket(const std::string& dir)
{
    return dir + "/monitor.sock";
}

Result<MonitorStatus> parse_monitor_status(std::string_view line)
{
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return fail(Errc::protocol, "the monitor sent an unreadable status: " + std::string(line));
    MonitorStatus s;
    try {
        s.monitor_pid = j.value("monitor_pid", 0);
        s.guest_pid = j.value("guest_pid", 0);
        s.running = j.value("running", false);
        if (j.contains("exit_code") && j["exit_code"].is_number())
            s.exit_code = j["exit_code"].get<int>();
        if (j.contains("signal") && j["signal"].is_number())
            s.signal = j["signal"].get<int>();
        s.started_at = j.value("started_at", 0.0);
    } catch (const nlohmann::json::exception& e) {
        return fail(Errc::protocol, std::string("the monitor sent a bad status: ") + e.what());
    }
    return s;
}

Result<void> spawn_monitor(const std::string& binary, const std::string& dir)
{
    // The monitor's error messages come back through a pipe on its stderr.
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0)
        return fail(Errc::io, std::string("pipe: ") + std::strerror(errno));

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    // Nothing of the daemon's (listening socket, clients) may leak into a process that
    // outlives it.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    std::string arg_dir = dir;
    std::string arg0 = binary;
    std::string flag = "--dir";
    char* argv[] = {arg0.data(), flag.data(), arg_dir.data(), nullptr};
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(err_pipe[0]);
        return fail(Errc::backend_failed, "cannot start the domain monitor " + binary + ": " +
                                              std::strerror(rc));
    }
    std::string errors;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
        if (n > 0) {
            errors.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    ::close(err_pipe[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (!errors.empty() && errors.back() == '\n')
            errors.pop_back();
        return fail(Errc::backend_failed,
                    errors.empty() ? "the domain monitor failed to start" : errors);
    }
    return {};
}

asio::awaitable<Result<std::string>> monitor_command(std::string dir, std::string command,
                                                     std::chrono::milliseconds timeout)
{
    auto executor = co_await asio::this_coro::executor;
    stream_protocol::socket socket(executor);
    asio::steady_timer timer(executor);
    // The timer's handler may already be queued when the command ends and cancels it (it
    // then runs with success, after this frame is gone): it touches the socket and the flag
    // only while `waiting` says the command still waits.
    auto waiting = std::make_shared<bool>(true);
    auto timed_out = std::make_shared<bool>(false);
    if (timeout.count() > 0) {
        timer.expires_after(timeout);
        timer.async_wait([&socket, waiting, timed_out](const boost::system::error_code& ec) {
            if (!ec && *waiting) {
                *timed_out = true;
                boost::system::error_code ignored;
                socket.close(ignored);
            }
        });
    }
    boost::system::error_code ec;
    co_await socket.async_connect(stream_protocol::endpoint(monitor_socket(dir)),
                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        *waiting = false;
        timer.cancel();
        co_return fail(Errc::backend_failed, "cannot reach the domain monitor at " +
                                                 monitor_socket(dir) + ": " + ec.message());
    }
    const std::string line = command + "\n";
    co_await asio::async_write(socket, asio::buffer(line), asio::redirect_error(asio::use_awaitable, ec));
    std::string reply;
    if (!ec) {
        co_await asio::async_read_until(socket, asio::dynamic_buffer(reply, 1 << 16), '\n',
                                        asio::redirect_error(asio::use_awaitable, ec));
    }
    *waiting = false;
    timer.cancel();
    if (*timed_out)
        co_return fail(Errc::timeout, "the domain monitor did not answer `" + command + "' in time");
    if (ec)
        co_return fail(Errc::backend_failed, "the domain monitor closed the connection (" +
                                                 ec.message() + ")");
    reply.resize(reply.find('\n'));
    co_return reply;
}

asio::awaitable<Result<MonitorStatus>> monitor_status(std::string dir)
{
    auto line = co_await monitor_command(std::move(dir), "status", k_monitor_timeout);
    if (!line)
        co_return std::unexpected(line.error());
    co_return parse_monitor_status(*line);
}

asio::awaitable<Result<MonitorStatus>> monitor_wait(std::string dir)
{
    auto line = co_await monitor_command(std::move(dir), "wait", std::chrono::milliseconds(0));
    if (!line)
        co_return std::unexpected(line.error());
    co_return parse_monitor_status(*line);
}

asio::awaitable<Result<stream_protocol::socket>> monitor_console(std::string dir)
{
    auto executor = co_await asio::this_coro::executor;
    stream_protocol::socket socket(executor);
    boost::system::error_code ec;
    co_await socket.async_connect(stream_protocol::endpoint(monitor_socket(dir)),
                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
        co_return fail(Errc::backend_failed, "cannot reach the domain monitor: " + ec.message());
    static const std::string line = "console\n";
    co_await asio::async_write(socket, asio::buffer(line), asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
        co_return fail(Errc::backend_failed, "the domain monitor closed the console: " + ec.message());
    co_return std::move(socket);
}

}  // namespace uxl::daemon
