// The QEMU controller: operations mapped to QMP commands and QMP events mapped to guest
// events, against a fake QEMU; and, when qemu-system-x86_64 is installed, a real QEMU with
// no machine (`-machine none`) paused, resumed and halted. No test asserts on elapsed time.
#include "qemu/qemu_controller.h"

#include "qemu/qemu_backend.h"

#include "backend_test_support.h"
#include "fake_qemu.h"
#include "qemu_controller_fixture.h"
#include "run_task.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

extern char** environ;

namespace uxl {
namespace {

using namespace std::chrono_literals;
using test_support::event;
using test_support::FakeQemu;
using test_support::Json;
using test_support::returns;
using test_support::run_task;
using test_support::run_until;
using test_support::SpawnedProcess;
using test_support::TempDir;
using test_support::device_deleted;
using test_support::guest_lets_go;
using test_support::qemu_like;
using test_support::QemuControllerTest;
using test_support::refuses;
using test_support::start;

TEST_F(QemuControllerTest, IsReadyOnceQmpAnswersAndKnowsTheVcpuThreads)
{
    auto controller = ready();
    EXPECT_EQ(controller->vcpu_threads(), (std::vector<int>{4001, 4002}));
    ASSERT_GE(fake->commands.size(), 3u);
    EXPECT_EQ(fake->commands[0]["execute"], "qmp_capabilities");
    EXPECT_EQ(fake->commands[1]["execute"], "query-pci");  // the guest's devices, for hot-plug names
    EXPECT_EQ(fake->commands[2]["execute"], "query-cpus-fast");
}

TEST_F(QemuControllerTest, ControlReadyNamesTheQmpSocket)
{
    start_fake();
    auto controller = make();
    ASSERT_TRUE(run_until(io, [&] { return !events.empty(); }));
    EXPECT_EQ(events[0].kind, GuestEvent::control_ready);
    EXPECT_EQ(events[0].text, path);
}

TEST_F(QemuControllerTest, AGuestFoundInTheWatchdogStatusIsAWatchdogShutdown)
{
    // -action watchdog=pause: a watchdog that fired while no uxld listened left the guest
    // paused in the status "watchdog"; the re-adopting controller reports it after ready.
    start_fake([](const Json& command) -> FakeQemu::Answer {
        if (command.value("execute", "") == "query-status")
            return {{returns(command, Json{{"status", "watchdog"}, {"singlestep", false}, {"running", false}})}};
        return qemu_like(command);
    });
    auto controller = make();
    ASSERT_TRUE(run_until(io, [&] { return events.size() >= 2; }));
    EXPECT_EQ(events[0].kind, GuestEvent::control_ready);
    EXPECT_EQ(events[1].kind, GuestEvent::shutdown_requested);
    EXPECT_EQ(events[1].reason, ShutdownReason::watchdog);
}

TEST_F(QemuControllerTest, ARunningGuestAtConnectIsOnlyReady)
{
    auto controller = ready();
    for (int i = 0; i < 5; ++i)
        io.run_one_for(10ms);
    EXPECT_TRUE(events.empty());
}

TEST_F(QemuControllerTest, WaitsForQemuToListen)
{
    auto controller = make();
    // A few turns of the loop with nothing listening: the controller keeps trying.
    for (int i = 0; i < 5; ++i)
        io.run_one_for(20ms);
    EXPECT_EQ(count(GuestEvent::control_ready), 0);
    auto early = run_task(io, controller->pause());
    ASSERT_FALSE(early.has_value());
    EXPECT_EQ(early.error().code, Errc::invalid_state);

    start_fake();
    ASSERT_TRUE(run_until(io, [&] { return count(GuestEvent::control_ready) == 1; }));
}

TEST_F(QemuControllerTest, GivesUpAfterItsDeadlineAndSaysWhy)
{
    QemuControllerOptions options;
    options.connect_timeout = 200ms;
    auto controller = make(options);
    ASSERT_TRUE(run_until(io, [&] { return count(GuestEvent::message) == 1; }));
    EXPECT_NE(events[0].text.find("cannot control"), std::string::npos) << events[0].text;
    EXPECT_EQ(count(GuestEvent::control_ready), 0);
}

TEST_F(QemuControllerTest, OperationsAreQmpCommands)
{
    auto controller = ready();
    ASSERT_TRUE(run_task(io, controller->shutdown()).has_value());
    EXPECT_EQ(last_command(), "system_powerdown");
    // No guest agent: a clean reboot is refused; the reset trigger is what -F sends.
    EXPECT_EQ(run_task(io, controller->reboot()).error().code, Errc::unsupported);
    ASSERT_TRUE(run_task(io, controller->trigger("reset")).has_value());
    EXPECT_EQ(last_command(), "system_reset");
    ASSERT_TRUE(run_task(io, controller->pause()).has_value());
    EXPECT_EQ(last_command(), "stop");
    ASSERT_TRUE(run_task(io, controller->unpause()).has_value());
    EXPECT_EQ(last_command(), "cont");
    ASSERT_TRUE(run_task(io, controller->set_memory(1024 * 1024, 256 * 1024)).has_value());
    EXPECT_EQ(last_command(), "balloon");
    EXPECT_EQ(fake->commands.back()["arguments"], Json({{"value", 256ull * 1024 * 1024}}));
    ASSERT_TRUE(run_task(io, controller->halt()).has_value());
    EXPECT_EQ(last_command(), "quit");
}

TEST_F(QemuControllerTest, SysrqIsAltSysrqKeyOnTheKeyboard)
{
    auto controller = ready();
    ASSERT_TRUE(run_task(io, controller->sysrq('s')).has_value());
    EXPECT_EQ(last_command(), "send-key");
    Json keys = Json::array({Json{{"type", "qcode"}, {"data", "alt"}}, Json{{"type", "qcode"}, {"data", "sysrq"}},
                             Json{{"type", "qcode"}, {"data", "s"}}});
    EXPECT_EQ(fake->commands.back()["arguments"], Json({{"keys", keys}}));
}

// query-hotpluggable-cpus as QEMU 7.2 answers it for -smp 1,maxcpus=3: highest slot first,
// the boot CPU cold-plugged, socket 1 plugged by an earlier vcpu-set.
FakeQemu::Answer with_cpu_slots(const Json& command)
{
    if (command.value("execute", "") != "query-hotpluggable-cpus")
        return qemu_like(command);
    auto slot = [](int socket, const char* path) {
        Json s = {{"type", "qemu64-x86_64-cpu"},
                  {"vcpus-count", 1},
                  {"props", {{"socket-id", socket}, {"core-id", 0}, {"thread-id", 0}}}};
        if (path)
            s["qom-path"] = path;
        return s;
    };
    return {{returns(command, Json::array({slot(2, nullptr), slot(1, "/machine/peripheral/vcpu-1-0-0"),
                                           slot(0, "/machine/unattached/device[0]")}))}};
}

TEST_F(QemuControllerTest, VcpuSetPlugsTheLowestFreeSlotAndUnplugsOnlyItsOwn)
{
    start_fake(with_cpu_slots);
    auto controller = make();
    ASSERT_TRUE(run_until(io, [&] { return count(GuestEvent::control_ready) == 1; }));

    ASSERT_TRUE(run_task(io, controller->set_vcpus(3)).has_value());
    EXPECT_EQ(last_command(), "query-cpus-fast");  // the threads are read again
    const Json& add = fake->commands[fake->commands.size() - 2];
    EXPECT_EQ(add["execute"], "device_add");
    EXPECT_EQ(add["arguments"], Json({{"driver", "qemu64-x86_64-cpu"},
                                      {"socket-id", 2},
                                      {"core-id", 0},
                                      {"thread-id", 0},
                                      {"id", "vcpu-2-0-0"}}));

    ASSERT_TRUE(run_task(io, controller->set_vcpus(1)).has_value());
    const Json& del = fake->commands[fake->commands.size() - 2];
    EXPECT_EQ(del["execute"], "device_del");
    EXPECT_EQ(del["arguments"], Json({{"id", "vcpu-1-0-0"}}));
}

TEST_F(QemuControllerTest, VcpuSetNeverUnplugsTheBootCpus)
{
    start_fake(with_cpu_slots);
    auto controller = make();
    ASSERT_TRUE(run_until(io, [&] { return count(GuestEvent::control_ready) == 1; }));
    // Two plugged (boot + ours): going to 0 would need the boot CPU, which QEMU keeps.
    auto r = run_task(io, controller->set_vcpus(0));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::unsupported);
}

TEST_F(QemuControllerTest, RawCommandGoesToTheHumanMonitor)
{
    auto controller = ready();
    auto output = run_task(io, controller->command("info status"));
    ASSERT_TRUE(output.has_value()) << output.error().message;
    EXPECT_EQ(*output, "VM status: running\r\n");
    EXPECT_EQ(fake->commands.back()["arguments"], Json({{"command-line", "info status"}}));
}

TEST_F(QemuControllerTest, QemusRefusalIsBackendFailedInItsWords)
{
    start_fake([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "cont")
            return {{Json{{"error", {{"class", "GenericError"},
                                     {"desc", "Resetting the Virtual Machine is required"}}},
                          {"id", c["id"]}}
                         .dump()}};
        return qemu_like(c);
    });
    auto controller = make();
    ASSERT_TRUE(run_until(io, [&] { return count(GuestEvent::control_ready) == 1; }));
    auto reply = run_task(io, controller->unpause());
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::backend_failed);
    EXPECT_EQ(reply.error().message, "Resetting the Virtual Machine is required");
}

