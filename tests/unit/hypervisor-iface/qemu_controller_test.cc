// The QEMU controller: operations mapped to QMP commands and QMP events mapped to guest
// events, against a fake QEMU; and, when qemu-system-x86_64 is installed, a real QEMU with
// no machine (`-machine none`) paused, resumed and halted. No test asserts on elapsed time.
#include "qemu/qemu_controller.h"

#include "qemu/qemu_backend.h"

#include "backend_test_support.h"
#include "fake_qemu.h"
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

// Answers every command with {} except query-cpus-fast (two vCPUs, listed out of order),
// human-monitor-command and query-status (running); stop and cont come with their STOP
// and RESUME first, as QEMU sends them.
FakeQemu::Answer qemu_like(const Json& command)
{
    const std::string name = command.value("execute", "");
    if (name == "query-cpus-fast")
        return {{returns(command, Json::array({{{"cpu-index", 1}, {"thread-id", 4002}},
                                               {{"cpu-index", 0}, {"thread-id", 4001}}}))}};
    if (name == "human-monitor-command")
        return {{returns(command, "VM status: running\r\n")}};
    if (name == "query-status")
        return {{returns(command, Json{{"status", "running"}, {"singlestep", false}, {"running", true}})}};
    if (name == "stop")
        return {{event("STOP"), returns(command)}};
    if (name == "cont")
        return {{event("RESUME"), returns(command)}};
    return {{returns(command)}};
}

// QEMU's error answer.
std::string refuses(const Json& command, const std::string& error_class, const std::string& desc)
{
    return Json{{"error", {{"class", error_class}, {"desc", desc}}}, {"id", command["id"]}}.dump();
}

// The two DEVICE_DELETED events QEMU 7.2 sends once the guest has let a virtio device go:
// first its backend, by path only, then the device itself.
std::vector<std::string> device_deleted(const std::string& id)
{
    return {event("DEVICE_DELETED", Json{{"path", "/machine/peripheral/" + id + "/virtio-backend"}}),
            event("DEVICE_DELETED", Json{{"device", id}, {"path", "/machine/peripheral/" + id}})};
}

// As qemu_like, and a guest that lets every device go at once: device_del's answer is
// followed by its DEVICE_DELETED events.
FakeQemu::Answer guest_lets_go(const Json& command)
{
    if (command.value("execute", "") == "device_del") {
        FakeQemu::Answer answer{{returns(command)}};
        for (std::string& line : device_deleted(command["arguments"]["id"]))
            answer.lines.push_back(std::move(line));
        return answer;
    }
    return qemu_like(command);
}

// Starts `task` on `io` and returns where its value will be, for tests that act while it
// runs.
template <class T>
std::shared_ptr<std::optional<T>> start(asio::io_context& io, awaitable<T> task)
{
    auto out = std::make_shared<std::optional<T>>();
    asio::co_spawn(io, std::move(task), [out](std::exception_ptr error, T value) {
        if (!error)
            out->emplace(std::move(value));
    });
    return out;
}

class QemuControllerTest : public ::testing::Test {
protected:
    void start_fake(FakeQemu::Script script = qemu_like) { fake.emplace(io, path, std::move(script)); }

    std::unique_ptr<Controller> make(QemuControllerOptions options = {})
    {
        auto made = make_qemu_controller(io.get_executor(), path, options);
        EXPECT_TRUE(made.has_value()) << made.error().message;
        if (!made)
            return nullptr;
        (*made)->on_event([this](ControllerEvent e) { events.push_back(std::move(e)); });
        return std::move(*made);
    }

    // A controller that has connected and said so.
    std::unique_ptr<Controller> ready(FakeQemu::Script script = qemu_like, QemuControllerOptions options = {})
    {
        start_fake(std::move(script));
        auto controller = make(options);
        EXPECT_TRUE(run_until(io, [&] { return count(GuestEvent::control_ready) == 1; }));
        events.clear();
        commands_before = fake->commands.size();
        return controller;
    }

    // The names of the commands sent since ready() returned.
    std::vector<std::string> sent() const
    {
        std::vector<std::string> names;
        for (std::size_t i = commands_before; fake && i < fake->commands.size(); ++i)
            names.push_back(fake->commands[i].value("execute", ""));
        return names;
    }

    // The arguments of the last `name` command sent; null when there was none.
    Json arguments_of(const std::string& name) const
    {
        for (auto it = fake->commands.rbegin(); it != fake->commands.rend(); ++it)
            if (it->value("execute", "") == name)
                return it->value("arguments", Json::object());
        return nullptr;
    }

