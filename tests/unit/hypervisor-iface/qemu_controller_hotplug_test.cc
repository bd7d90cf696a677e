// The QEMU controller's hot-plug against a fake QEMU: disks (virtio-blk, SCSI) and NICs
// attached and detached, QEMU's refusals undone, a guest that does not let a device go, and
// the names Linux gives what is plugged. Split from qemu_controller_test.cc.
#include "qemu/qemu_controller.h"

#include "qemu/qemu_backend.h"

#include "backend_test_support.h"
#include "fake_qemu.h"
#include "qemu_controller_fixture.h"
#include "run_task.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace uxl {
namespace {

using namespace std::chrono_literals;
using test_support::device_deleted;
using test_support::event;
using test_support::FakeQemu;
using test_support::guest_lets_go;
using test_support::Json;
using test_support::qemu_like;
using test_support::QemuControllerTest;
using test_support::refuses;
using test_support::returns;
using test_support::run_task;
using test_support::run_until;
using test_support::start;

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

}  // namespace
}  // namespace uxl
