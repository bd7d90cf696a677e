// The guest agent client: its messages, a conversation with a fake qemu-ga on a UNIX
// socket (sync past stale bytes, guest-shutdown, the agent's refusal, silence, nobody
// there), and the QEMU controller's shutdown and reboot through it.
#include "qemu/guest_agent.h"

#include "qemu/qemu_controller.h"

#include "fake_qemu.h"
#include "run_task.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace uxl {
namespace {

using namespace std::chrono_literals;
using qemu::AgentShutdown;
using qemu::guest_agent_shutdown;
using test_support::FakeQemu;
using test_support::Json;
using test_support::returns;
using test_support::run_task;
using test_support::run_until;
using test_support::TempDir;

// A fake qemu-ga: takes one connection, and answers each request (read up to its newline,
// a leading 0xFF dropped) with what the script says. `stale` is sent before anything else,
// as if an earlier conversation had left it in the channel.
class FakeAgent {
    using stream = asio::local::stream_protocol;

public:
    using Script = std::function<std::vector<std::string>(const Json& request)>;

    FakeAgent(asio::io_context& io, const std::string& path, Script script, std::string stale = {})
        : m_acceptor(io, stream::endpoint(path)), m_connection(io), m_script(std::move(script)),
          m_stale(std::move(stale))
    {
        asio::co_spawn(io, serve(), asio::detached);
    }

    std::vector<Json> requests;
    bool saw_reset_byte = false;

private:
    awaitable<void> serve()
    {
        boost::system::error_code ec;
        co_await m_acceptor.async_accept(m_connection, asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            co_return;
        if (!m_stale.empty())
            asio::write(m_connection, asio::buffer(m_stale), ec);
        std::string buffer;
        for (;;) {
            std::size_t size = co_await asio::async_read_until(m_connection, asio::dynamic_buffer(buffer), '\n',
                                                               asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                co_return;
            std::string line = buffer.substr(0, size);
            buffer.erase(0, size);
            if (!line.empty() && line[0] == '\xff') {
                saw_reset_byte = true;
                line.erase(0, 1);
            }
            Json request = Json::parse(line);
            requests.push_back(request);
            for (const std::string& reply : m_script(request))
                asio::write(m_connection, asio::buffer(reply), ec);
        }
    }

    stream::acceptor m_acceptor;
    stream::socket m_connection;
    Script m_script;
    std::string m_stale;
};

// qemu-ga as it is: the sync answered behind 0xFF, guest-shutdown answered only on failure.
std::vector<std::string> agent_like(const Json& request)
{
    if (request.value("execute", "") == "guest-sync-delimited")
        return {"\xff" + Json{{"return", request["arguments"]["id"]}}.dump() + "\n"};
    return {};
}

TEST(GuestAgentMessages, SyncStartsWithTheResetByte)
{
    EXPECT_EQ(qemu::guest_agent_sync_request(42),
              "\xff{\"arguments\":{\"id\":42},\"execute\":\"guest-sync-delimited\"}\n");
    EXPECT_EQ(qemu::guest_agent_shutdown_request("reboot"),
              "{\"arguments\":{\"mode\":\"reboot\"},\"execute\":\"guest-shutdown\"}\n");
}

TEST(GuestAgentMessages, RepliesAreReadForTheirId)
{
    EXPECT_TRUE(qemu::read_agent_reply(R"({"return": 42})", 42).synced);
    EXPECT_FALSE(qemu::read_agent_reply(R"({"return": 41})", 42).synced);
    EXPECT_FALSE(qemu::read_agent_reply(R"({"return": {}})", 42).synced);
    EXPECT_FALSE(qemu::read_agent_reply("not json", 42).synced);
    EXPECT_EQ(qemu::read_agent_reply(R"({"error": {"class": "GenericError", "desc": "no"}})", 42).error, "no");
}

TEST(GuestAgentMessages, ThePortIsOpenOnlyWhenQemuSaysSo)
{
    const std::string open = R"([{"frontend-open": true, "filename": "unix:/r/qga.sock,server=on", "label": "qga0"},
                                 {"frontend-open": true, "filename": "stdio", "label": "console0"}])";
    const std::string closed = R"([{"frontend-open": false, "filename": "unix:/r/qga.sock", "label": "qga0"}])";
    const std::string none = R"([{"frontend-open": true, "filename": "stdio", "label": "console0"}])";
    EXPECT_TRUE(qemu::guest_agent_port_open(open));
    EXPECT_FALSE(qemu::guest_agent_port_open(closed));
    EXPECT_FALSE(qemu::guest_agent_port_open(none));
    EXPECT_FALSE(qemu::guest_agent_port_open("{}"));
}

class GuestAgentTest : public ::testing::Test {
protected:
    AgentShutdown request(std::string mode)
    {
        AgentShutdown r;
        r.socket_path = path;
        r.mode = std::move(mode);
        r.sync_id = 7;
        r.sync_timeout = 300ms;
        r.failure_wait = 100ms;
        return r;
    }

