// Hostile clients on the control socket: the real uxld in a temporary --root, no guest.
//
// Whatever a client sends (garbage, a line over the 1 MiB limit, half a line and then
// nothing, thousands of connections opened and dropped, requests it never reads the
// replies of), uxld keeps answering other clients and its memory stays bounded. Every wait
// has a generous deadline; nothing asserts on elapsed time.
#include "integration_support.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace uxl_integration;

constexpr auto kReplyTimeout = 30s;
constexpr std::size_t kMaxLine = 1 << 20;  // protocol::k_max_line
constexpr long kRssBoundKb = 64 * 1024;

// One raw connection to the control socket.
class Client {
public:
    explicit Client(int fd) : m_fd(fd) {}
    ~Client() { close(); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool connected() const { return m_fd >= 0; }

    void close()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

    // Sends all of `bytes` (waiting for room up to the deadline); false when the daemon
    // closed the connection or the deadline passed.
    bool send_all(std::string_view bytes, Clock::duration timeout = kReplyTimeout)
    {
        const auto deadline = Clock::now() + timeout;
        while (!bytes.empty()) {
            if (Clock::now() >= deadline)
                return false;
            pollfd p{m_fd, POLLOUT, 0};
            if (::poll(&p, 1, 200) <= 0)
                continue;
            ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (n <= 0)
                return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Sends what fits without waiting; returns how many bytes went.
    std::size_t send_what_fits(std::string_view bytes)
    {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            ssize_t n = ::send(m_fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n <= 0)
                break;
            sent += static_cast<std::size_t>(n);
        }
        return sent;
    }

    // The next line (without '\n'), or nullopt at EOF or the deadline.
    std::optional<std::string> read_line(Clock::duration timeout = kReplyTimeout)
    {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            if (auto nl = m_buffer.find('\n'); nl != std::string::npos) {
                std::string line = m_buffer.substr(0, nl);
                m_buffer.erase(0, nl + 1);
                return line;
            }
            if (!fill(deadline))
                return std::nullopt;
        }
    }

    // Reads until the daemon closes the connection; true when it did before the deadline.
    // What arrived meanwhile is kept for read_line().
    bool closed_by_daemon(Clock::duration timeout = kReplyTimeout)
    {
        const auto deadline = Clock::now() + timeout;
        while (fill(deadline)) {
        }
        return m_eof;
    }

    const std::string& pending() const { return m_buffer; }

private:
    bool fill(Clock::time_point deadline)
    {
        if (m_eof)
            return false;
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left <= 0)
                return false;
            pollfd p{m_fd, POLLIN, 0};
            int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 200)));
            if (ready <= 0)
                continue;
            char buf[65536];
            ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (n <= 0) {
                m_eof = true;  // a reset after our unread bytes counts as a close too
                return false;
            }
            m_buffer.append(buf, static_cast<std::size_t>(n));
            return true;
        }
    }

    int m_fd = -1;
    std::string m_buffer;
    bool m_eof = false;
};

// Whether `reply` answers request `id` with success (the keys come in any order).
::testing::AssertionResult answers_ok(const std::optional<std::string>& reply, int id)
{
    if (!reply)
        return ::testing::AssertionFailure() << "no reply";
    if (reply->find("\"id\":" + std::to_string(id) + ",") == std::string::npos ||
        reply->find("\"ok\":true") == std::string::npos)
        return ::testing::AssertionFailure() << "not a success for id " << id << ": " << reply->substr(0, 300);
    return ::testing::AssertionSuccess();
}

class ControlSocket : public ::testing::Test {
protected:
    void SetUp() override
    {
        ::signal(SIGPIPE, SIG_IGN);
        char tmpl[] = "/tmp/uxlcs.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_root = tmpl;
        std::string problem = m_daemon.start(UXLD_BINARY, m_root, m_root + "/uxld.sock");
        ASSERT_TRUE(problem.empty()) << problem;
    }

    void TearDown() override
    {
        if (m_root.empty())
            return;
        if (HasFailure())
            std::cerr << "=== uxld.log ===\n" << slurp(m_root + "/log/uxld.log") << "\n=== uxld stderr ===\n"
                      << slurp(m_root + "/uxld.stderr");
        EXPECT_TRUE(m_daemon.stop(SIGTERM)) << "uxld did not exit on SIGTERM";
        std::error_code ec;
        fs::remove_all(m_root, ec);
    }

