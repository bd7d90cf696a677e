// The QMP client against a fake QEMU: a UNIX stream socket in the test that greets, answers
// by id, interleaves events, refuses, stays silent, hangs up or resets as told. And, when
// qemu-system-x86_64 is installed, against a real QEMU with no machine at all
// (`-machine none`): negotiation, query-status, stop/cont and quit with their events.
//
// No test asserts on elapsed time: waits are for conditions, with generous deadlines.
#include "qemu/qmp.h"

#include "fake_qemu.h"
#include "run_task.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

extern char** environ;

namespace uxl::qmp {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;
using stream = asio::local::stream_protocol;
using Json = nlohmann::json;

using test_support::event;
using test_support::FakeQemu;
using test_support::qemu_7_2_greeting;
using test_support::SpawnedProcess;
using test_support::returns;
using test_support::run_task;
using test_support::run_until;
using test_support::TempDir;

// Answers like QEMU 7.2 for the commands most tests use; "hold" is never answered.
FakeQemu::Answer qemu_like(const Json& command)
{
    const std::string name = command.value("execute", "");
    if (name == "qmp_capabilities" || name == "stop" || name == "cont")
        return {{returns(command)}};
    if (name == "query-status")
        return {{returns(command, {{"status", "running"}, {"singlestep", false}, {"running", true}})}};
    if (name == "hold")
        return {};
    return {{Json{{"error", {{"class", "CommandNotFound"},
                             {"desc", "The command " + name + " has not been found"}}},
                  {"id", command["id"]}}
                 .dump()}};
}

class QmpClientTest : public ::testing::Test {
protected:
    void start_fake(FakeQemu::Script script = qemu_like, std::string greeting = qemu_7_2_greeting)
    {
        fake.emplace(io, path, std::move(script), std::move(greeting));
    }

    Result<Client> connect(std::chrono::milliseconds timeout = 5000ms)
    {
        ClientOptions options;
        options.timeout = timeout;
        options.on_event = [this](Event e) { events.push_back(std::move(e)); };
        options.on_disconnect = [this](Error e) { disconnects.push_back(std::move(e)); };
        return run_task(io, Client::connect(io.get_executor(), path, std::move(options)));
    }

    Client connected(std::chrono::milliseconds timeout = 5000ms)
    {
        auto client = connect(timeout);
        EXPECT_TRUE(client.has_value()) << client.error().message;
        return client ? std::move(*client) : Client();
    }

    // Starts a command without waiting for it; the slot fills when it finishes.
    std::shared_ptr<std::optional<Result<std::string>>> start(Client& client, std::string command)
    {
        auto slot = std::make_shared<std::optional<Result<std::string>>>();
        asio::co_spawn(io, client.execute(std::move(command)),
                       [slot](std::exception_ptr, Result<std::string> r) { *slot = std::move(r); });
        return slot;
    }

