// The mconsole wire format, and the client and notify listener against a fake guest: a
// datagram socket that answers as UML does (several datagrams, errors, dropped datagrams,
// silence).
#include "uml/mconsole.h"

#include "run_task.h"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace uxl::mconsole {
namespace {

using namespace std::chrono_literals;
using datagram = asio::local::datagram_protocol;
using boost::system::error_code;

using test_support::run_task;

// Runs the loop until `done()` holds or a generous deadline has passed; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done)
{
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(10ms);
    return done();
}

struct TempDir {
    TempDir()
    {
        char pattern[] = "/tmp/uxl-mc-XXXXXX";
        path = mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string path;
};

// The command in a request datagram, checked the way UML checks it.
std::optional<std::string> decode_request(std::span<const char> in)
{
    if (in.size() < 12)
        return std::nullopt;
    std::uint32_t header[3];
    std::memcpy(header, in.data(), 12);
    if (header[0] != magic || header[1] != protocol_version || header[2] >= max_data ||
        header[2] > in.size() - 12)
        return std::nullopt;
    return std::string(in.data() + 12, header[2]);
}

// A fake guest: answers each command with the datagrams `script` gives for it, optionally
// after a delay, and records what it was asked.
class FakeGuest {
public:
    struct Answer {
        std::vector<std::string> datagrams;
        std::chrono::milliseconds delay{0};
    };
    using Script = std::function<Answer(const std::string& command)>;

    FakeGuest(asio::io_context& io, std::string path, Script script)
        : m_socket(io, datagram::endpoint(path)), m_script(std::move(script))
    {
        asio::co_spawn(io, serve(), asio::detached);
    }
    ~FakeGuest()
    {
        error_code ignored;
        m_socket.close(ignored);
    }

    std::vector<std::string> commands;
    int max_outstanding = 0;

private:
    awaitable<void> serve()
    {
        std::array<char, 1024> buffer;
        for (;;) {
            datagram::endpoint client;
            error_code ec;
            std::size_t size = co_await m_socket.async_receive_from(
                asio::buffer(buffer), client, asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                co_return;
            auto command = decode_request(std::span<const char>(buffer.data(), size));
            if (!command)
                continue;
            commands.push_back(*command);
            max_outstanding = std::max(max_outstanding, ++m_outstanding);
            Answer answer = m_script(*command);
            if (answer.delay > 0ms) {
                asio::steady_timer timer(m_socket.get_executor(), answer.delay);
                co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            for (auto& d : answer.datagrams)
                m_socket.send_to(asio::buffer(d), client, 0, ec);
            --m_outstanding;
        }
    }

    datagram::socket m_socket;
    Script m_script;
    int m_outstanding = 0;
};

// Answers like UML 6.1 for the commands the tests use.
FakeGuest::Answer uml_like(const std::string& command)
{
    if (command == "version")
        return {{encode_reply(0, false, "Linux (none) 6.1.176 #1 x86_64")}};
    if (command == "help")
        return {{encode_reply(0, true, "first part, "), encode_reply(0, true, "second part, "),
                 encode_reply(0, false, "last part")}};
    if (command == "sysrq m")  // the final datagram is dropped
        return {{encode_reply(0, true, "Mem-Info:\n"), encode_reply(0, true, "more\n")}};
    if (command == "remove ubd1")
        return {{encode_reply(-EBUSY, false, "Device is currently open")}};
    if (command == "remove ubd2")
        return {{encode_reply(-ENOENT, false, "")}};
    if (command == "silence")
        return {};
    if (command.starts_with("echo "))
        return {{encode_reply(0, false, command.substr(5))}, 30ms};
    if (command == "late")
        return {{encode_reply(0, false, "late answer")}, 250ms};
    return {{encode_reply(1, false, "Unknown command")}};
}

class MconsoleClientTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        guest_path = dir.path + "/mconsole";
        guest.emplace(io, guest_path, uml_like);
    }

    Client make_client(std::chrono::milliseconds timeout = 2000ms)
    {
        auto client = Client::create(io.get_executor(), guest_path, {.timeout = timeout});
        EXPECT_TRUE(client.has_value()) << client.error().message;
        return std::move(*client);
    }