    // A QEMU controller on the QMP socket `qmp`, once it has said it is ready; null otherwise.
    std::unique_ptr<Controller> connected_controller(const std::string& qmp)
    {
        auto made = make_qemu_controller(io.get_executor(), qmp);
        if (!made)
            return nullptr;
        auto controller = std::move(*made);
        bool ready = false;
        controller->on_event([&ready](ControllerEvent e) { ready = ready || e.kind == GuestEvent::control_ready; });
        if (!run_until(io, [&] { return ready; }))
            return nullptr;
        controller->on_event({});
        return controller;
    }

    asio::io_context io;
    TempDir dir;
    std::string path = dir.path + "/qga.sock";
};

TEST_F(GuestAgentTest, SyncsPastStaleBytesThenAsksForTheShutdown)
{
    // Stale: a half answer and a whole one from an earlier conversation, one that even echoes
    // our id but comes before the agent's 0xFF.
    FakeAgent agent(io, path, agent_like, "{\"return\": 3}\n{\"return\": 7}\n");
    auto done = run_task(io, guest_agent_shutdown(io.get_executor(), request("reboot")));
    ASSERT_TRUE(done.has_value()) << done.error().message;
    ASSERT_EQ(agent.requests.size(), 2u);
    EXPECT_TRUE(agent.saw_reset_byte);
    EXPECT_EQ(agent.requests[0]["execute"], "guest-sync-delimited");
    EXPECT_EQ(agent.requests[0]["arguments"]["id"], 7);
    EXPECT_EQ(agent.requests[1]["execute"], "guest-shutdown");
    EXPECT_EQ(agent.requests[1]["arguments"]["mode"], "reboot");
}

TEST_F(GuestAgentTest, TheAgentsRefusalIsTheError)
{
    FakeAgent agent(io, path, [](const Json& request) -> std::vector<std::string> {
        if (request.value("execute", "") == "guest-shutdown")
            return {R"({"error": {"class": "GenericError", "desc": "child process has failed to shutdown"}})" "\n"};
        return agent_like(request);
    });
    auto done = run_task(io, guest_agent_shutdown(io.get_executor(), request("powerdown")));
    ASSERT_FALSE(done.has_value());
    EXPECT_EQ(done.error().code, Errc::backend_failed);
    EXPECT_NE(done.error().message.find("child process has failed to shutdown"), std::string::npos)
        << done.error().message;
}

TEST_F(GuestAgentTest, NoAnswerToTheSyncMeansNoAgentAndNoShutdownIsSent)
{
    // What QEMU's socket does while no guest has the port open: takes the bytes, says nothing.
    FakeAgent agent(io, path, [](const Json&) { return std::vector<std::string>{}; });
    auto done = run_task(io, guest_agent_shutdown(io.get_executor(), request("reboot")));
    ASSERT_FALSE(done.has_value());
    EXPECT_EQ(done.error().code, Errc::unsupported);
    ASSERT_TRUE(run_until(io, [&] { return agent.requests.size() == 1; }));
    EXPECT_EQ(agent.requests[0]["execute"], "guest-sync-delimited");
}

TEST_F(GuestAgentTest, NobodyListeningIsNoAgent)
{
    auto done = run_task(io, guest_agent_shutdown(io.get_executor(), request("reboot")));
    ASSERT_FALSE(done.has_value());
    EXPECT_EQ(done.error().code, Errc::unsupported);
    EXPECT_NE(done.error().message.find("qemu-ga"), std::string::npos) << done.error().message;
}

// The controller: with the agent's port open (query-chardev), shutdown and reboot go to the
// agent; with it closed, shutdown presses the power button and reboot is refused.
FakeQemu::Answer qemu_with_agent_port(const Json& command, bool open)
{
    const std::string name = command.value("execute", "");
    if (name == "query-chardev")
        return {{returns(command, Json::array({{{"label", "qga0"}, {"filename", "unix:x"}, {"frontend-open", open}}}))}};
    if (name == "query-cpus-fast" || name == "query-pci")
        return {{returns(command, Json::array())}};
    return {{returns(command)}};
}

TEST_F(GuestAgentTest, TheControllerShutsDownAndRebootsThroughTheAgent)
{
    const std::string qmp = dir.path + "/qmp.sock";
    FakeQemu fake(io, qmp, [](const Json& c) { return qemu_with_agent_port(c, true); });
    FakeAgent agent(io, path, agent_like);
    auto controller = connected_controller(qmp);
    ASSERT_TRUE(controller);

    ASSERT_TRUE(run_task(io, controller->reboot()).has_value());
    ASSERT_EQ(agent.requests.size(), 2u);
    EXPECT_EQ(agent.requests[1]["arguments"]["mode"], "reboot");
    for (const Json& c : fake.commands)
        EXPECT_NE(c.value("execute", ""), "system_reset");
}

TEST_F(GuestAgentTest, WithoutTheAgentsPortShutdownIsThePowerButtonAndRebootIsRefused)
{
    const std::string qmp = dir.path + "/qmp.sock";
    FakeQemu fake(io, qmp, [](const Json& c) { return qemu_with_agent_port(c, false); });
    auto controller = connected_controller(qmp);
    ASSERT_TRUE(controller);

    ASSERT_TRUE(run_task(io, controller->shutdown()).has_value());
    EXPECT_EQ(fake.commands.back().value("execute", ""), "system_powerdown");
    auto refused = run_task(io, controller->reboot());
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, Errc::unsupported);
    EXPECT_NE(refused.error().message.find("guest agent"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace uxl