    // A new connection whose greeting has been read.
    std::unique_ptr<Client> connect_client()
    {
        auto client = std::make_unique<Client>(m_daemon.connect());
        if (!client->connected())
            return client;
        auto greeting = client->read_line();
        EXPECT_TRUE(greeting && greeting->find("\"uxld\"") != std::string::npos)
            << "no greeting: " << greeting.value_or("<none>");
        return client;
    }

    // Whether a fresh client gets `list` answered (Domain-0 in it) before the deadline.
    ::testing::AssertionResult list_is_answered()
    {
        auto client = connect_client();
        if (!client->connected())
            return ::testing::AssertionFailure() << "cannot connect";
        if (!client->send_all("{\"id\":9,\"op\":\"list\",\"domain\":\"\",\"long\":false}\n"))
            return ::testing::AssertionFailure() << "cannot send";
        auto reply = client->read_line();
        if (auto ok = answers_ok(reply, 9); !ok)
            return ok;
        if (reply->find("Domain-0") == std::string::npos)
            return ::testing::AssertionFailure() << "list without Domain-0: " << *reply;
        return ::testing::AssertionSuccess();
    }

    long daemon_rss_kb() const
    {
        std::istringstream status(slurp("/proc/" + std::to_string(m_daemon.pid()) + "/status"));
        std::string line;
        while (std::getline(status, line))
            if (line.rfind("VmRSS:", 0) == 0)
                return std::strtol(line.c_str() + 6, nullptr, 10);
        return -1;
    }

    std::string m_root;
    DaemonProcess m_daemon;
};

TEST_F(ControlSocket, GarbageLineGetsAProtocolErrorAndTheSessionGoesOn)
{
    auto client = connect_client();
    ASSERT_TRUE(client->connected());
    ASSERT_TRUE(client->send_all(std::string("\x01\x02not json\xff\xfe\0at all", 19) + "\n"));
    auto reply = client->read_line();
    ASSERT_TRUE(reply.has_value());
    EXPECT_NE(reply->find("\"ok\":false"), std::string::npos) << *reply;
    EXPECT_NE(reply->find("\"code\":\"protocol\""), std::string::npos) << *reply;
    // The protocol keeps a session after a refused line (protocol.h): the next one counts.
    ASSERT_TRUE(client->send_all("{\"id\":3,\"op\":\"info\"}\n"));
    EXPECT_TRUE(answers_ok(client->read_line(), 3));
}

TEST_F(ControlSocket, RefusedRequestIsAnsweredUnderItsId)
{
    auto client = connect_client();
    ASSERT_TRUE(client->send_all("{\"id\":77,\"op\":\"wait\",\"domain\":\"x\",\"timeout\":1e300}\n"));
    auto reply = client->read_line();
    ASSERT_TRUE(reply.has_value());
    EXPECT_NE(reply->find("\"id\":77,\"ok\":false"), std::string::npos) << *reply;
    EXPECT_NE(reply->find("timeout"), std::string::npos) << *reply;
}

TEST_F(ControlSocket, LineOverTheLimitGetsAnErrorAndTheConnectionCloses)
{
    auto client = connect_client();
    // Binary garbage, never a newline, past the limit: the daemon stops reading at the
    // limit, so the send may stall or be reset; either is fine.
    std::string junk(kMaxLine + 4096, '\0');
    for (std::size_t i = 0; i < junk.size(); ++i) {
        const char byte = static_cast<char>((i * 131 + 7) % 256);
        junk[i] = byte == '\n' ? 'x' : byte;
    }
    (void)client->send_all(junk);
    EXPECT_TRUE(client->closed_by_daemon()) << "the oversized client was not dropped";
    auto reply = client->read_line(1s);
    ASSERT_TRUE(reply.has_value()) << "the error reply was lost";
    EXPECT_NE(reply->find("request too long"), std::string::npos) << reply->substr(0, 300);
    EXPECT_TRUE(list_is_answered());
}

TEST_F(ControlSocket, LineOfExactlyTheLimitIsStillARequest)
{
    auto client = connect_client();
    std::string line = "{\"id\":5,\"op\":\"info\"}";
    line.resize(kMaxLine, ' ');  // JSON allows trailing blanks
    ASSERT_TRUE(client->send_all(line + "\n"));
    EXPECT_TRUE(answers_ok(client->read_line(), 5));
}