    int count(GuestEvent kind) const
    {
        return static_cast<int>(std::count_if(events.begin(), events.end(),
                                              [&](const ControllerEvent& e) { return e.kind == kind; }));
    }

    // The name of the last command the fake received.
    std::string last_command() const
    {
        return fake && !fake->commands.empty() ? fake->commands.back().value("execute", "") : "";
    }

    asio::io_context io;
    TempDir dir;
    std::string path = dir.path + "/qmp.sock";
    std::optional<FakeQemu> fake;
    std::vector<ControllerEvent> events;
    std::size_t commands_before = 0;
};

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

// --- Hot-plug. ---

TEST_F(QemuControllerTest, AttachDiskAddsItsBlockNodeThenAVirtioDevice)
{
    auto controller = ready();
    auto name = run_task(io, controller->attach_disk(0, test::disk("/srv/a.img", "xvdb")));
    ASSERT_TRUE(name.has_value()) << name.error().message;
    EXPECT_EQ(*name, "vda");
    EXPECT_EQ(sent(), (std::vector<std::string>{"blockdev-add", "device_add"}));
    // The plan's -blockdev object, under the slot's node name.
    EXPECT_EQ(arguments_of("blockdev-add"),
              Json::parse(R"({"node-name": "hotplug-drive0", "driver": "raw", "read-only": false,
                              "file": {"driver": "file", "filename": "/srv/a.img", "read-only": false}})"));
    EXPECT_EQ(arguments_of("device_add"),
              Json({{"driver", "virtio-blk-pci"}, {"drive", "hotplug-drive0"}, {"id", "hotplug-disk0"}}));
}

TEST_F(QemuControllerTest, AttachDiskOpensItAsItsSpecSays)
{
    auto controller = ready();
    DiskSpec disk = test::disk("/dev/vg/data", "xvdc");
    disk.format = DiskFormat::qcow2;
    disk.readwrite = false;
    ASSERT_TRUE(run_task(io, controller->attach_disk(3, disk)).has_value());
    EXPECT_EQ(arguments_of("blockdev-add"),
              Json::parse(R"({"node-name": "hotplug-drive3", "driver": "qcow2", "read-only": true,
                              "file": {"driver": "host_device", "filename": "/dev/vg/data", "read-only": true}})"));
    EXPECT_EQ(arguments_of("device_add")["id"], "hotplug-disk3");
}

TEST_F(QemuControllerTest, WhatCannotBeHotPluggedIsRefusedWithoutAskingQemu)
{
    auto controller = ready();
    auto ide = run_task(io, controller->attach_disk(0, test::disk("/srv/a.img", "hdb")));
    ASSERT_FALSE(ide.has_value());
    EXPECT_EQ(ide.error().code, Errc::unsupported);
    EXPECT_NE(ide.error().message.find("IDE"), std::string::npos) << ide.error().message;
    DiskSpec empty = test::disk("", "xvdc");
    empty.pdev_path.reset();
    empty.is_cdrom = true;
    EXPECT_EQ(run_task(io, controller->attach_disk(0, empty)).error().code, Errc::unsupported);
    // Slots at or above 256 are configured disks' devids, never the daemon's free slots.
    EXPECT_EQ(run_task(io, controller->attach_disk(256, test::disk("/srv/a.img", "xvdb"))).error().code,
              Errc::invalid_argument);
    EXPECT_EQ(run_task(io, controller->attach_disk(-1, test::disk("/srv/a.img", "xvdb"))).error().code,
              Errc::invalid_argument);
    EXPECT_EQ(run_task(io, controller->detach_disk(300)).error().code, Errc::invalid_argument);
    EXPECT_EQ(run_task(io, controller->attach_nic(1, test::nic("", "00:16:3e:01:02:03"))).error().code,
              Errc::invalid_argument);
    VifSpec odd = test::nic("vif3.1", "00:16:3e:01:02:03");
    odd.model = "ne2k_pci";
    EXPECT_EQ(run_task(io, controller->attach_nic(1, odd)).error().code, Errc::unsupported);
    EXPECT_TRUE(sent().empty()) << sent().size();
}

