// The UML controller: operations mapped to mconsole commands and notifications mapped to
// events, against a fake guest; and, when Debian's UML kernel and a test initramfs are
// present ($UXL_TEST_INITRAMFS, e.g. from share/examples/build-guest.sh), a real guest
// booted, paused, resumed and shut down cleanly.
#include "uml/uml_controller.h"

#include "uml/mconsole.h"

#include "backend_test_support.h"
#include "run_task.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <set>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace uxl {
namespace {

using namespace std::chrono_literals;
using datagram = asio::local::datagram_protocol;
using boost::system::error_code;
namespace mc = mconsole;

using test_support::run_task;

// Runs the loop until `done()` or the limit; returns done().
template <class Predicate>
bool run_until(asio::io_context& io, Predicate done, std::chrono::milliseconds limit)
{
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(20ms);
    return done();
}

struct TempDir {
    TempDir()
    {
        char pattern[] = "/tmp/uxl-uc-XXXXXX";
        path = mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string path;
};

// A fake UML guest: its mconsole socket answers every command with "ok <command>" (except
// `sysrq c`, which gets no answer, as on a real guest that panics), and it sends
// notifications to the controller's notify socket.
class FakeGuest {
public:
    FakeGuest(asio::io_context& io, std::string socket_path, std::string notify_path)
        : path(std::move(socket_path)), m_socket(io, datagram::endpoint(path)),
          m_notify_target(std::move(notify_path))
    {
        asio::co_spawn(io, serve(), asio::detached);
    }

    void notify(mc::NotifyType type, std::string text)
    {
        m_socket.send_to(asio::buffer(mc::encode_notification(type, text)), m_notify_target);
    }
    void announce() { notify(mc::NotifyType::socket, path + '\0'); }

    std::string path;
    std::vector<std::string> commands;
    std::set<std::string> busy;  // devices whose `remove` fails with -EBUSY

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
            std::uint32_t length;
            std::memcpy(&length, buffer.data() + 8, 4);
            std::string command(buffer.data() + 12, std::min<std::size_t>(length, size - 12));
            commands.push_back(command);
            if (command == "sysrq c")
                continue;
            if (command.starts_with("remove ") && busy.contains(command.substr(7))) {
                m_socket.send_to(asio::buffer(mc::encode_reply(-EBUSY, false, "Device is currently open")),
                                 client, 0, ec);
                continue;
            }
            m_socket.send_to(asio::buffer(mc::encode_reply(0, false, "ok " + command)), client,
                             0, ec);
        }
    }

    datagram::socket m_socket;
    datagram::endpoint m_notify_target;
};

class UmlControllerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        notify_path = dir.path + "/notify";
        guest_path = dir.path + "/mconsole";
    }

    std::unique_ptr<Controller> make(std::string mconsole_path = {},
                                     std::chrono::milliseconds request_timeout = 1000ms)
    {
        auto made = make_uml_controller(io.get_executor(), notify_path, std::move(mconsole_path),
                                        {.request_timeout = request_timeout});
        EXPECT_TRUE(made.has_value()) << made.error().message;
        auto controller = std::move(*made);
        controller->on_event([this](ControllerEvent event) { events.push_back(event); });
        return controller;
    }

    bool wait_events(std::size_t count)
    {
        return run_until(io, [&] { return events.size() >= count; }, 10s);
    }

    asio::io_context io;
    TempDir dir;
    std::string notify_path;
    std::string guest_path;
    std::vector<ControllerEvent> events;
};

TEST_F(UmlControllerTest, CommandsBeforeTheGuestAnnouncesItselfAreRefused)
{
    auto controller = make();
    auto result = run_task(io, controller->shutdown());
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, Errc::invalid_state);
}

TEST_F(UmlControllerTest, FirstSocketNotificationMakesControlReady)
{
    auto controller = make();
    FakeGuest guest(io, guest_path, notify_path);
    guest.announce();
    ASSERT_TRUE(wait_events(1));
    EXPECT_EQ(events[0].kind, GuestEvent::control_ready);
    EXPECT_EQ(events[0].text, guest_path);
    auto reply = run_task(io, controller->command("version"));
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    EXPECT_EQ(*reply, "ok version");
}

