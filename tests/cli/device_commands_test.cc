// The device commands (block-*, network-*, pci-list) run for real against a scripted
// daemon: a UNIX socket served by a thread that checks each request line and answers it
// with a canned reply. What is tested is the CLI's side: the requests it sends, and xl's
// exact texts, layouts and exit codes for each answer. (The daemon's side, with real UML
// guests, is tested in tests/integration.)
#include "run_uxl.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <poll.h>
#include <regex>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace uxl::test {
namespace {

constexpr int k_wait_ms = 10'000;

// One request the script expects (every string in `contains` must be in its line) and the
// reply to it, without the id: `"ok":true,"domid":3` becomes {"id":N,"ok":true,"domid":3}.
struct Exchange {
    std::vector<std::string> contains;
    std::string reply;
};

class ScriptedDaemon {
public:
    explicit ScriptedDaemon(std::vector<Exchange> script) : m_script(std::move(script))
    {
        char dir[] = "/tmp/uxl-device-test-XXXXXX";
        m_dir = ::mkdtemp(dir);
        m_path = m_dir + "/uxld.sock";
        m_listen = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, m_path.c_str());
        EXPECT_EQ(::bind(m_listen, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        EXPECT_EQ(::listen(m_listen, 4), 0);
        m_thread = std::thread([this] { serve(); });
    }
    ~ScriptedDaemon()
    {
        if (m_thread.joinable())
            m_thread.join();
        ::close(m_listen);
        fs::remove_all(m_dir);
    }

    // Runs uxl with UXL_SOCKET pointing here, then waits for the conversation to end.
    RunResult run(const std::vector<std::string>& args)
    {
        RunResult r = run_uxl(args, ".", {"UXL_SOCKET=" + m_path});
        m_thread.join();
        return r;
    }
    // The request lines received, in order.
    const std::vector<std::string>& requests() const { return m_requests; }
    // How many exchanges of the script were played.
    std::size_t played() const { return m_played; }

private:
    static bool readable(int fd)
    {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, k_wait_ms) == 1;
    }

    static std::optional<std::string> read_line(int fd)
    {
        std::string line;
        char c = 0;
        while (readable(fd) && ::read(fd, &c, 1) == 1) {
            if (c == '\n')
                return line;
            line += c;
        }
        return std::nullopt;
    }

    static void send_text(int fd, const std::string& text)
    {
        std::string_view rest = text;
        while (!rest.empty()) {
            ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
            if (n <= 0)
                return;
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    void serve()
    {
        if (!readable(m_listen))
            return;  // uxl never connected: the test's expectations will say why
        int fd = ::accept(m_listen, nullptr, nullptr);
        if (fd < 0)
            return;
        send_text(fd, "{\"protocol\":1,\"uxld\":\"test\"}\n");
        for (const Exchange& exchange : m_script) {
            auto line = read_line(fd);
            if (!line)
                break;
            m_requests.push_back(*line);
            for (const std::string& part : exchange.contains)
                EXPECT_NE(line->find(part), std::string::npos) << "request " << *line << " lacks " << part;
            std::smatch id;
            std::regex_search(*line, id, std::regex("\"id\":([0-9]+)"));
            send_text(fd, "{\"id\":" + id[1].str() + "," + exchange.reply + "}\n");
            ++m_played;
        }
        // Anything more the client sends is a request the script did not expect.
        while (auto line = read_line(fd))
            m_requests.push_back(*line);
        ::close(fd);
    }

    std::vector<Exchange> m_script;
    std::string m_dir;
    std::string m_path;
    int m_listen = -1;
    std::thread m_thread;
    std::vector<std::string> m_requests;
    std::size_t m_played = 0;
};

Exchange lookup(const std::string& domain, int domid, const std::string& name)
{
    return {{"\"op\":\"lookup\"", "\"domain\":\"" + domain + "\""},
            "\"ok\":true,\"domid\":" + std::to_string(domid) + ",\"name\":\"" + name + "\""};
}

Exchange unknown_domain(const std::string& domain)
{
    return {{"\"op\":\"lookup\"", "\"domain\":\"" + domain + "\""},
            "\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":\"no domain " + domain + "\"}"};
}

std::string error_reply(const std::string& code, const std::string& message)
{
    return "\"ok\":false,\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}";
}

const std::string k_block_header = "Vdev  BE  handle state evt-ch ring-ref BE-path                       \n";
const std::string k_network_header =
    "Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path                       \n";

TEST(BlockList, PrintsRowsAndSkipsAnUnknownDomain)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-list\"", "\"domain\":\"3\"", "\"kind\":\"disk\""},
         "\"ok\":true,\"devices\":["
         "{\"kind\":\"disk\",\"devid\":51712,\"backend_domid\":0,\"frontend_domid\":3,\"state\":4,"
         "\"vdev\":\"xvda\",\"backend\":\"/srv/web.img\"},"
         "{\"kind\":\"disk\",\"devid\":51728,\"backend_domid\":0,\"frontend_domid\":3,\"state\":4,"
         "\"vdev\":\"xvdb\",\"backend\":\"/dev/loop0\"}]"},
        unknown_domain("nope"),
    });
    RunResult r = daemon.run({"block-list", "web", "nope"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, k_block_header +
                         "51712 0   3      4     -1     -1       /srv/web.img                  \n"
                         "51728 0   3      4     -1     -1       /dev/loop0                    \n");
    EXPECT_EQ(r.err, "nope is an invalid domain identifier\n");
}