    asio::io_context io;
    TempDir dir;
    std::string path = dir.path + "/qmp.sock";
    std::optional<FakeQemu> fake;
    std::vector<Event> events;
    std::vector<Error> disconnects;
};

TEST_F(QmpClientTest, ConnectReadsTheGreetingAndNegotiatesCapabilities)
{
    start_fake();
    Client client = connected();
    EXPECT_EQ(client.greeting().version, "7.2.22");
    EXPECT_EQ(client.greeting().package, "Debian 1:7.2+dfsg-7+deb12u18+b3");
    EXPECT_EQ(client.greeting().capabilities, std::vector<std::string>{"oob"});
    ASSERT_EQ(fake->commands.size(), 1u);
    EXPECT_EQ(fake->commands[0]["execute"], "qmp_capabilities");
    EXPECT_FALSE(fake->commands[0].contains("arguments"));
    EXPECT_TRUE(fake->commands[0]["id"].is_number_unsigned());
    EXPECT_TRUE(client.connected());
}

TEST_F(QmpClientTest, CommandReturnsTheReturnMemberAsJsonText)
{
    start_fake();
    Client client = connected();
    auto status = run_task(io, client.execute("query-status"));
    ASSERT_TRUE(status.has_value()) << status.error().message;
    EXPECT_EQ(Json::parse(*status)["status"], "running");
}

TEST_F(QmpClientTest, ArgumentsAreSentAsAnObject)
{
    start_fake([](const Json& c) { return FakeQemu::Answer{{returns(c, "VM status: running\r\n")}}; });
    Client client = connected();
    auto reply = run_task(io, client.execute("human-monitor-command",
                                             R"({"command-line": "info status"})"));
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    EXPECT_EQ(Json::parse(*reply), "VM status: running\r\n");
    ASSERT_EQ(fake->commands.size(), 2u);
    EXPECT_EQ(fake->commands[1]["arguments"], Json({{"command-line", "info status"}}));
}

TEST_F(QmpClientTest, ArgumentsThatAreNotAnObjectAreRefusedUnsent)
{
    start_fake();
    Client client = connected();
    auto reply = run_task(io, client.execute("device_del", "[1, 2]"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::invalid_argument);
    EXPECT_EQ(fake->commands.size(), 1u);  // only the negotiation
}

TEST_F(QmpClientTest, ErrorAnswerIsBackendFailedWithQemusDescription)
{
    start_fake();
    Client client = connected();
    auto reply = run_task(io, client.execute("no-such-command"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::backend_failed);
    EXPECT_EQ(reply.error().message, "The command no-such-command has not been found");
    EXPECT_EQ(reply.error().context, "CommandNotFound");
}

TEST_F(QmpClientTest, AnswersAreMatchedToCommandsById)
{
    // The first command is answered only after the second, and the second first.
    std::optional<Json> first;
    start_fake([&](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "first") {
            first = c;
            return {};
        }
        if (c["execute"] == "second")
            return {{returns(c, "two"), returns(*first, "one")}};
        return qemu_like(c);
    });
    Client client = connected();
    auto one = start(client, "first");
    auto two = start(client, "second");
    ASSERT_TRUE(run_until(io, [&] { return one->has_value() && two->has_value(); }));
    ASSERT_TRUE(one->value().has_value());
    ASSERT_TRUE(two->value().has_value());
    EXPECT_EQ(**one, "\"one\"");
    EXPECT_EQ(**two, "\"two\"");
}

TEST_F(QmpClientTest, EventsBetweenAnswersAreDeliveredInOrderWithTheirData)
{
    start_fake([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "stop")
            return {{event("STOP"), returns(c),
                     event("SHUTDOWN", Json{{"guest", true}, {"reason", "guest-shutdown"}})}};
        return qemu_like(c);
    });
    Client client = connected();
    auto reply = run_task(io, client.execute("stop"));
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    ASSERT_TRUE(run_until(io, [&] { return events.size() == 2; }));
    EXPECT_EQ(events[0].name, "STOP");
    EXPECT_EQ(events[0].data, "{}");
    EXPECT_EQ(events[1].name, "SHUTDOWN");
    EXPECT_EQ(Json::parse(events[1].data), Json({{"guest", true}, {"reason", "guest-shutdown"}}));
}

TEST_F(QmpClientTest, EventsArriveWithoutAnyCommand)
{
    start_fake();
    Client client = connected();
    fake->send(event("RESET", Json{{"guest", true}, {"reason", "guest-reset"}}));
    fake->send(event("RESET", Json{{"guest", true}, {"reason", "guest-reset"}}));
    ASSERT_TRUE(run_until(io, [&] { return events.size() == 2; }));
    EXPECT_EQ(events[1].name, "RESET");
}

TEST_F(QmpClientTest, AnswerToAnUnknownIdIsIgnored)
{
    start_fake([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "query-status")
            return {{Json{{"return", "not yours"}, {"id", 9999}}.dump(),
                     Json{{"return", "no id"}}.dump(),
                     returns(c, "yours")}};
        return qemu_like(c);
    });
    Client client = connected();
    auto reply = run_task(io, client.execute("query-status"));
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    EXPECT_EQ(*reply, "\"yours\"");
}