TEST_F(UmlControllerTest, OperationsAreTheUmlCommands)
{
    auto controller = make();
    FakeGuest guest(io, guest_path, notify_path);
    guest.announce();
    ASSERT_TRUE(wait_events(1));
    EXPECT_TRUE(run_task(io, controller->pause()).has_value());
    EXPECT_TRUE(run_task(io, controller->unpause()).has_value());
    EXPECT_TRUE(run_task(io, controller->reboot()).has_value());
    EXPECT_TRUE(run_task(io, controller->shutdown()).has_value());
    auto sysrq = run_task(io, controller->sysrq('m'));
    ASSERT_TRUE(sysrq.has_value());
    EXPECT_EQ(*sysrq, "ok sysrq m");
    EXPECT_EQ(guest.commands,
              (std::vector<std::string>{"stop", "go", "reboot", "cad", "sysrq m"}));
}

TEST_F(UmlControllerTest, HotPlugIsConfigAndRemove)
{
    auto controller = make();
    FakeGuest guest(io, guest_path, notify_path);
    guest.announce();
    ASSERT_TRUE(wait_events(1));
    auto disk = run_task(io, controller->attach_disk(1, test::disk("/srv/disk b.img", "xvdb")));
    ASSERT_TRUE(disk.has_value()) << disk.error().message;
    EXPECT_EQ(*disk, "ubdb");
    DiskSpec cd = test::disk("/srv/cd.iso", "xvdc");
    cd.readwrite = false;
    auto cdrom = run_task(io, controller->attach_disk(2, cd));
    ASSERT_TRUE(cdrom.has_value());
    EXPECT_EQ(*cdrom, "ubdc");
    auto nic = run_task(io, controller->attach_nic(1, test::nic("vif3.1", "00:16:3e:01:02:03")));
    ASSERT_TRUE(nic.has_value());
    EXPECT_EQ(*nic, "eth1");
    EXPECT_TRUE(run_task(io, controller->detach_nic(1)).has_value());
    EXPECT_TRUE(run_task(io, controller->detach_disk(2)).has_value());
    EXPECT_EQ(guest.commands, (std::vector<std::string>{
                                  "config ubd1=/srv/disk b.img", "config ubd2r=/srv/cd.iso",
                                  "config eth1=tuntap,vif3.1,00:16:3e:01:02:03", "remove eth1",
                                  "remove ubd2"}));
}

TEST_F(UmlControllerTest, BalloonIsConfigMemByTheDifference)
{
    auto controller = make();
    FakeGuest guest(io, guest_path, notify_path);
    guest.announce();
    ASSERT_TRUE(wait_events(1));
    EXPECT_TRUE(run_task(io, controller->set_memory(131072, 65536)).has_value());
    EXPECT_TRUE(run_task(io, controller->set_memory(65536, 98304)).has_value());
    EXPECT_TRUE(run_task(io, controller->set_memory(98304, 98304)).has_value());
    EXPECT_EQ(guest.commands, (std::vector<std::string>{"config mem=-65536K", "config mem=+32768K"}));
}

TEST_F(UmlControllerTest, BusyDeviceIsNotDetachedAndSaysWhy)
{
    auto controller = make();
    FakeGuest guest(io, guest_path, notify_path);
    guest.busy.insert("ubd1");
    guest.announce();
    ASSERT_TRUE(wait_events(1));
    auto result = run_task(io, controller->detach_disk(1));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, Errc::backend_failed);
    EXPECT_NE(result.error().message.find("Device is currently open"), std::string::npos)
        << result.error().message;
}

TEST_F(UmlControllerTest, HotPlugOutsideTheSlotsOrOfAnEmptyDriveIsRefused)
{
    auto controller = make();
    FakeGuest guest(io, guest_path, notify_path);
    guest.announce();
    ASSERT_TRUE(wait_events(1));
    EXPECT_EQ(run_task(io, controller->attach_disk(16, test::disk("/srv/x", "xvdq"))).error().code,
              Errc::invalid_argument);
    EXPECT_EQ(run_task(io, controller->detach_disk(-1)).error().code, Errc::invalid_argument);
    DiskSpec empty = test::disk("", "xvdd");
    empty.pdev_path.reset();
    empty.is_cdrom = true;
    EXPECT_EQ(run_task(io, controller->attach_disk(3, empty)).error().code, Errc::unsupported);
    EXPECT_TRUE(guest.commands.empty());
}

TEST_F(UmlControllerTest, SysrqTIsRefusedWithoutAskingTheGuest)
{
    auto controller = make();
    FakeGuest guest(io, guest_path, notify_path);
    guest.announce();
    ASSERT_TRUE(wait_events(1));
    auto result = run_task(io, controller->sysrq('t'));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, Errc::unsupported);
    EXPECT_NE(result.error().message.find("panics"), std::string::npos);
    EXPECT_TRUE(guest.commands.empty());
}