TEST(BlockAttach, UnknownDomainHasNoRcAndSendsNothingMore)
{
    ScriptedDaemon daemon({unknown_domain("ghost")});
    RunResult r = daemon.run({"block-attach", "ghost", "/srv/x.img,raw,xvdb,w"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "ghost is an invalid domain identifier\n");
    EXPECT_EQ(daemon.requests().size(), 1u);
}

TEST(BlockAttach, SendsTheSpecWordsAsTypedAndPrintsNothing)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-attach\"", "\"domain\":\"3\"", "\"kind\":\"disk\"",
          "\"spec\":[\"format=raw\",\"vdev=xvdb\",\"target=/srv/x.img\"]"},
         "\"ok\":true,\"devices\":[{\"kind\":\"disk\",\"devid\":51728,\"vdev\":\"xvdb\"}]"},
    });
    RunResult r = daemon.run({"block-attach", "web", "format=raw", "vdev=xvdb", "target=/srv/x.img"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}

TEST(BlockAttach, DaemonErrorIsFollowedByXlsLine)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-attach\""}, error_reply("already_exists", "web already has a disk xvdb.")},
    });
    RunResult r = daemon.run({"block-attach", "web", "/srv/x.img,raw,xvdb,w"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "web already has a disk xvdb.\nlibxl_device_disk_add failed.\n");
}

TEST(BlockAttach, BadSpecIsRefusedBeforeAnythingIsAttached)
{
    ScriptedDaemon daemon({lookup("web", 3, "web")});
    RunResult r = daemon.run({"block-attach", "web", "/srv/img,xvda,w"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("unknown value for format"), std::string::npos) << r.err;
    EXPECT_EQ(daemon.requests().size(), 1u);
}

TEST(BlockDetach, MissingDeviceIsNotConnected)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-detach\"", "\"device\":\"xvdc\"", "\"force\":false", "\"kind\":\"disk\""},
         error_reply("not_found", "web has no disk xvdc.")},
    });
    RunResult r = daemon.run({"block-detach", "web", "xvdc"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Error: Device xvdc not connected.\n");
}

TEST(BlockDetach, SafeRemoveFailureNamesIt)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-detach\"", "\"force\":false"},
         error_reply("backend_failed", "remove ubd1: Device is currently open")},
    });
    RunResult r = daemon.run({"block-detach", "web", "51728"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "remove ubd1: Device is currently open\nlibxl_device_disk_safe_remove failed.\n");
}