TEST_F(QemuControllerTest, AnSdDiskGoesOnTheGuestsScsiController)
{
    auto controller = ready([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "qom-list")
            return {{returns(c, Json::array({{{"name", "type"}, {"type", "string"}},
                                            {{"name", "scsi0"}, {"type", "child<virtio-scsi-pci>"}}}))}};
        return qemu_like(c);
    });
    auto name = run_task(io, controller->attach_disk(1, test::disk("/srv/s.img", "sdb")));
    ASSERT_TRUE(name.has_value()) << name.error().message;
    EXPECT_EQ(*name, "");  // Linux names SCSI disks in the order it finds them
    EXPECT_EQ(sent(), (std::vector<std::string>{"qom-list", "blockdev-add", "device_add"}));
    EXPECT_EQ(arguments_of("qom-list"), Json({{"path", "/machine/peripheral"}}));
    EXPECT_EQ(arguments_of("device_add"),
              Json({{"driver", "scsi-hd"}, {"bus", "scsi0.0"}, {"channel", 0}, {"scsi-id", 1}, {"lun", 0},
                    {"drive", "hotplug-drive1"}, {"id", "hotplug-disk1"}}));
}

TEST_F(QemuControllerTest, AnSdDiskIsRefusedWhenTheGuestHasNoScsiController)
{
    auto controller = ready([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "qom-list")
            return {{returns(c, Json::array({{{"name", "balloon0"}, {"type", "child<virtio-balloon-pci>"}}}))}};
        return qemu_like(c);
    });
    auto name = run_task(io, controller->attach_disk(0, test::disk("/srv/s.img", "sda")));
    ASSERT_FALSE(name.has_value());
    EXPECT_EQ(name.error().code, Errc::unsupported);
    EXPECT_NE(name.error().message.find("SCSI controller"), std::string::npos) << name.error().message;
    EXPECT_EQ(sent(), (std::vector<std::string>{"qom-list"}));
}

TEST_F(QemuControllerTest, ADiskDeviceQemuRefusesIsUndone)
{
    auto controller = ready([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "device_add")
            return {{refuses(c, "GenericError", "Bus 'pci.0' does not support hotplugging")}};
        return qemu_like(c);
    });
    auto name = run_task(io, controller->attach_disk(0, test::disk("/srv/a.img", "xvdb")));
    ASSERT_FALSE(name.has_value());
    EXPECT_EQ(name.error().code, Errc::backend_failed);
    EXPECT_EQ(name.error().message, "Bus 'pci.0' does not support hotplugging");
    EXPECT_EQ(sent(), (std::vector<std::string>{"blockdev-add", "device_add", "blockdev-del"}));
    EXPECT_EQ(arguments_of("blockdev-del"), Json({{"node-name", "hotplug-drive0"}}));
}

TEST_F(QemuControllerTest, ABlockNodeQemuRefusesGetsNoDevice)
{
    auto controller = ready([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "blockdev-add")
            return {{refuses(c, "GenericError", "Could not open '/srv/a.img': No such file or directory")}};
        return qemu_like(c);
    });
    auto name = run_task(io, controller->attach_disk(0, test::disk("/srv/a.img", "xvdb")));
    ASSERT_FALSE(name.has_value());
    EXPECT_NE(name.error().message.find("Could not open"), std::string::npos);
    EXPECT_EQ(sent(), (std::vector<std::string>{"blockdev-add"}));
}

TEST_F(QemuControllerTest, DetachWaitsForTheGuestToLetGoBeforeDeletingTheNode)
{
    auto controller = ready();  // device_del is answered, and nothing more
    auto detached = start(io, controller->detach_disk(2));
    ASSERT_TRUE(run_until(io, [&] { return sent().size() == 2; }));
    EXPECT_EQ(sent(), (std::vector<std::string>{"query-status", "device_del"}));
    EXPECT_EQ(arguments_of("device_del"), Json({{"id", "hotplug-disk2"}}));
    const std::vector<std::string> deleted = device_deleted("hotplug-disk2");
    // The first event names only the virtio backend: still waiting.
    fake->send(deleted[0]);
    for (int i = 0; i < 10; ++i)
        io.run_one_for(5ms);
    EXPECT_FALSE(detached->has_value());
    EXPECT_EQ(sent().size(), 2u);
    fake->send(deleted[1]);
    ASSERT_TRUE(run_until(io, [&] { return detached->has_value(); }));
    ASSERT_TRUE(detached->value().has_value()) << detached->value().error().message;
    EXPECT_EQ(sent(), (std::vector<std::string>{"query-status", "device_del", "blockdev-del"}));
    EXPECT_EQ(arguments_of("blockdev-del"), Json({{"node-name", "hotplug-drive2"}}));
}

