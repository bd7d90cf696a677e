// DaemonClient against a fake uxld: a UNIX socket in a scratch directory, served by a
// thread that plays a scripted conversation.
#include "daemon_client.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace uxl::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void send_text(int fd, std::string_view text)
{
    while (!text.empty()) {
        ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
        if (n <= 0)
            return;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Reads up to and including the next newline (or to EOF).
std::string read_line(int fd)
{
    std::string line;
    char c = 0;
    while (::read(fd, &c, 1) == 1) {
        if (c == '\n')
            return line;
        line += c;
    }
    return line;
}

std::string read_to_eof(int fd)
{
    std::string all;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
        all.append(buffer, static_cast<std::size_t>(n));
    return all;
}

// One listening socket; serve() accepts one connection, sends the greeting, and hands the
// connection to the script on a thread.
class FakeDaemon {
public:
    FakeDaemon()
    {
        char dir[] = "/tmp/uxl-client-test-XXXXXX";
        m_dir = ::mkdtemp(dir);
        m_path = m_dir + "/uxld.sock";
        m_listen = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, m_path.c_str());
        EXPECT_EQ(::bind(m_listen, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        EXPECT_EQ(::listen(m_listen, 4), 0);
    }
    ~FakeDaemon()
    {
        if (m_thread.joinable())
            m_thread.join();
        ::close(m_listen);
        fs::remove_all(m_dir);
    }

    void serve(std::function<void(int)> script, std::string greeting = protocol::encode_greeting("test"))
    {
        m_thread = std::thread([this, script = std::move(script), greeting = std::move(greeting)] {
            int fd = ::accept(m_listen, nullptr, nullptr);
            if (fd < 0)
                return;
            send_text(fd, greeting);
            script(fd);
            ::close(fd);
        });
    }
    void join() { m_thread.join(); }
    const std::string& path() const { return m_path; }

private:
    std::string m_dir;
    std::string m_path;
    int m_listen = -1;
    std::thread m_thread;
};

protocol::DecodedRequest next_request(int fd)
{
    auto request = protocol::decode_request(read_line(fd));
    EXPECT_TRUE(request) << request.error().message;
    return request ? *request : protocol::DecodedRequest{};
}

TEST(SocketPath, EnvironmentWinsThenRootThenSession)
{
    EXPECT_EQ(socket_path_for("/tmp/s.sock", true, "/run/user/1000", 1000), "/tmp/s.sock");
    EXPECT_EQ(socket_path_for(nullptr, true, "/run/user/0", 0), "/run/uxl/uxld.sock");
    EXPECT_EQ(socket_path_for("", false, "/run/user/1000", 1000), "/run/user/1000/uxl/uxld.sock");
    EXPECT_EQ(socket_path_for(nullptr, false, nullptr, 1000), "/run/user/1000/uxl/uxld.sock");
}

TEST(DaemonClient, MissingDaemonIsOneSentenceSayingHowToStartIt)
{
    auto client = DaemonClient::connect("/nonexistent/uxld.sock", "uxl");
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, Errc::io);
    const std::string start = ::geteuid() == 0 ? "\"uxld\" or \"systemctl start uxld\"" : "\"uxld\"";
    EXPECT_EQ(client.error().message,
              "uxl: cannot reach uxld at /nonexistent/uxld.sock (No such file or directory); start it with " + start);
}

TEST(DaemonClient, StaleSocketIsUnreachable)
{
    // A socket file left behind by a daemon that died: it exists, but nobody listens.
    char dir[] = "/tmp/uxl-client-test-XXXXXX";
    const std::string path = std::string(::mkdtemp(dir)) + "/uxld.sock";
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::close(fd);

    auto client = DaemonClient::connect(path);
    fs::remove_all(dir);
    ASSERT_FALSE(client);
    EXPECT_NE(client.error().message.find("cannot reach uxld at " + path + " (Connection refused)"),
              std::string::npos)
        << client.error().message;
}

TEST(DaemonClient, CallSendsTheRequestAndReturnsTheReply)
{
    FakeDaemon daemon;
    protocol::DecodedRequest seen;
    daemon.serve([&](int fd) {
        seen = next_request(fd);
        protocol::Reply reply;
        reply.id = seen.id;
        protocol::DomainInfo d;
        d.domid = 3;
        d.name = "web";
        d.running = true;
        d.config_json = "{\"c_info\":{}}";
        reply.domains.push_back(d);
        send_text(fd, protocol::encode_reply(reply));
    });
    auto client = DaemonClient::connect(daemon.path());
    ASSERT_TRUE(client) << client.error().message;
    auto reply = client->call(protocol::ListRequest{"web", true});
    daemon.join();
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_FALSE(reply->error);
    ASSERT_EQ(reply->domains.size(), 1u);
    EXPECT_EQ(reply->domains[0].name, "web");
    EXPECT_EQ(reply->domains[0].config_json, "{\"c_info\":{}}");
    auto* list = std::get_if<protocol::ListRequest>(&seen.request);
    ASSERT_NE(list, nullptr);
    EXPECT_EQ(list->domain, "web");
    EXPECT_TRUE(list->long_format);
}

TEST(DaemonClient, DaemonErrorsComeBackInTheReply)
{
    FakeDaemon daemon;
    daemon.serve([&](int fd) {
        auto request = next_request(fd);
        protocol::Reply reply;
        reply.id = request.id;
        reply.error = Error{Errc::invalid_state, "Domain 3 is not running.", {}};
        send_text(fd, protocol::encode_reply(reply));
    });
    auto client = DaemonClient::connect(daemon.path());
    ASSERT_TRUE(client);
    auto reply = client->call(protocol::DomainRequest{protocol::DomainRequest::Op::pause, "3"});
    ASSERT_TRUE(reply);
    ASSERT_TRUE(reply->error);
    EXPECT_EQ(reply->error->code, Errc::invalid_state);
    EXPECT_EQ(reply->error->message, "Domain 3 is not running.");
}

TEST(DaemonClient, LinesForOtherIdsAreSkipped)
{
    FakeDaemon daemon;
    daemon.serve([&](int fd) {
        auto request = next_request(fd);
        protocol::Reply other;
        other.id = request.id + 100;
        other.name = "not this one";
        protocol::Reply mine;
        mine.id = request.id;
        mine.domid = 7;
        mine.name = "web";
        send_text(fd, protocol::encode_reply(other) + protocol::encode_reply(mine));
    });
    auto client = DaemonClient::connect(daemon.path());
    ASSERT_TRUE(client);
    auto reply = client->call(protocol::DomainRequest{protocol::DomainRequest::Op::lookup, "web"});
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->domid, 7);
    EXPECT_EQ(reply->name, "web");
}

TEST(DaemonClient, SomethingThatIsNotUxldIsRefused)
{
    FakeDaemon daemon;
    daemon.serve([](int) {}, "SSH-2.0-OpenSSH_9.2\n");
    auto client = DaemonClient::connect(daemon.path());
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, Errc::protocol);
    EXPECT_NE(client.error().message.find("is not uxld's socket"), std::string::npos);
}