TEST_F(QemuControllerTest, WhatItCannotDoIsRefusedInOneSentence)
{
    auto controller = ready();
    EXPECT_EQ(run_task(io, controller->sysrq('%')).error().code, Errc::unsupported);
}

struct Mapping {
    std::string name;
    std::optional<Json> data;
    GuestEvent kind;
    ShutdownReason reason;
};

TEST_F(QemuControllerTest, EventsMapToGuestEvents)
{
    const std::vector<Mapping> mappings = {
        {"SHUTDOWN", Json{{"guest", true}, {"reason", "guest-shutdown"}},
         GuestEvent::shutdown_requested, ShutdownReason::poweroff},
        {"SHUTDOWN", Json{{"guest", true}, {"reason", "guest-reset"}},
         GuestEvent::shutdown_requested, ShutdownReason::reboot},
        {"SHUTDOWN", Json{{"guest", false}, {"reason", "host-qmp-system-reset"}},
         GuestEvent::shutdown_requested, ShutdownReason::reboot},
        {"GUEST_PANICKED", Json{{"action", "poweroff"}}, GuestEvent::shutdown_requested,
         ShutdownReason::crash},
        {"WATCHDOG", Json{{"action", "reset"}}, GuestEvent::shutdown_requested,
         ShutdownReason::watchdog},
        {"STOP", std::nullopt, GuestEvent::paused, ShutdownReason::none},
        {"RESUME", std::nullopt, GuestEvent::resumed, ShutdownReason::none},
        {"RESET", Json{{"guest", true}, {"reason", "guest-reset"}}, GuestEvent::message,
         ShutdownReason::none},
        {"POWERDOWN", std::nullopt, GuestEvent::message, ShutdownReason::none},
    };
    for (const Mapping& m : mappings) {
        // A controller each: after a shutdown_requested, STOP and RESUME are not news.
        TempDir own_dir;
        path = own_dir.path + "/qmp.sock";
        fake.reset();
        auto controller = ready();
        fake->send(event(m.name, m.data));
        ASSERT_TRUE(run_until(io, [&] { return !events.empty(); })) << m.name;
        EXPECT_EQ(events[0].kind, m.kind) << m.name;
        EXPECT_EQ(events[0].reason, m.reason) << m.name;
        controller.reset();
        fake.reset();
    }
}