TEST_F(QemuControllerTest, AConfiguredDiskIsFoundByItsDevid)
{
    auto controller = ready(guest_lets_go);
    auto detached = run_task(io, controller->detach_disk(51728));  // xvdb
    ASSERT_TRUE(detached.has_value()) << detached.error().message;
    EXPECT_EQ(arguments_of("device_del"), Json({{"id", "disk-xvdb"}}));
    EXPECT_EQ(arguments_of("blockdev-del"), Json({{"node-name", "drive-xvdb"}}));
}

TEST_F(QemuControllerTest, ADeviceDeletedBeforeDeviceDelsAnswerIsNotMissed)
{
    // SCSI devices go at once; QEMU may send the event before the answer.
    auto controller = ready([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "device_del")
            return {{device_deleted(c["arguments"]["id"])[1], returns(c)}};
        return qemu_like(c);
    });
    auto detached = run_task(io, controller->detach_disk(0));
    ASSERT_TRUE(detached.has_value()) << detached.error().message;
    EXPECT_EQ(last_command(), "blockdev-del");
}

TEST_F(QemuControllerTest, AGuestThatDoesNotLetGoKeepsTheDevice)
{
    QemuControllerOptions options;
    options.unplug_timeout = 200ms;
    auto controller = ready(qemu_like, options);
    auto detached = run_task(io, controller->detach_disk(0));
    ASSERT_FALSE(detached.has_value());
    EXPECT_EQ(detached.error().code, Errc::timeout);
    EXPECT_NE(detached.error().message.find("did not let go of it within 200 ms"), std::string::npos)
        << detached.error().message;
    EXPECT_EQ(sent(), (std::vector<std::string>{"query-status", "device_del"}));  // no blockdev-del

    // QEMU's request stays pending: a guest that lets go later is news for the log, and the
    // next detach finds the device gone and deletes the node.
    for (const std::string& line : device_deleted("hotplug-disk0"))
        fake->send(line);
    ASSERT_TRUE(run_until(io, [&] { return count(GuestEvent::message) == 1; }));
    EXPECT_NE(events[0].text.find("hotplug-disk0"), std::string::npos) << events[0].text;
}

TEST_F(QemuControllerTest, ADeviceQemuNoLongerHasIsDetachedAtOnce)
{
    auto controller = ready([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "device_del")
            return {{refuses(c, "DeviceNotFound", "Device 'hotplug-disk0' not found")}};
        if (c["execute"] == "blockdev-del")
            return {{refuses(c, "GenericError", "Failed to find node with node-name='hotplug-drive0'")}};
        return qemu_like(c);
    });
    auto detached = run_task(io, controller->detach_disk(0));
    ASSERT_TRUE(detached.has_value()) << detached.error().message;
    EXPECT_EQ(sent(), (std::vector<std::string>{"query-status", "device_del", "blockdev-del"}));
}

TEST_F(QemuControllerTest, DetachFromAGuestThatDoesNotRunIsRefusedAtOnce)
{
    auto controller = ready([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "query-status")
            return {{returns(c, Json{{"status", "paused"}, {"singlestep", false}, {"running", false}})}};
        return qemu_like(c);
    });
    auto detached = run_task(io, controller->detach_nic(1));
    ASSERT_FALSE(detached.has_value());
    EXPECT_EQ(detached.error().code, Errc::invalid_state);
    EXPECT_NE(detached.error().message.find("paused"), std::string::npos) << detached.error().message;
    EXPECT_EQ(sent(), (std::vector<std::string>{"query-status"}));
}

TEST_F(QemuControllerTest, ClosingEndsADetachThatWaits)
{
    auto controller = ready();
    auto detached = start(io, controller->detach_disk(0));
    ASSERT_TRUE(run_until(io, [&] { return last_command() == "device_del"; }));
    controller->close();
    ASSERT_TRUE(run_until(io, [&] { return detached->has_value(); }));
    ASSERT_FALSE(detached->value().has_value());
    EXPECT_EQ(detached->value().error().code, Errc::invalid_state);
}

TEST_F(QemuControllerTest, AttachNicIsATapNetdevThenItsDevice)
{
    auto controller = ready();
    auto name = run_task(io, controller->attach_nic(1, test::nic("vif3.1", "00:16:3e:01:02:03")));
    ASSERT_TRUE(name.has_value()) << name.error().message;
    EXPECT_EQ(*name, "eth0");
    EXPECT_EQ(sent(), (std::vector<std::string>{"netdev_add", "device_add"}));
    EXPECT_EQ(arguments_of("netdev_add"), Json({{"type", "tap"}, {"id", "net-vif1"}, {"ifname", "vif3.1"},
                                                {"script", "no"}, {"downscript", "no"}}));
    EXPECT_EQ(arguments_of("device_add"), Json({{"driver", "virtio-net-pci"}, {"netdev", "net-vif1"},
                                                {"mac", "00:16:3e:01:02:03"}, {"id", "vif1"}}));
}