TEST_F(QmpClientTest, SilentQemuTimesOutAndItsLateAnswerIsIgnored)
{
    start_fake();
    Client client = connected(300ms);
    auto reply = run_task(io, client.execute("hold"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::timeout);
    ASSERT_EQ(fake->commands.back()["execute"], "hold");

    // The late answer to `hold' must not be taken for the answer to the next command.
    fake->send(returns(fake->commands.back(), "late"));
    auto status = run_task(io, client.execute("query-status"));
    ASSERT_TRUE(status.has_value()) << status.error().message;
    EXPECT_EQ(Json::parse(*status)["status"], "running");
    EXPECT_TRUE(disconnects.empty());
}

TEST_F(QmpClientTest, EndOfFileDuringACommandFailsItAndIsReportedOnce)
{
    start_fake([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "query-status")
            return {{}, /*hang_up=*/true};
        return qemu_like(c);
    });
    Client client = connected();
    auto reply = run_task(io, client.execute("query-status"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::io);
    ASSERT_EQ(disconnects.size(), 1u);
    EXPECT_EQ(disconnects[0].code, Errc::io);
    EXPECT_FALSE(client.connected());

    auto after = run_task(io, client.execute("query-status"));
    ASSERT_FALSE(after.has_value());
    EXPECT_EQ(after.error().code, Errc::invalid_state);
    EXPECT_EQ(disconnects.size(), 1u);
}

TEST_F(QmpClientTest, ConnectionResetIsReportedOnce)
{
    // A peer that closes with bytes of ours unread resets the connection (ECONNRESET), as
    // QEMU does after `quit' when another command was already on its way.
    start_fake([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "stop")
            return {{returns(c)}, false, /*stop_reading=*/true};
        return qemu_like(c);
    });
    Client client = connected();
    ASSERT_TRUE(run_task(io, client.execute("stop")).has_value());
    auto pending = start(client, "query-status");
    ASSERT_TRUE(run_until(io, [&] { return fake->unread_bytes() > 0; }));
    fake->hang_up();
    ASSERT_TRUE(run_until(io, [&] { return pending->has_value(); }));
    ASSERT_FALSE(pending->value().has_value());
    EXPECT_EQ(pending->value().error().code, Errc::io);
    ASSERT_EQ(disconnects.size(), 1u);
    EXPECT_NE(disconnects[0].message.find("reset"), std::string::npos) << disconnects[0].message;
}

TEST_F(QmpClientTest, CloseFailsOutstandingCommandsAndIsIdempotent)
{
    start_fake();
    Client client = connected();
    auto held = start(client, "hold");
    ASSERT_TRUE(run_until(io, [&] { return fake->commands.size() == 2; }));
    client.close();
    client.close();
    ASSERT_TRUE(run_until(io, [&] { return held->has_value(); }));
    ASSERT_FALSE(held->value().has_value());
    EXPECT_EQ(held->value().error().code, Errc::invalid_state);
    // Closing is not a disconnection to report, and nothing is delivered after it.
    fake->send(event("STOP"));
    io.poll();
    EXPECT_TRUE(disconnects.empty());
    EXPECT_TRUE(events.empty());
}

TEST_F(QmpClientTest, EventHandlerMayCloseTheClient)
{
    start_fake();
    std::optional<Client> client;
    ClientOptions options;
    options.on_event = [&](Event e) {
        events.push_back(std::move(e));
        client->close();
    };
    auto made = run_task(io, Client::connect(io.get_executor(), path, std::move(options)));
    ASSERT_TRUE(made.has_value()) << made.error().message;
    client.emplace(std::move(*made));
    fake->send(event("STOP"));
    fake->send(event("RESUME"));
    ASSERT_TRUE(run_until(io, [&] { return !events.empty() && !client->connected(); }));
    io.poll();
    EXPECT_EQ(events.size(), 1u);
}

TEST_F(QmpClientTest, ConnectFailsWhenNothingListens)
{
    auto client = connect();
    ASSERT_FALSE(client.has_value());
    EXPECT_EQ(client.error().code, Errc::io);
}

TEST_F(QmpClientTest, ConnectTimesOutWithoutAGreeting)
{
    start_fake(qemu_like, /*greeting=*/"");
    auto client = connect(300ms);
    ASSERT_FALSE(client.has_value());
    EXPECT_EQ(client.error().code, Errc::timeout);
}