TEST_F(QemuControllerTest, APanicIsReportedOnceThoughQemuAlsoSaysShutdown)
{
    auto controller = ready();
    fake->send(event("GUEST_PANICKED", Json{{"action", "poweroff"}}));
    fake->send(event("SHUTDOWN", Json{{"guest", true}, {"reason", "guest-panic"}}));
    fake->send(event("POWERDOWN"));  // a marker: everything before it has been handled
    ASSERT_TRUE(run_until(io, [&] { return count(GuestEvent::message) == 1; }));
    ASSERT_EQ(count(GuestEvent::shutdown_requested), 1);
    EXPECT_EQ(events[0].reason, ShutdownReason::crash);
}

TEST_F(QemuControllerTest, QuitAndSignalsSayNothingAboutTheGuest)
{
    auto controller = ready();
    fake->send(event("SHUTDOWN", Json{{"guest", false}, {"reason", "host-qmp-quit"}}));
    fake->send(event("SHUTDOWN", Json{{"guest", false}, {"reason", "host-signal"}}));
    fake->send(event("POWERDOWN"));  // the marker
    ASSERT_TRUE(run_until(io, [&] { return !events.empty(); }));
    EXPECT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, GuestEvent::message);
}

TEST_F(QemuControllerTest, ItsOwnPauseAndUnpauseAreNotReported)
{
    auto controller = ready();
    ASSERT_TRUE(run_task(io, controller->pause()).has_value());
    ASSERT_TRUE(run_task(io, controller->unpause()).has_value());
    // A STOP nobody asked for is news.
    fake->send(event("STOP"));
    ASSERT_TRUE(run_until(io, [&] { return !events.empty(); }));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, GuestEvent::paused);
}