TEST(DaemonClient, AnotherProtocolVersionIsRefused)
{
    FakeDaemon daemon;
    daemon.serve([](int) {}, "{\"uxld\": \"9.0\", \"protocol\": 9}\n");
    auto client = DaemonClient::connect(daemon.path());
    ASSERT_FALSE(client);
    EXPECT_NE(client.error().message.find("speaks protocol 9"), std::string::npos) << client.error().message;
}

TEST(DaemonClient, ASilentDaemonTimesOut)
{
    // The fake never answers. It hangs up when the client goes, or after 60 s: a client
    // that ignored its 200 ms timeout would then get an I/O error instead of a timeout, and
    // the test would fail rather than hang.
    FakeDaemon daemon;
    daemon.serve([](int fd) {
        next_request(fd);
        pollfd until_the_client_goes{fd, POLLIN, 0};
        (void)::poll(&until_the_client_goes, 1, 60'000);
    });
    {
        auto client = DaemonClient::connect(daemon.path());
        ASSERT_TRUE(client);
        auto reply = client->call(protocol::InfoRequest{}, 200ms);
        ASSERT_FALSE(reply);
        EXPECT_EQ(reply.error().code, Errc::timeout) << reply.error().message;
    }
}

TEST(DaemonClient, ADaemonThatHangsUpIsAnIoError)
{
    FakeDaemon daemon;
    daemon.serve([](int fd) { next_request(fd); });
    auto client = DaemonClient::connect(daemon.path());
    ASSERT_TRUE(client);
    auto reply = client->call(protocol::InfoRequest{});
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Errc::io);
}