TEST_F(UmlControllerTest, LaterSocketNotificationsAreReboots)
{
    auto controller = make();
    FakeGuest guest(io, guest_path, notify_path);
    guest.announce();
    guest.announce();
    guest.announce();
    ASSERT_TRUE(wait_events(3));
    EXPECT_EQ(events[0].kind, GuestEvent::control_ready);
    EXPECT_EQ(events[1].kind, GuestEvent::rebooted_in_place);
    EXPECT_EQ(events[2].kind, GuestEvent::rebooted_in_place);
}

TEST_F(UmlControllerTest, PanicUserNotifyAndHangAreEvents)
{
    auto controller = make();
    FakeGuest guest(io, guest_path, notify_path);
    guest.notify(mc::NotifyType::user_notify, "guest-init-up\n");
    guest.notify(mc::NotifyType::hang, "");
    guest.notify(mc::NotifyType::panic, std::string("sysrq triggered crash\0", 22));
    ASSERT_TRUE(wait_events(3));
    EXPECT_EQ(events[0].kind, GuestEvent::message);
    EXPECT_EQ(events[0].text, "guest-init-up");
    EXPECT_EQ(events[1].kind, GuestEvent::shutdown_requested);
    EXPECT_EQ(events[1].reason, ShutdownReason::watchdog);
    EXPECT_EQ(events[2].kind, GuestEvent::shutdown_requested);
    EXPECT_EQ(events[2].reason, ShutdownReason::crash);
    EXPECT_EQ(events[2].text, "sysrq triggered crash");
}

TEST_F(UmlControllerTest, PanicEndsTheRequestThatCausedIt)
{
    // The request's own timeout is far beyond the test's waits, so only the panic can end it
    // (the message says which did).
    auto controller = make({}, 600s);
    FakeGuest guest(io, guest_path, notify_path);
    guest.announce();
    ASSERT_TRUE(wait_events(1));
    std::optional<Result<std::string>> outcome;
    asio::co_spawn(io, controller->sysrq('c'),
                   [&](std::exception_ptr, Result<std::string> reply) { outcome = reply; });
    ASSERT_TRUE(run_until(io, [&] { return !guest.commands.empty(); }, 10s)) << "sysrq c never reached the guest";
    EXPECT_FALSE(outcome.has_value());
    guest.notify(mc::NotifyType::panic, "sysrq triggered crash");
    ASSERT_TRUE(run_until(io, [&] { return outcome.has_value(); }, 10s)) << "the panic did not end the request";
    ASSERT_FALSE(outcome->has_value());
    EXPECT_EQ(outcome->error().message, "The guest panicked: sysrq triggered crash");
}

TEST_F(UmlControllerTest, AdoptedGuestIsReadyAtOnce)
{
    FakeGuest guest(io, guest_path, notify_path);
    auto controller = make(guest_path);
    EXPECT_TRUE(events.empty());  // posted, not delivered from inside make()
    ASSERT_TRUE(wait_events(1));
    EXPECT_EQ(events[0].kind, GuestEvent::control_ready);
    auto reply = run_task(io, controller->command("version"));
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    guest.announce();  // the adopted guest reboots
    ASSERT_TRUE(wait_events(2));
    EXPECT_EQ(events[1].kind, GuestEvent::rebooted_in_place);
}

TEST_F(UmlControllerTest, CloseStopsEventsAndOperations)
{
    auto controller = make();
    FakeGuest guest(io, guest_path, notify_path);
    guest.announce();
    ASSERT_TRUE(wait_events(1));
    controller->close();
    EXPECT_FALSE(std::filesystem::exists(notify_path));
    auto result = run_task(io, controller->pause());
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, Errc::invalid_state);
    EXPECT_TRUE(guest.commands.empty());
}

TEST_F(UmlControllerTest, UnbindableNotifySocketIsAnError)
{
    auto made = make_uml_controller(io.get_executor(), dir.path + "/no/such/dir/notify", "");
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().code, Errc::io);
}

// --- A real User-Mode Linux guest. ---