TEST_F(QemuControllerTest, AfterCloseOperationsFailAndNothingIsDelivered)
{
    auto controller = ready();
    controller->close();
    controller->close();
    auto reply = run_task(io, controller->pause());
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, Errc::invalid_state);
    fake->send(event("STOP"));
    io.poll();
    EXPECT_TRUE(events.empty());
}

TEST_F(QemuControllerTest, QemuExitingEndsCommandsButIsNoEvent)
{
    auto controller = ready();
    fake->hang_up();
    auto after = run_task(io, controller->pause());
    ASSERT_FALSE(after.has_value());
    io.poll();
    EXPECT_TRUE(events.empty());  // the monitor reports the exit, not the controller
}

TEST(QemuBackendController, IsMadeFromTheSetupsControlEndpoint)
{
    asio::io_context io;
    ControllerSetup setup;
    setup.executor = io.get_executor();
    setup.control_endpoint = "/" + std::string(200, 'x');
    auto made = QemuBackend().make_controller(setup);
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().code, Errc::invalid_argument);
    setup.control_endpoint = "/run/uxl/1/qmp.sock";
    EXPECT_TRUE(QemuBackend().make_controller(setup).has_value());
}

// --- A real QEMU. ---

TEST(QemuControllerRealQemu, PausesResumesAndHalts)
{
    const std::string program(QemuBackend::program);
    if (::access(program.c_str(), X_OK) != 0)
        GTEST_SKIP() << program << " is not installed (Debian's qemu-system-x86)";
    TempDir dir;
    const std::string socket = QemuBackend::qmp_socket(dir.path);
    asio::io_context io;
    std::vector<ControllerEvent> events;
    // Made before QEMU starts, as the daemon makes it.
    auto made = make_qemu_controller(io.get_executor(), socket);
    ASSERT_TRUE(made.has_value()) << made.error().message;
    std::unique_ptr<Controller> controller = std::move(*made);
    controller->on_event([&](ControllerEvent e) { events.push_back(std::move(e)); });

    std::vector<std::string> args = {program, "-machine", "none", "-nodefaults", "-no-user-config",
                                     "-display", "none", "-chardev",
                                     "socket,id=qmp,path=" + socket + ",server=on,wait=off",
                                     "-mon", "chardev=qmp,mode=control"};
    SpawnedProcess qemu(args);
    ASSERT_TRUE(qemu.started());

    auto seen = [&](GuestEvent kind) {
        return std::any_of(events.begin(), events.end(), [&](const ControllerEvent& e) { return e.kind == kind; });
    };
    ASSERT_TRUE(run_until(io, [&] { return seen(GuestEvent::control_ready); }));
    ASSERT_TRUE(run_task(io, controller->pause()).has_value());
    auto status = run_task(io, controller->command("info status"));
    ASSERT_TRUE(status.has_value()) << status.error().message;
    EXPECT_NE(status->find("paused"), std::string::npos) << *status;
    ASSERT_TRUE(run_task(io, controller->unpause()).has_value());
    // QEMU sends STOP and RESUME before answering stop and cont: the daemon's own pause
    // and unpause are not reported back to it.
    EXPECT_FALSE(seen(GuestEvent::paused));
    EXPECT_FALSE(seen(GuestEvent::resumed));

    ASSERT_TRUE(run_task(io, controller->halt()).has_value());
    std::optional<int> ended = qemu.wait();
    ASSERT_TRUE(ended.has_value());
    ASSERT_TRUE(WIFEXITED(*ended));
    GuestExit exit{WEXITSTATUS(*ended), std::nullopt};
    EXPECT_EQ(QemuBackend().exit_reason(exit), ShutdownReason::poweroff);
    EXPECT_FALSE(seen(GuestEvent::shutdown_requested));
}