TEST_F(QmpClientTest, ConnectFailsWhenThePeerDoesNotSpeakQmp)
{
    start_fake(qemu_like, R"({"uxld": 1, "protocol": 1})");
    auto client = connect();
    ASSERT_FALSE(client.has_value());
    EXPECT_EQ(client.error().code, Errc::protocol);
}

TEST_F(QmpClientTest, RefusedNegotiationFailsConnect)
{
    start_fake([](const Json& c) -> FakeQemu::Answer {
        return {{Json{{"error", {{"class", "CommandNotFound"},
                                 {"desc", "Capabilities negotiation is already complete, command ignored"}}},
                      {"id", c["id"]}}
                     .dump()}};
    });
    auto client = connect();
    ASSERT_FALSE(client.has_value());
    EXPECT_EQ(client.error().code, Errc::backend_failed);
    EXPECT_NE(client.error().message.find("already complete"), std::string::npos);
}

TEST(QmpClient, NeverConnectedClientRefusesCommands)
{
    asio::io_context io;
    Client client;
    auto reply = run_task(io, client.execute("query-status"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::invalid_state);
    EXPECT_FALSE(client.connected());
}

// --- A real QEMU. ---

constexpr const char* qemu_program = "/usr/bin/qemu-system-x86_64";

TEST(QmpRealQemu, NegotiatesQueriesStopsResumesAndQuits)
{
    if (::access(qemu_program, X_OK) != 0)
        GTEST_SKIP() << qemu_program << " is not installed (Debian's qemu-system-x86)";
    TempDir dir;
    const std::string socket = dir.path + "/qmp.sock";
    std::vector<std::string> args = {qemu_program, "-machine", "none", "-nodefaults",
                                     "-no-user-config", "-display", "none", "-qmp",
                                     "unix:" + socket + ",server=on,wait=off"};
    SpawnedProcess qemu(args, dir.path + "/qemu.log");
    ASSERT_TRUE(qemu.started());

    asio::io_context io;
    std::vector<Event> events;
    int disconnects = 0;
    ClientOptions options;
    options.timeout = 10s;
    options.on_event = [&](Event e) { events.push_back(std::move(e)); };
    options.on_disconnect = [&](Error) { ++disconnects; };
    // QEMU binds its socket a moment before it listens on it: until then a connection is
    // refused (or the file is not there yet), so try again until a deadline.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    Result<Client> made = fail(Errc::io, "not tried");
    while (!made && made.error().code == Errc::io && std::chrono::steady_clock::now() < deadline) {
        made = run_task(io, Client::connect(io.get_executor(), socket, options));
        if (!made)
            std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(made.has_value()) << made.error().message;
    Client& client = *made;
    EXPECT_FALSE(client.greeting().version.empty());

    auto status = run_task(io, client.execute("query-status"));
    ASSERT_TRUE(status.has_value()) << status.error().message;
    EXPECT_EQ(Json::parse(*status)["status"], "running");

    auto seen = [&](const std::string& name) {
        return std::any_of(events.begin(), events.end(), [&](const Event& e) { return e.name == name; });
    };
    ASSERT_TRUE(run_task(io, client.execute("stop")).has_value());
    ASSERT_TRUE(run_until(io, [&] { return seen("STOP"); }));
    ASSERT_TRUE(run_task(io, client.execute("cont")).has_value());
    ASSERT_TRUE(run_until(io, [&] { return seen("RESUME"); }));

    auto quit = run_task(io, client.execute("quit"));
    ASSERT_TRUE(quit.has_value()) << quit.error().message;
    ASSERT_TRUE(run_until(io, [&] { return seen("SHUTDOWN") && disconnects > 0; }));
    EXPECT_EQ(disconnects, 1);
    const Event& shutdown = *std::find_if(events.begin(), events.end(),
                                          [](const Event& e) { return e.name == "SHUTDOWN"; });
    EXPECT_EQ(Json::parse(shutdown.data)["reason"], "host-qmp-quit");

    std::optional<int> ended = qemu.wait();
    ASSERT_TRUE(ended.has_value());
    EXPECT_TRUE(WIFEXITED(*ended) && WEXITSTATUS(*ended) == 0);
}

}  // namespace
}  // namespace uxl::qmp