TEST_F(QemuControllerTest, AttachNicTakesTheModelItsSpecNames)
{
    auto controller = ready();
    VifSpec nic = test::nic("vif3.2", "");
    nic.model = "e1000";
    ASSERT_TRUE(run_task(io, controller->attach_nic(2, nic)).has_value());
    EXPECT_EQ(arguments_of("device_add"), Json({{"driver", "e1000"}, {"netdev", "net-vif2"}, {"id", "vif2"}}));
}

TEST_F(QemuControllerTest, ANicDeviceQemuRefusesIsUndone)
{
    auto controller = ready([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "device_add")
            return {{refuses(c, "GenericError", "Duplicate device ID 'vif1'")}};
        return qemu_like(c);
    });
    auto name = run_task(io, controller->attach_nic(1, test::nic("vif3.1", "00:16:3e:01:02:03")));
    ASSERT_FALSE(name.has_value());
    EXPECT_EQ(name.error().message, "Duplicate device ID 'vif1'");
    EXPECT_EQ(sent(), (std::vector<std::string>{"netdev_add", "device_add", "netdev_del"}));
    EXPECT_EQ(arguments_of("netdev_del"), Json({{"id", "net-vif1"}}));
}

TEST_F(QemuControllerTest, DetachNicDeletesTheNetdevOnceTheGuestLetsGo)
{
    auto controller = ready(guest_lets_go);
    auto detached = run_task(io, controller->detach_nic(1));
    ASSERT_TRUE(detached.has_value()) << detached.error().message;
    EXPECT_EQ(sent(), (std::vector<std::string>{"query-status", "device_del", "netdev_del"}));
    EXPECT_EQ(arguments_of("device_del"), Json({{"id", "vif1"}}));
    EXPECT_EQ(arguments_of("netdev_del"), Json({{"id", "net-vif1"}}));
}

// query-pci as QEMU 7.2 answers it on a pc machine (abridged): the host bridge, the
// balloon, two virtio disks and a virtio NIC.
Json pc_with_two_disks_and_a_nic()
{
    auto device = [](int slot, std::string id, int vendor, int device_id, int pci_class) {
        return Json{{"bus", 0}, {"slot", slot}, {"function", 0}, {"qdev_id", std::move(id)},
                    {"class_info", {{"class", pci_class}}},
                    {"id", {{"vendor", vendor}, {"device", device_id}}}};
    };
    return Json::array({Json{{"bus", 0},
                             {"devices", Json::array({device(0, "", 0x8086, 0x1237, 0x0600),
                                                      device(2, "balloon0", 0x1af4, 0x1002, 0x00ff),
                                                      device(6, "vif0", 0x1af4, 0x1000, 0x0200),
                                                      device(4, "disk-xvda", 0x1af4, 0x1001, 0x0100),
                                                      device(5, "disk-xvdc", 0x1af4, 0x1001, 0x0100)})}}});
}

TEST_F(QemuControllerTest, NamesAreTheLowestLinuxHasFree)
{
    auto controller = ready([](const Json& c) -> FakeQemu::Answer {
        if (c["execute"] == "query-pci")
            return {{returns(c, pc_with_two_disks_and_a_nic())}};
        return guest_lets_go(c);
    });
    // The guest has vda and vdb (by slot) and eth0.
    EXPECT_EQ(run_task(io, controller->attach_disk(0, test::disk("/srv/d.img", "xvdd"))).value(), "vdc");
    EXPECT_EQ(run_task(io, controller->attach_nic(1, test::nic("vif3.1", ""))).value(), "eth1");
    // Once vda is gone, Linux gives its index to the next disk.
    ASSERT_TRUE(run_task(io, controller->detach_disk(51712)).has_value());
    EXPECT_EQ(run_task(io, controller->attach_disk(1, test::disk("/srv/e.img", "xvde"))).value(), "vda");
    ASSERT_TRUE(run_task(io, controller->detach_nic(1)).has_value());
    EXPECT_EQ(run_task(io, controller->attach_nic(2, test::nic("vif3.2", ""))).value(), "eth1");
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