TEST(LibxlErrorCode, MapsErrcToXlsNumbers)
{
    EXPECT_EQ(libxl_error_code(Errc::invalid_argument), -6);
    EXPECT_EQ(libxl_error_code(Errc::not_found), -21);
    EXPECT_EQ(libxl_error_code(Errc::unsupported), -4);
    EXPECT_EQ(libxl_error_code(Errc::backend_failed), -3);
}

TEST(IsDomid, DigitsOnly)
{
    EXPECT_TRUE(is_domid("0"));
    EXPECT_TRUE(is_domid("42"));
    EXPECT_FALSE(is_domid(""));
    EXPECT_FALSE(is_domid("web1"));
    EXPECT_FALSE(is_domid("-1"));
}

// A pipe whose read end the relay reads as "stdin", or whose write end it writes as "stdout".
struct Pipe {
    Pipe() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0); }
    ~Pipe()
    {
        close_read();
        close_write();
    }
    void close_read()
    {
        if (fds[0] >= 0)
            ::close(std::exchange(fds[0], -1));
    }
    void close_write()
    {
        if (fds[1] >= 0)
            ::close(std::exchange(fds[1], -1));
    }
    int fds[2] = {-1, -1};
};

TEST(Console, StreamsRecentOutputFirstThenLiveOutputAndForwardsInput)
{
    FakeDaemon daemon;
    std::string typed;
    daemon.serve([&](int fd) {
        auto request = next_request(fd);
        protocol::Reply ok;
        ok.id = request.id;
        // The reply and the start of the stream in one write: the client must not lose it.
        send_text(fd, protocol::encode_reply(ok) + "Booting guest\n");
        char buffer[16];
        ssize_t n = ::read(fd, buffer, 3);
        typed.assign(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
        send_text(fd, "# ");
    });
    auto client = DaemonClient::connect(daemon.path());
    ASSERT_TRUE(client);
    auto reply = client->call(protocol::DomainRequest{protocol::DomainRequest::Op::console, "web"}, std::nullopt);
    ASSERT_TRUE(reply);
    ASSERT_FALSE(reply->error);

    Pipe input, output;
    ASSERT_EQ(::write(input.fds[1], "ls\n", 3), 3);
    input.close_write();  // end of input does not end the stream
    int status = relay_console(client->fd(), client->take_buffered(), input.fds[0], output.fds[1], {});
    daemon.join();
    output.close_write();
    EXPECT_EQ(status, 0);
    EXPECT_EQ(typed, "ls\n");
    EXPECT_EQ(read_to_eof(output.fds[0]), "Booting guest\n# ");
}

TEST(Console, EscapeCharacterDetachesWithoutSendingIt)
{
    FakeDaemon daemon;
    std::string typed;
    daemon.serve([&](int fd) {
        auto request = next_request(fd);
        protocol::Reply ok;
        ok.id = request.id;
        send_text(fd, protocol::encode_reply(ok));
        typed = read_to_eof(fd);  // the daemon keeps the stream open; the client leaves
    });
    {
        auto client = DaemonClient::connect(daemon.path());
        ASSERT_TRUE(client);
        auto reply = client->call(protocol::DomainRequest{protocol::DomainRequest::Op::console, "web"}, std::nullopt);
        ASSERT_TRUE(reply);

        Pipe input, output;
        ASSERT_EQ(::write(input.fds[1], "ab\x1d" "cd", 5), 5);
        RelayOptions options;
        options.escape = 0x1d;
        EXPECT_EQ(relay_console(client->fd(), client->take_buffered(), input.fds[0], output.fds[1], options), 0);
    }
    daemon.join();
    EXPECT_EQ(typed, "ab");
}

}  // namespace
}  // namespace uxl::cli