TEST_F(ControlSocket, HalfALineDoesNotStopOtherClients)
{
    auto stalled = connect_client();
    ASSERT_TRUE(stalled->send_all("{\"id\": 1, \"op\""));
    auto stalled_big = connect_client();
    ASSERT_TRUE(stalled_big->send_all(std::string(kMaxLine / 2, ' ')));  // half a megabyte of a line
    EXPECT_TRUE(list_is_answered());
    EXPECT_TRUE(list_is_answered());
    // The stalled client can still finish its line and be answered.
    ASSERT_TRUE(stalled->send_all(": \"info\"}\n"));
    EXPECT_TRUE(answers_ok(stalled->read_line(), 1));
}

TEST_F(ControlSocket, ClientThatNeverReadsItsRepliesDoesNotStopOthers)
{
    // Requests sent as fast as the socket takes them, replies never read: the daemon's
    // writes to this client stall, and with them its reads from it, not anyone else's.
    auto greedy = connect_client();
    std::string burst;
    for (int i = 0; i < 2000; ++i)
        burst += "{\"id\":" + std::to_string(i + 100) + ",\"op\":\"info\"}\n";
    std::size_t sent = 0;
    for (int round = 0; round < 50; ++round)
        sent += greedy->send_what_fits(burst);
    EXPECT_GT(sent, 0u);
    EXPECT_TRUE(list_is_answered());
    EXPECT_LT(daemon_rss_kb(), kRssBoundKb);
}

// Clients that hold sessions open (each may hold up to a request line in uxld's memory) are
// capped: past the cap a new client gets one error line and is closed; once sessions end,
// clients are served again. So hostile clients cannot make uxld's memory grow without bound.
TEST_F(ControlSocket, SessionsPastTheCapAreTurnedAwayAndServedAgainLater)
{
    constexpr int kCap = 512;  // control_server.cc k_max_sessions
    std::vector<std::unique_ptr<Client>> held;
    for (int i = 0; i < kCap; ++i) {
        auto client = connect_client();
        ASSERT_TRUE(client->connected()) << "connection " << i;
        held.push_back(std::move(client));
    }
    Client turned_away(m_daemon.connect());
    ASSERT_TRUE(turned_away.connected());
    auto refusal = turned_away.read_line();
    ASSERT_TRUE(refusal.has_value()) << "no answer past the cap";
    EXPECT_NE(refusal->find("clients already"), std::string::npos) << *refusal;
    held.resize(kCap - 4);  // four sessions end; uxld sees that when it reads their EOF
    EXPECT_TRUE(wait_until([&] {
        Client client(m_daemon.connect());
        auto first = client.connected() ? client.read_line() : std::nullopt;
        return first && first->find("\"uxld\"") != std::string::npos;
    }, 30s)) << "no session was served again after four ended";
    EXPECT_TRUE(list_is_answered());
}

TEST_F(ControlSocket, ThousandsOfDroppedConnectionsLeaveItAnsweringWithBoundedMemory)
{
    // 10k by default; UXL_TEST_DROPPED_CONNECTIONS=100000 for the long version.
    int count = 10000;
    if (const char* n = std::getenv("UXL_TEST_DROPPED_CONNECTIONS"))
        count = std::max(1, std::atoi(n));
    const long rss_before = daemon_rss_kb();
    int connected = 0;
    for (int i = 0; i < count; ++i) {
        Client client(m_daemon.connect());
        if (!client.connected())
            continue;
        ++connected;
        switch (i % 4) {
        case 0:  // gone at once, greeting unread
            break;
        case 1:  // half a line, then gone
            (void)client.send_what_fits("{\"id\":1,\"op\":\"li");
            break;
        case 2:  // garbage, then gone
            (void)client.send_what_fits("\xff\xfe garbage\n");
            break;
        case 3:  // a request, then gone before the reply
            (void)client.send_what_fits("{\"id\":2,\"op\":\"list\"}\n");
            break;
        }
    }
    EXPECT_EQ(connected, count);
    EXPECT_TRUE(list_is_answered());
    const long rss_after = daemon_rss_kb();
    RecordProperty("rss_before_kb", std::to_string(rss_before));
    RecordProperty("rss_after_kb", std::to_string(rss_after));
    std::cerr << "uxld VmRSS: " << rss_before << " kB before, " << rss_after << " kB after " << count
              << " dropped connections\n";
    EXPECT_GT(rss_after, 0);
    EXPECT_LT(rss_after, kRssBoundKb);
    EXPECT_TRUE(m_daemon.alive());
}

}  // namespace