TEST(BlockDetach, ForceAsksForDestroyAndNamesIt)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-detach\"", "\"force\":true"}, error_reply("unsupported", "No hot-unplug here.")},
    });
    RunResult r = daemon.run({"block-detach", "-f", "web", "xvdb"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "No hot-unplug here.\nlibxl_device_disk_destroy failed.\n");
}

TEST(BlockDetach, UnknownDomainUsesFindDomainsMessage)
{
    ScriptedDaemon daemon({unknown_domain("ghost")});
    RunResult r = daemon.run({"block-detach", "ghost", "xvdb"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "ghost is an invalid domain identifier (rc=-6)\n");
}

TEST(NetworkList, PrintsRowsThenStopsAtAnUnknownDomain)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-list\"", "\"kind\":\"nic\""},
         "\"ok\":true,\"devices\":[{\"kind\":\"nic\",\"devid\":0,\"backend_domid\":0,"
         "\"frontend_domid\":3,\"state\":4,\"mac\":\"00:16:3E:5A:01:02\",\"backend\":\"vif3.0\"}]"},
        unknown_domain("nope"),
    });
    RunResult r = daemon.run({"network-list", "web", "nope", "web"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, k_network_header +
                         "0   0  00:16:3e:5a:01:02     0     4     -1    -1/-1          vif3.0                        \n");
    EXPECT_EQ(r.err, "nope is an invalid domain identifier (rc=-6)\n");
    EXPECT_EQ(daemon.requests().size(), 3u);
}

TEST(NetworkAttach, SendsTheTokensAndReportsXlsFailure)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-attach\"", "\"kind\":\"nic\"", "\"spec\":[\"bridge=nosuchbr0\"]"},
         error_reply("backend_failed", "Could not find bridge device nosuchbr0")},
    });
    RunResult r = daemon.run({"network-attach", "web", "bridge=nosuchbr0"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Could not find bridge device nosuchbr0\nlibxl_device_nic_add failed.\n");
}

TEST(NetworkAttach, UnknownDomainComesBeforeTheSpec)
{
    ScriptedDaemon daemon({unknown_domain("ghost")});
    RunResult r = daemon.run({"network-attach", "ghost", "colour=blue"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "ghost is an invalid domain identifier (rc=-6)\n");
}

TEST(NetworkDetach, AMacIsSentAsGiven)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-detach\"", "\"kind\":\"nic\"", "\"device\":\"00:16:3e:5a:01:02\""}, "\"ok\":true"},
    });
    RunResult r = daemon.run({"network-detach", "web", "00:16:3e:5a:01:02"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
}

TEST(NetworkDetach, ADevidIsReadAsXlsAtoiDoes)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-detach\"", "\"device\":\"0\""}, error_reply("not_found", "web has no nic 0.")},
    });
    RunResult r = daemon.run({"network-detach", "web", "eth0"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Unknown device eth0.\n");
}

TEST(NetworkDetach, OtherFailuresNameNicDel)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-detach\"", "\"device\":\"1\""}, error_reply("backend_failed", "The guest kept eth1.")},
    });
    RunResult r = daemon.run({"network-detach", "web", "1"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "The guest kept eth1.\nlibxl_device_nic_del failed.\n");
}

TEST(PciList, PrintsSlotAndHostAddress)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-list\"", "\"kind\":\"pci\""},
         "\"ok\":true,\"devices\":[{\"kind\":\"pci\",\"devid\":40,\"bdf\":\"0000:36:00.1\"}]"},
    });
    RunResult r = daemon.run({"pci-list", "web"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "Vdev Device\n05.0 0000:36:00.1\n");
}

TEST(PciList, NoDevicesPrintsNothing)
{
    ScriptedDaemon daemon({
        lookup("web", 3, "web"),
        {{"\"op\":\"device-list\"", "\"kind\":\"pci\""}, "\"ok\":true"},
    });
    RunResult r = daemon.run({"pci-list", "web"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace uxl::test