TEST(QemuControllerRealQemu, HotPlugsDisksAndKeepsOneTheGuestDoesNotLetGo)
{
    const std::string program(QemuBackend::program);
    if (::access(program.c_str(), X_OK) != 0)
        GTEST_SKIP() << program << " is not installed (Debian's qemu-system-x86)";
    TempDir dir;
    const std::string socket = QemuBackend::qmp_socket(dir.path);
    const std::string image = dir.path + "/disk.img";
    const std::string iso = dir.path + "/cd.iso";  // QEMU locks an image it writes
    for (const std::string& file : {image, iso}) {
        std::ofstream(file).close();
        std::filesystem::resize_file(file, 1 << 20);
    }
    asio::io_context io;
    QemuControllerOptions options;
    options.unplug_timeout = 1s;
    auto made = make_qemu_controller(io.get_executor(), socket, options);
    ASSERT_TRUE(made.has_value()) << made.error().message;
    std::unique_ptr<Controller> controller = std::move(*made);
    bool ready = false;
    controller->on_event([&](ControllerEvent e) { ready = ready || e.kind == GuestEvent::control_ready; });

    // A pc machine whose firmware finds nothing to boot: it runs, but nothing in it answers
    // an ACPI eject. SCSI devices need no guest to go.
    std::vector<std::string> args = {program, "-machine", "pc", "-accel", "tcg", "-nodefaults",
                                     "-no-user-config", "-display", "none", "-device",
                                     "virtio-scsi-pci,id=scsi0", "-chardev",
                                     "socket,id=qmp,path=" + socket + ",server=on,wait=off",
                                     "-mon", "chardev=qmp,mode=control"};
    SpawnedProcess qemu(args);
    ASSERT_TRUE(qemu.started());
    ASSERT_TRUE(run_until(io, [&] { return ready; }));

    auto virtio = run_task(io, controller->attach_disk(0, test::disk(image, "xvdb")));
    ASSERT_TRUE(virtio.has_value()) << virtio.error().message;
    EXPECT_EQ(*virtio, "vda");
    DiskSpec cdrom = test::disk(iso, "sdb");
    cdrom.is_cdrom = true;
    auto scsi = run_task(io, controller->attach_disk(1, cdrom));
    ASSERT_TRUE(scsi.has_value()) << scsi.error().message;
    auto blocks = run_task(io, controller->command("info block"));
    ASSERT_TRUE(blocks.has_value());
    EXPECT_NE(blocks->find("hotplug-drive0"), std::string::npos) << *blocks;
    EXPECT_NE(blocks->find("hotplug-drive1"), std::string::npos) << *blocks;

    ASSERT_TRUE(run_task(io, controller->detach_disk(1)).has_value());
    auto kept = run_task(io, controller->detach_disk(0));
    ASSERT_FALSE(kept.has_value());
    EXPECT_EQ(kept.error().code, Errc::timeout) << kept.error().message;
    blocks = run_task(io, controller->command("info block"));
    ASSERT_TRUE(blocks.has_value());
    EXPECT_NE(blocks->find("hotplug-drive0"), std::string::npos) << *blocks;
    EXPECT_EQ(blocks->find("hotplug-drive1"), std::string::npos) << *blocks;
    ASSERT_TRUE(run_task(io, controller->halt()).has_value());
    EXPECT_TRUE(qemu.wait().has_value());
}

}  // namespace
}  // namespace uxl
