// Shared by the QEMU tests: a fake QEMU that speaks QMP on a UNIX stream socket, and the
// loop helpers they wait with (conditions and generous deadlines, never elapsed time).
#pragma once

#include "uxl/asio.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace uxl::test_support {

using namespace std::chrono_literals;
using Json = nlohmann::json;

inline constexpr const char* qemu_7_2_greeting =
    R"({"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, )"
    R"("package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}})";

// Runs the loop until `done()` holds or a generous deadline has passed; returns done().
inline bool run_until(asio::io_context& io, const std::function<bool()>& done)
{
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        // A loop that ran out of work stops, and stays stopped until restarted.
        if (io.stopped())
            io.restart();
        if (io.run_one_for(10ms) == 0)
            std::this_thread::sleep_for(1ms);  // nothing queued: the condition is outside
    }
    return done();
}

struct TempDir {
    TempDir()
    {
        char pattern[] = "/tmp/uxl-qmp-XXXXXX";
        path = mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string path;
};

// The answer QEMU gives to `command` when it succeeds.
inline std::string returns(const Json& command, Json result = Json::object())
{
    return Json{{"return", std::move(result)}, {"id", command["id"]}}.dump();
}

inline std::string event(std::string name, std::optional<Json> data = std::nullopt)
{
    Json message = {{"timestamp", {{"seconds", 1}, {"microseconds", 2}}}, {"event", name}};
    if (data)
        message["data"] = *data;
    return message.dump();
}

// A fake QEMU: accepts one connection, greets, and answers each command line with what
// the script says; the test may also send lines of its own (events, late answers).
class FakeQemu {
    using error_code = boost::system::error_code;
    using stream = asio::local::stream_protocol;


public:
    struct Answer {
        std::vector<std::string> lines;  // sent in order, each followed by "\n"
        bool hang_up = false;            // close the connection after them
        bool stop_reading = false;       // leave whatever comes next unread
    };
    using Script = std::function<Answer(const Json& command)>;

    FakeQemu(asio::io_context& io, std::string path, Script script,
             std::string greeting = qemu_7_2_greeting)
        : m_acceptor(io, stream::endpoint(path)), m_connection(io), m_script(std::move(script)),
          m_greeting(std::move(greeting))
    {
        asio::co_spawn(io, serve(), asio::detached);
    }

    void send(const std::string& line)
    {
        error_code ignored;
        asio::write(m_connection, asio::buffer(line + "\n"), ignored);
    }
    void hang_up()
    {
        error_code ignored;
        m_connection.close(ignored);
    }
    // Bytes the client sent that we have not read.
    int unread_bytes()
    {
        int count = 0;
        return ::ioctl(m_connection.native_handle(), FIONREAD, &count) == 0 ? count : -1;
    }

    std::vector<Json> commands;
    bool accepted = false;

private:
    awaitable<void> serve()
    {
        error_code ec;
        co_await m_acceptor.async_accept(m_connection, asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            co_return;
        accepted = true;
        if (!m_greeting.empty())
            send(m_greeting);
        std::string buffer;
        for (;;) {
            std::size_t size = co_await asio::async_read_until(
                m_connection, asio::dynamic_buffer(buffer), '\n',
                asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                co_return;
            Json command = Json::parse(buffer.substr(0, size));
            buffer.erase(0, size);
            commands.push_back(command);
            Answer answer = m_script(command);
            for (const std::string& line : answer.lines)
                send(line);
            if (answer.hang_up)
                hang_up();
            if (answer.hang_up || answer.stop_reading)
                co_return;
        }
    }

    stream::acceptor m_acceptor;
    stream::socket m_connection;
    Script m_script;
    std::string m_greeting;
};

// A real QEMU (or any program) started for a test from `args`, stdin on /dev/null and
// stdout and stderr to `log`; killed and reaped when the test ends before wait() reaps it.
class SpawnedProcess {
public:
    explicit SpawnedProcess(std::vector<std::string> args, const std::string& log = "/dev/null")
    {
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t files;
        posix_spawn_file_actions_init(&files);
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT, 0600);
        posix_spawn_file_actions_adddup2(&files, 1, 2);
        if (posix_spawn(&m_pid, argv[0], &files, nullptr, argv.data(), environ) != 0)
            m_pid = -1;
        posix_spawn_file_actions_destroy(&files);
    }
    ~SpawnedProcess()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
    }
    SpawnedProcess(const SpawnedProcess&) = delete;
    SpawnedProcess& operator=(const SpawnedProcess&) = delete;

    bool started() const { return m_pid > 0; }
    // Waits for the process to end; its waitpid status, or nullopt when it was not started.
    std::optional<int> wait()
    {
        if (m_pid <= 0)
            return std::nullopt;
        int status = 0;
        if (::waitpid(m_pid, &status, 0) != m_pid)
            return std::nullopt;
        m_pid = -1;
        return status;
    }

private:
    pid_t m_pid = -1;
};

}  // namespace uxl::test_support