    asio::io_context io;
    TempDir dir;
    std::string guest_path;
    std::optional<FakeGuest> guest;
};

// --- Wire format. ---

TEST(MconsoleWire, RequestIsTheFullNativeEndianStruct)
{
    auto wire = encode_request("version");
    ASSERT_TRUE(wire.has_value());
    ASSERT_EQ(wire->size(), request_size);
    std::uint32_t header[3];
    std::memcpy(header, wire->data(), 12);
    EXPECT_EQ(header[0], 0xcafebabeu);
    EXPECT_EQ(header[1], 2u);
    EXPECT_EQ(header[2], 7u);
    EXPECT_EQ(wire->substr(12, 8), std::string("version\0", 8));
}

TEST(MconsoleWire, RequestOf512BytesIsRefused)
{
    EXPECT_TRUE(encode_request(std::string(511, 'x')).has_value());
    auto too_long = encode_request(std::string(512, 'x'));
    ASSERT_FALSE(too_long.has_value());
    EXPECT_EQ(too_long.error().code, Errc::invalid_argument);
    EXPECT_FALSE(encode_request("").has_value());
}

TEST(MconsoleWire, ReplyLengthCountsTheNul)
{
    std::string wire = encode_reply(0, true, "abc");
    ASSERT_EQ(wire.size(), 12u + 4u);
    std::uint32_t header[3];
    std::memcpy(header, wire.data(), 12);
    EXPECT_EQ(header[1], 1u);
    EXPECT_EQ(header[2], 4u);
    auto part = decode_reply(wire);
    ASSERT_TRUE(part.has_value());
    EXPECT_EQ(part->err, 0);
    EXPECT_TRUE(part->more);
    EXPECT_EQ(part->text, "abc");
}

TEST(MconsoleWire, ReplyErrorIsReadAsNegativeErrno)
{
    // UML sends -EBUSY as the u32 4294967280.
    std::string wire = encode_reply(0, false, "Device is currently open");
    std::uint32_t raw = 4294967280u;
    std::memcpy(wire.data(), &raw, 4);
    auto part = decode_reply(wire);
    ASSERT_TRUE(part.has_value());
    EXPECT_EQ(part->err, -EBUSY);
    EXPECT_EQ(part->text, "Device is currently open");
}

TEST(MconsoleWire, MalformedRepliesAreProtocolErrors)
{
    EXPECT_EQ(decode_reply(std::string(8, '\0')).error().code, Errc::protocol);
    std::string wire = encode_reply(0, false, "abc");
    std::uint32_t huge = 600;
    std::memcpy(wire.data() + 8, &huge, 4);
    EXPECT_EQ(decode_reply(wire).error().code, Errc::protocol);
    std::uint32_t beyond = 10;  // more than the datagram holds
    std::memcpy(wire.data() + 8, &beyond, 4);
    EXPECT_EQ(decode_reply(wire).error().code, Errc::protocol);
}

TEST(MconsoleWire, SocketNotificationCarriesThePath)
{
    auto note = decode_notification(
        encode_notification(NotifyType::socket, std::string("/run/u/vm/mconsole\0", 19)));
    ASSERT_TRUE(note.has_value());
    EXPECT_EQ(note->type, NotifyType::socket);
    EXPECT_EQ(note->text, "/run/u/vm/mconsole");
}

TEST(MconsoleWire, UserNotificationLosesItsNewline)
{
    auto note = decode_notification(encode_notification(NotifyType::user_notify, "guest-init-up\n"));
    ASSERT_TRUE(note.has_value());
    EXPECT_EQ(note->type, NotifyType::user_notify);
    EXPECT_EQ(note->text, "guest-init-up");
}

TEST(MconsoleWire, BadNotificationsAreRefused)
{
    std::string wire = encode_notification(NotifyType::panic, "oops");
    std::string bad_magic = wire;
    bad_magic[0] ^= 1;
    EXPECT_FALSE(decode_notification(bad_magic).has_value());
    std::string bad_type = wire;
    std::uint32_t type = 7;
    std::memcpy(bad_type.data() + 8, &type, 4);
    EXPECT_FALSE(decode_notification(bad_type).has_value());
    EXPECT_FALSE(decode_notification(wire.substr(0, 10)).has_value());
}

// --- The client against the fake guest. ---

TEST_F(MconsoleClientTest, SingleDatagramReply)
{
    auto client = make_client();
    auto reply = run_task(io, client.request("version"));
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    EXPECT_EQ(*reply, "Linux (none) 6.1.176 #1 x86_64");
}

TEST_F(MconsoleClientTest, MultiDatagramReplyIsJoined)
{
    auto client = make_client();
    auto reply = run_task(io, client.request("help"));
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    EXPECT_EQ(*reply, "first part, second part, last part");
}

TEST_F(MconsoleClientTest, ReplyMissingItsLastDatagramTimesOut)
{
    // The reply never completes: only the client's own timeout can end the request (run_task
    // gives up, failing the test, after 10 s).
    auto client = make_client(300ms);
    auto reply = run_task(io, client.request("sysrq m"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::timeout);
    EXPECT_NE(reply.error().message.find("cut short: 2 datagram(s)"), std::string::npos)
        << reply.error().message;
}

TEST_F(MconsoleClientTest, NoReplyTimesOut)
{
    auto client = make_client(200ms);
    auto reply = run_task(io, client.request("silence"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::timeout);
    EXPECT_NE(reply.error().message.find("did not answer"), std::string::npos);
}

TEST_F(MconsoleClientTest, GuestErrorGivesCommandAndReplyText)
{
    auto client = make_client();
    auto reply = run_task(io, client.request("remove ubd1"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::backend_failed);
    EXPECT_EQ(reply.error().message, "remove ubd1: Device is currently open");
}

TEST_F(MconsoleClientTest, GuestErrorWithoutTextUsesTheErrno)
{
    auto client = make_client();
    auto reply = run_task(io, client.request("remove ubd2"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().message, std::string("remove ubd2: ") + std::strerror(ENOENT));
}

TEST_F(MconsoleClientTest, UnknownCommandIsBackendFailure)
{
    auto client = make_client();
    auto reply = run_task(io, client.request("exec ls"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().message, "exec ls: Unknown command");
}

TEST_F(MconsoleClientTest, ConcurrentRequestsAreQueuedAndGetTheirOwnReplies)
{
    auto client = make_client();
    std::map<std::string, std::string> replies;
    int finished = 0;
    for (std::string word : {"alpha", "beta", "gamma"}) {
        asio::co_spawn(io, client.request("echo " + word),
                       [&, word](std::exception_ptr, Result<std::string> reply) {
                           replies[word] = reply ? *reply : "error: " + reply.error().message;
                           ++finished;
                       });
    }
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (finished < 3 && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(50ms);
    ASSERT_EQ(finished, 3);
    EXPECT_EQ(replies["alpha"], "alpha");
    EXPECT_EQ(replies["beta"], "beta");
    EXPECT_EQ(replies["gamma"], "gamma");
    EXPECT_EQ(guest->max_outstanding, 1);
}

TEST_F(MconsoleClientTest, LateReplyIsNotTakenForTheNextAnswer)
{
    auto client = make_client(200ms);
    auto first = run_task(io, client.request("late"));
    ASSERT_FALSE(first.has_value());
    EXPECT_EQ(first.error().code, Errc::timeout);
    // The guest answers `late` about 50 ms after this request is sent, i.e. while it
    // waits; replies carry no id, so only a fresh client address keeps them apart.
    auto second = run_task(io, client.request("echo second"));
    ASSERT_TRUE(second.has_value()) << second.error().message;
    EXPECT_EQ(*second, "second");
}

TEST_F(MconsoleClientTest, CloseFailsTheRequestInProgress)
{
    // The request's own timeout is far beyond the test's waits: only close() can end it.
    auto client = make_client(600s);
    std::optional<Result<std::string>> outcome;
    asio::co_spawn(io, client.request("silence"),
                   [&](std::exception_ptr, Result<std::string> reply) { outcome = reply; });
    ASSERT_TRUE(run_until(io, [&] { return !guest->commands.empty(); })) << "the request never reached the guest";
    EXPECT_FALSE(outcome.has_value());
    client.close();
    ASSERT_TRUE(run_until(io, [&] { return outcome.has_value(); })) << "close() did not end the request";
    ASSERT_FALSE(outcome->has_value());
    EXPECT_EQ(outcome->error().code, Errc::invalid_state);
}

TEST_F(MconsoleClientTest, AbortCurrentFailsWithTheGivenError)
{
    // The request's own timeout is far beyond the test's waits: only abort_current() can end it.
    auto client = make_client(600s);
    std::optional<Result<std::string>> outcome;
    asio::co_spawn(io, client.request("silence"),
                   [&](std::exception_ptr, Result<std::string> reply) { outcome = reply; });
    ASSERT_TRUE(run_until(io, [&] { return !guest->commands.empty(); })) << "the request never reached the guest";
    EXPECT_FALSE(outcome.has_value());
    client.abort_current(Error{Errc::backend_failed, "The guest panicked: x", {}});
    ASSERT_TRUE(run_until(io, [&] { return outcome.has_value(); })) << "abort_current() did not end the request";
    ASSERT_FALSE(outcome->has_value());
    EXPECT_EQ(outcome->error().message, "The guest panicked: x");
    // The client still works afterwards.
    auto reply = run_task(io, client.request("version"));
    EXPECT_TRUE(reply.has_value());
}

TEST_F(MconsoleClientTest, UnreachableGuestIsBackendFailure)
{
    auto client = Client::create(io.get_executor(), dir.path + "/nobody", {.timeout = 500ms});
    ASSERT_TRUE(client.has_value());
    auto reply = run_task(io, client->request("version"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::backend_failed);
}

TEST_F(MconsoleClientTest, NoSocketPathYetIsInvalidState)
{
    auto client = Client::create(io.get_executor(), "");
    ASSERT_TRUE(client.has_value());
    auto reply = run_task(io, client->request("version"));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::invalid_state);
}

TEST_F(MconsoleClientTest, DatagramsFromOtherSocketsAreIgnored)
{
    // Another local socket sends a forged reply to the client's (abstract) address before
    // the guest answers; the client must take only the guest's.
    datagram::socket forger(io, datagram::endpoint(dir.path + "/forger"));
    guest.reset();
    std::filesystem::remove(guest_path);
    datagram::socket real(io, datagram::endpoint(guest_path));
    auto client = make_client();
    std::optional<Result<std::string>> outcome;
    asio::co_spawn(io, client.request("version"),
                   [&](std::exception_ptr, Result<std::string> reply) { outcome = reply; });
    std::array<char, 1024> buffer;
    datagram::endpoint from;
    std::size_t size = 0;
    auto deadline = std::chrono::steady_clock::now() + 2s;
    error_code ec;
    real.non_blocking(true);
    while (std::chrono::steady_clock::now() < deadline) {
        io.run_one_for(10ms);
        size = real.receive_from(asio::buffer(buffer), from, 0, ec);
        if (!ec)
            break;
    }
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(decode_request(std::span<const char>(buffer.data(), size)), "version");
    forger.send_to(asio::buffer(encode_reply(0, false, "forged")), from);
    real.send_to(asio::buffer(encode_reply(0, false, "genuine")), from);
    deadline = std::chrono::steady_clock::now() + 2s;
    while (!outcome && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(10ms);
    ASSERT_TRUE(outcome.has_value());
    ASSERT_TRUE(outcome->has_value()) << outcome->error().message;
    EXPECT_EQ(**outcome, "genuine");
}

// --- The notify listener. ---

TEST(MconsoleNotify, ListenerDeliversNotificationsAndSkipsGarbage)
{
    asio::io_context io;
    TempDir dir;
    std::string path = dir.path + "/notify";
    std::vector<Notification> seen;
    auto listener = NotifyListener::create(io.get_executor(), path,
                                           [&](Notification note) { seen.push_back(note); });
    ASSERT_TRUE(listener.has_value()) << listener.error().message;

    datagram::socket guest(io, datagram());
    datagram::endpoint target(path);
    guest.send_to(asio::buffer(encode_notification(NotifyType::socket,
                                                   std::string("/x/vm/mconsole\0", 15))),
                  target);
    guest.send_to(asio::buffer(std::string("garbage")), target);
    guest.send_to(asio::buffer(encode_notification(NotifyType::panic,
                                                   std::string("sysrq triggered crash\0", 22))),
                  target);
    guest.send_to(asio::buffer(encode_notification(NotifyType::hang, "")), target);
    auto deadline = std::chrono::steady_clock::now() + 2s;
    while (seen.size() < 3 && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(10ms);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].type, NotifyType::socket);
    EXPECT_EQ(seen[0].text, "/x/vm/mconsole");
    EXPECT_EQ(seen[1].type, NotifyType::panic);
    EXPECT_EQ(seen[1].text, "sysrq triggered crash");
    EXPECT_EQ(seen[2].type, NotifyType::hang);
}

TEST(MconsoleNotify, StaleSocketFileIsReplacedAndRemovedOnClose)
{
    asio::io_context io;
    TempDir dir;
    std::string path = dir.path + "/notify";
    {
        // What a killed daemon leaves behind.
        datagram::socket stale(io, datagram::endpoint(path));
    }
    ASSERT_TRUE(std::filesystem::exists(path));
    auto listener = NotifyListener::create(io.get_executor(), path, [](Notification) {});
    ASSERT_TRUE(listener.has_value()) << listener.error().message;
    listener->close();
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(MconsoleNotify, TooLongPathIsRefused)
{
    asio::io_context io;
    auto listener = NotifyListener::create(io.get_executor(), "/tmp/" + std::string(120, 'x'),
                                           [](Notification) {});
    ASSERT_FALSE(listener.has_value());
    EXPECT_EQ(listener.error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace uxl::mconsole