// The guest process and everything it leaves: killed (whole process group) and removed on
// any way out of the test.
class UmlProcess {
public:
    UmlProcess() = default;
    UmlProcess(const UmlProcess&) = delete;
    ~UmlProcess()
    {
        if (m_pid > 0 && !m_reaped) {
            ::kill(-m_pid, SIGKILL);  // UML calls setsid(): its pid is its process group
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (m_pid > 0)
            ::kill(-m_pid, SIGKILL);  // helpers left behind, if any
        if (m_console >= 0)
            ::shutdown(m_console, SHUT_RDWR);
        if (m_drain.joinable())
            m_drain.join();
        if (m_console >= 0)
            ::close(m_console);
    }

    bool start(const std::vector<std::string>& argv)
    {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
            return false;
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(pair[1], 0);
            ::dup2(pair[1], 1);
            ::dup2(pair[1], 2);
            ::setenv("TMPDIR", "/dev/shm", 1);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(pair[1]);
        m_console = pair[0];
        if (m_pid < 0)
            return false;
        m_drain = std::thread([this] {
            char buffer[4096];
            for (;;) {
                ssize_t n = ::read(m_console, buffer, sizeof buffer);
                if (n <= 0)
                    return;
                std::lock_guard lock(m_mutex);
                m_output.append(buffer, static_cast<std::size_t>(n));
            }
        });
        return true;
    }

    // The exit status once the process has exited, else nothing.
    std::optional<int> poll_exit()
    {
        if (m_reaped)
            return m_status;
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_reaped = true;
            m_status = status;
            return status;
        }
        return std::nullopt;
    }

    std::string output()
    {
        std::lock_guard lock(m_mutex);
        return m_output.size() > 3000 ? m_output.substr(m_output.size() - 3000) : m_output;
    }

private:
    pid_t m_pid = -1;
    bool m_reaped = false;
    int m_status = 0;
    int m_console = -1;
    std::thread m_drain;
    std::mutex m_mutex;
    std::string m_output;
};

TEST(UmlControllerRealGuest, BootsPausesResumesAndShutsDownCleanly)
{
    const char* initramfs = std::getenv("UXL_TEST_INITRAMFS");
    if (!std::filesystem::exists("/usr/bin/linux") || !initramfs ||
        !std::filesystem::exists(initramfs))
        GTEST_SKIP() << "needs /usr/bin/linux and an initramfs at $UXL_TEST_INITRAMFS";

    TempDir dir;  // declared first: removed last, after the process is gone
    asio::io_context io;
    std::string notify = dir.path + "/notify";
    std::string umid = "uxlct" + std::to_string(::getpid());
    std::vector<ControllerEvent> events;
    auto made = make_uml_controller(io.get_executor(), notify, "");
    ASSERT_TRUE(made.has_value()) << made.error().message;
    auto controller = std::move(*made);
    controller->on_event([&](ControllerEvent event) { events.push_back(event); });

    UmlProcess uml;
    ASSERT_TRUE(uml.start({"/usr/bin/setarch", "x86_64", "-R", "/usr/bin/linux", "mem=64M",
                           std::string("initrd=") + initramfs, "umid=" + umid,
                           "uml_dir=" + dir.path + "/uml", "con0=fd:0,fd:1", "con=null",
                           "mconsole=notify:" + notify}));

    auto ready = [&] {
        return std::any_of(events.begin(), events.end(), [](const ControllerEvent& e) {
            return e.kind == GuestEvent::control_ready;
        });
    };
    ASSERT_TRUE(run_until(io, ready, 60s)) << "no control_ready; console:\n" << uml.output();
    EXPECT_EQ(events.front().text, dir.path + "/uml/" + umid + "/mconsole");

    auto version = run_task(io, controller->command("version"));
    ASSERT_TRUE(version.has_value()) << version.error().message;
    EXPECT_NE(version->find("Linux"), std::string::npos) << *version;

    auto paused = run_task(io, controller->pause());
    EXPECT_TRUE(paused.has_value()) << paused.error().message;
    auto resumed = run_task(io, controller->unpause());
    EXPECT_TRUE(resumed.has_value()) << resumed.error().message;

    // Let init finish starting (it must be able to run its ctrl-alt-del action).
    ASSERT_TRUE(run_until(io, [&] { return uml.output().find("up (uptime") != std::string::npos; }, 60s))
        << "init did not come up; console:\n" << uml.output();
    auto shutdown = run_task(io, controller->shutdown());
    ASSERT_TRUE(shutdown.has_value()) << shutdown.error().message;

    std::optional<int> status;
    run_until(io, [&] { return (status = uml.poll_exit()).has_value(); }, 30s);
    ASSERT_TRUE(status.has_value()) << "still running 30 s after cad; console:\n" << uml.output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "status " << *status << "; console:\n" << uml.output();
    controller->close();
}

}  // namespace
}  // namespace uxl
