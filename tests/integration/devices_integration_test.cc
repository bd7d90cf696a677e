// Device integration tests (issue 4): the real uxld, uxl and uxl-monitor with real
// User-Mode Linux guests, their taps, hotplug scripts and disks. Each test runs uxld in a
// network namespace of its own (netns_fixture.h says how, and what is cleaned up).
#include "netns_fixture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <optional>
#include <poll.h>
#include <random>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

using namespace uxl_integration;

// Opens the gate of vif-gated when it goes out of scope (or earlier, with open()), so that a
// failing test never leaves a create waiting in its hook. Declare it after the futures of
// the creates it holds: it must open before their destructors wait for them.
class HookGate {
public:
    explicit HookGate(std::string path) : m_path(std::move(path)) {}
    HookGate(const HookGate&) = delete;
    HookGate& operator=(const HookGate&) = delete;
    ~HookGate() { open(); }
    void open() { spit(m_path, "open\n"); }

private:
    std::string m_path;
};

bool finished(const std::future<RunResult>& run)
{
    return run.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

using DevicesIntegration = NetnsDaemonFixture;

std::string guest_net(const std::string& ip)
{
    return "extra=\"quiet pty.legacy_count=0 ip=" + ip + "/24\"\nvif=[\"bridge=br0\"]\n";
}

// ---------------------------------------------------------------------------------------------
// 1. Two guests on one bridge reach each other and the host; shutdown removes both taps and
//    runs the script down for each.

TEST_F(DevicesIntegration, TwoGuestsOnBridgePingAndShutdownCleansUp)
{
    start_daemon();
    int d1 = create("n1", guest_net("192.0.2.11"));
    int d2 = create("n2", guest_net("192.0.2.12"));
    ASSERT_GT(d1, 0);
    ASSERT_GT(d2, 0);
    const std::string tap1 = "vif" + std::to_string(d1) + ".0";
    const std::string tap2 = "vif" + std::to_string(d2) + ".0";
    std::string l = links();
    EXPECT_NE(l.find(tap1), std::string::npos) << l;
    EXPECT_NE(l.find(tap2), std::string::npos) << l;
    ASSERT_TRUE(wait_for_banner("n1")) << no_banner("n1");
    ASSERT_TRUE(wait_for_banner("n2")) << no_banner("n2");

    // n1 → n2 through the bridge, then n1 → the host.
    bool ok = false;
    std::string out = console_command("n1", "ping -c 2 -W 3 192.0.2.12 && echo PING-PEER-$((6*7))", "PING-PEER-42",
                                      30s, &ok);
    EXPECT_TRUE(ok) << "n1 could not ping n2:\n" << out;
    out = console_command("n1", "ping -c 2 -W 3 192.0.2.1 && echo PING-HOST-$((6*7))", "PING-HOST-42", 30s, &ok);
    EXPECT_TRUE(ok) << "n1 could not ping the host:\n" << out;

    // The host (inside the namespace) → each guest.
    for (const char* ip : {"192.0.2.11", "192.0.2.12"}) {
        RunResult r = in_netns({s_busybox, "ping", "-c", "2", "-W", "3", ip});
        EXPECT_EQ(r.exit_code, 0) << "host ping " << ip << ": " << show(r);
    }

    for (const char* n : {"n1", "n2"}) {
        RunResult r = uxl({"shutdown", "-w", n});
        EXPECT_EQ(r.exit_code, 0) << show(r);
    }
    EXPECT_TRUE(wait_until([&] { return extra_links().empty(); }, 10s)) << links();
    std::string log = hotplug_log();
    EXPECT_EQ(count_of(log, "/vif-bridge up domain="), 2u) << log;
    EXPECT_EQ(count_of(log, "/vif-bridge down domain="), 2u) << log;
    for (const auto& [name, tap] : {std::pair{std::string("n1"), tap1}, std::pair{std::string("n2"), tap2}}) {
        EXPECT_NE(log.find("/vif-bridge up domain=" + name + " vif=" + tap + " "), std::string::npos) << log;
        EXPECT_NE(log.find("/vif-bridge down domain=" + name + " vif=" + tap + " "), std::string::npos) << log;
    }
    EXPECT_EQ(count_of(log, "--- exit status 0"), 4u) << log;
    expect_nothing_left("after shutdown");
}

// ---------------------------------------------------------------------------------------------
// 2. A guest writes to its file-backed disk; after destroy the bytes are in the image.

TEST_F(DevicesIntegration, GuestDiskWriteLandsInImageFile)
{
    start_daemon();
    const std::string img = make_image("disk.img", 8u << 20);
    ASSERT_GT(create("dw", "extra=\"quiet pty.legacy_count=0\"\ndisk=['file:" + img + ",xvda,w']\n"), 0);
    ASSERT_TRUE(wait_for_banner("dw")) << no_banner("dw");

    bool ok = false;
    std::string out = console_command(
        "dw", "echo uxl-disk-marker > /dev/ubda && sync && echo DISK-WRITTEN-$((6*7))", "DISK-WRITTEN-42", 30s, &ok);
    ASSERT_TRUE(ok) << "the guest did not write its disk:\n" << out;

    RunResult r = uxl({"destroy", "dw"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    std::string data = slurp(img);
    EXPECT_EQ(data.size(), 8u << 20);
    EXPECT_EQ(data.rfind("uxl-disk-marker\n", 0), 0u) << "image starts with: " << data.substr(0, 32);
    expect_nothing_left("after destroy");
}

// ---------------------------------------------------------------------------------------------
// 3. A disk through the `block` script: a loop device while the guest runs, none after.

TEST_F(DevicesIntegration, BlockScriptLoopDeviceLivesWithTheGuest)
{
    ASSERT_FALSE(s_losetup.empty()) << "losetup is needed";
    start_daemon();
    const std::string img = make_image("block.img", 8u << 20);
    ASSERT_GT(create("bl", "extra=\"quiet pty.legacy_count=0\"\ndisk=['" + img + ",raw,xvdb,w,script=block']\n"), 0);

    RunResult j = run({s_losetup, "-j", img}, {}, "", 10s);
    EXPECT_NE(j.out.find(img), std::string::npos) << "no loop device for " << img << ":\n" << losetup_all();
    EXPECT_EQ(loops_of_root().size(), 1u) << losetup_all();
    std::string log = hotplug_log();
    EXPECT_NE(log.find("/block add " + img + " w xvdb bl "), std::string::npos) << log;
    ASSERT_TRUE(wait_for_banner("bl")) << no_banner("bl");

    RunResult r = uxl({"destroy", "bl"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_TRUE(wait_until([&] { return loops_of_root().empty(); }, 10s)) << losetup_all();
    log = hotplug_log();
    EXPECT_NE(log.find("/block remove " + img + " w xvdb bl "), std::string::npos) << log;
    expect_nothing_left("after destroy");
}

// ---------------------------------------------------------------------------------------------
// 4. Failing hooks and a missing bridge fail the create cleanly: no tap, no process, no
//    domain, no loop device.

TEST_F(DevicesIntegration, FailingVifScriptFailsCreateAndLeavesNothing)
{
    write_script("vif-fail", "#!/bin/sh\necho boom\nexit 1\n");
    start_daemon();
    // A good vif first, so the failure has something to undo: its tap and its script down.
    RunResult r = create_raw("vf", "extra=\"quiet pty.legacy_count=0\"\n"
                                   "vif=['bridge=br0', 'bridge=br0,script=vif-fail']\n");
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find(m_root + "/scripts/vif-fail failed with exit status 1"), std::string::npos) << show(r);
    EXPECT_NE(r.err.find("boom"), std::string::npos) << show(r);
    std::string log = hotplug_log();
    EXPECT_EQ(count_of(log, "/vif-bridge up domain=vf vif=vif"), 1u) << log;
    EXPECT_EQ(count_of(log, "/vif-bridge down domain=vf vif=vif"), 1u) << log;
    EXPECT_EQ(count_of(log, "/vif-fail up domain=vf"), 1u) << log;
    expect_nothing_left("after a failing vif script");
}

TEST_F(DevicesIntegration, HangingVifScriptTimesOutAndLeavesNothing)
{
    write_script("vif-hang", "#!/bin/sh\necho hanging\nsleep 100\n");
    spit(m_root + "/uxl.conf", "vif.default.bridge=\"br0\"\nvif.default.script=\"vif-bridge\"\nhotplug.timeout=2\n");
    start_daemon();
    // The script would run for 100 s; the error (and the create returning at all, within the
    // 60 s the command is given) shows that the 2 s hotplug.timeout ended it.
    RunResult r = create_raw("vh", "extra=\"quiet pty.legacy_count=0\"\nvif=['bridge=br0,script=vif-hang']\n", 60s);
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_FALSE(r.timed_out) << show(r);
    EXPECT_NE(r.err.find("killing execution of " + m_root + "/scripts/vif-hang because of timeout"),
              std::string::npos) << show(r);
    EXPECT_TRUE(wait_until([&] { return procs_mentioning("vif-hang").empty(); }, 10s))
        << describe(procs_mentioning("vif-hang"));
    expect_nothing_left("after a hanging vif script");
}

TEST_F(DevicesIntegration, MissingBridgeFailsCreateAndLeavesNothing)
{
    start_daemon();
    RunResult r = create_raw("nb", "extra=\"quiet pty.legacy_count=0\"\nvif=['bridge=nosuchbr0']\n");
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("Could not find bridge device nosuchbr0"), std::string::npos) << show(r);
    expect_nothing_left("after a missing bridge");
}

// ---------------------------------------------------------------------------------------------
// 5. Shell metacharacters in a vifname or bridge are never executed.

TEST_F(DevicesIntegration, VifnameWithShellMetacharactersIsRejected)
{
    start_daemon();
    // Short enough (15 bytes) that the character rule, not the length rule, rejects it.
    RunResult r = create_raw("mv", "extra=\"quiet pty.legacy_count=0\"\nvif=['bridge=br0,vifname=a;touch${IFS}x']\n");
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("only letters, digits"), std::string::npos) << show(r);
    expect_nothing_left("after a bad short vifname");

    // The brief's name, which also is too long for an interface.
    r = create_raw("mv", "extra=\"quiet pty.legacy_count=0\"\nvif=['bridge=br0,vifname=a;touch " + m_pwn +
                             "-vifname']\n");
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("`a;touch " + m_pwn + "-vifname'"), std::string::npos) << show(r);
    EXPECT_NE(r.err.find("15 characters"), std::string::npos) << show(r);
    expect_nothing_left("after a bad vifname");
    EXPECT_EQ(hotplug_log().find("touch"), std::string::npos) << hotplug_log();
    expect_not_pwned();
}

TEST_F(DevicesIntegration, BridgeWithShellMetacharactersIsLookedUpLiterally)
{
    start_daemon();
    RunResult r = create_raw("mb", "extra=\"quiet pty.legacy_count=0\"\nvif=['bridge=$(touch " + m_pwn +
                                       "-bridge)']\n");
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("Could not find bridge device $(touch " + m_pwn + "-bridge)"), std::string::npos)
        << show(r);
    expect_nothing_left("after a bad bridge");
    expect_not_pwned();
}

// ---------------------------------------------------------------------------------------------
// 6. Hot-plug: a second disk and a second nic go into a running guest, which sees them; they
//    survive a reboot (the domain is started anew from its updated config); a disk the guest
//    holds open is refused with UML's reason; detach removes tap, script and all.

TEST_F(DevicesIntegration, HotPlugDiskAndNicIntoRunningGuest)
{
    start_daemon();
    const std::string boot_img = make_image("boot.img", 4u << 20);
    const std::string img = make_image("hot.img", 4u << 20);
    {
        std::fstream f(img, std::ios::in | std::ios::out | std::ios::binary);
        f << "uxl-hotplug-marker\n";
    }
    int domid = create("hp", guest_net("192.0.2.21") + "disk=['file:" + boot_img + ",xvda,w']\n");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("hp")) << no_banner("hp");

    RunResult r = uxl({"block-attach", "hp", "file:" + img + ",xvdb,w"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    r = uxl({"network-attach", "hp", "bridge=br0"});
    ASSERT_EQ(r.exit_code, 0) << show(r);

    // The host side: a second tap, on the bridge, and the script ran for it.
    const std::string tap = "vif" + std::to_string(domid) + ".1";
    RunResult master = in_netns_ip({"-br", "link", "show", "master", "br0"});
    EXPECT_NE(master.out.find(tap), std::string::npos) << master.out << "\n" << links();
    EXPECT_NE(hotplug_log().find("/vif-bridge up domain=hp vif=" + tap + " "), std::string::npos) << hotplug_log();

    // The lists, in xl's formats.
    r = uxl({"block-list", "hp"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    EXPECT_EQ(r.out.rfind("Vdev  BE  handle state evt-ch ring-ref BE-path", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("51712 0   " + std::to_string(domid)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("51728 0   " + std::to_string(domid)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(img), std::string::npos) << r.out;
    r = uxl({"network-list", "hp"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    std::istringstream rows(r.out);
    std::string line, mac;
    std::getline(rows, line);  // header
    int nics = 0;
    while (std::getline(rows, line)) {
        std::istringstream f(line);
        int idx = -1, be = -1;
        std::string m;
        f >> idx >> be >> m;
        ++nics;
        if (idx == 1)
            mac = m;
    }
    EXPECT_EQ(nics, 2) << r.out;
    ASSERT_EQ(mac.size(), 17u) << r.out;
    EXPECT_EQ(mac.rfind("00:16:3e:", 0), 0u) << mac;

    // The guest sees both: ubdb with the image's bytes, eth1 with the MAC.
    bool ok = false;
    std::string out = console_command(
        "hp", "grep -c ubdb /proc/partitions; head -c 18 /dev/ubdb; echo; cat /sys/class/net/eth1/address; "
              "echo HOTPLUG-SEEN-$((6*7))",
        "HOTPLUG-SEEN-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;
    EXPECT_NE(out.find("uxl-hotplug-marker"), std::string::npos) << out;
    EXPECT_NE(out.find(mac), std::string::npos) << out;

    // A reboot starts the domain anew from its config, which now has both devices.
    r = uxl({"reboot", "hp"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    ASSERT_TRUE(wait_until([&] { return count_of(console_log("hp"), kBanner) >= 2; }, kBootTimeout))
        << console_log("hp");
    std::optional<int> new_domid;
    ASSERT_TRUE(wait_until([&] { return (new_domid = domid_of("hp")) && *new_domid != domid; }, 20s));
    const std::string new_tap = "vif" + std::to_string(*new_domid) + ".1";
    EXPECT_TRUE(wait_until([&] { return links().find(new_tap) != std::string::npos &&
                                        links().find(tap) == std::string::npos; }, 10s))
        << links();
    out = console_command("hp", "head -c 18 /dev/ubdb; echo; cat /sys/class/net/eth1/address; echo REBOOT-SEEN-$((6*7))",
                          "REBOOT-SEEN-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;
    EXPECT_NE(out.find("uxl-hotplug-marker"), std::string::npos) << out;
    EXPECT_NE(out.find(mac), std::string::npos) << out;

    // Busy: the guest holds ubdb open, so detach is refused with UML's reason.
    // The holder says so only once it has the device open (the redirection comes first).
    out = console_command("hp", "sh -c 'echo HOLDING-$((6*7)); exec sleep 600' < /dev/ubdb & echo $! > /tmp/holder",
                          "HOLDING-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;
    r = uxl({"block-detach", "hp", "xvdb"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("Device is currently open"), std::string::npos) << show(r);
    EXPECT_NE(r.err.find("libxl_device_disk_safe_remove failed."), std::string::npos) << show(r);
    r = uxl({"block-list", "hp"});
    EXPECT_NE(r.out.find("51728"), std::string::npos) << r.out;

    // Released once the holder has exited (reaped by the shell's `wait`, or by init when the
    // shell is not its parent), not after a pause.
    out = console_command("hp", "h=$(cat /tmp/holder); kill $h; wait $h 2>/dev/null; "
                                "while [ -e /proc/$h ]; do sleep 0.1; done; echo RELEASED-$((6*7))",
                          "RELEASED-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;
    r = uxl({"block-detach", "hp", "xvdb"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    r = uxl({"network-detach", "hp", mac});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_TRUE(wait_until([&] { return links().find(new_tap) == std::string::npos; }, 10s)) << links();
    EXPECT_NE(hotplug_log().find("/vif-bridge down domain=hp vif=" + new_tap + " "), std::string::npos)
        << hotplug_log();
    // (Each session replays recent output, so look for what only the command's run prints.)
    out = console_command("hp", "echo NETS-$(ls /sys/class/net | tr '\\n' -)END DISKS-$(grep -c ubd /proc/partitions)-END; "
                                "echo GONE-$((6*7))",
                          "GONE-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;
    EXPECT_NE(out.find("NETS-eth0-lo-END"), std::string::npos) << out;
    EXPECT_NE(out.find("DISKS-1-END"), std::string::npos) << out;
    r = uxl({"block-list", "hp"});
    EXPECT_EQ(r.out.find("51728"), std::string::npos) << r.out;
    r = uxl({"list", "-l", "hp"});
    EXPECT_EQ(r.out.find(img), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(boot_img), std::string::npos) << r.out;

    // Unknown devices, in xl's words.
    r = uxl({"block-detach", "hp", "xvdz"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("Error: Device xvdz not connected."), std::string::npos) << show(r);
    r = uxl({"network-detach", "hp", "7"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("Unknown device 7."), std::string::npos) << show(r);

    r = uxl({"destroy", "hp"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    expect_nothing_left("after destroy");
}

// ---------------------------------------------------------------------------------------------
// 7. A hot-plug whose hook fails leaves nothing behind and the guest as it was; a scripted
//    disk's loop device lives exactly as long as the attachment.

TEST_F(DevicesIntegration, FailingHookFailsAttachAndLeavesNothing)
{
    write_script("vif-fail", "#!/bin/sh\necho boom\nexit 1\n");
    start_daemon();
    int domid = create("hf", "extra=\"quiet pty.legacy_count=0\"\n");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("hf")) << no_banner("hf");
    RunResult r = uxl({"network-attach", "hf", "bridge=br0", "script=vif-fail"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("vif-fail failed with exit status 1"), std::string::npos) << show(r);
    EXPECT_NE(r.err.find("libxl_device_nic_add failed."), std::string::npos) << show(r);
    EXPECT_TRUE(wait_until([&] { return extra_links().empty(); }, 10s)) << links();
    r = uxl({"network-list", "hf"});
    EXPECT_EQ(count_of(r.out, "\n"), 1u) << r.out;
    // A disk through the `block` script: a loop device exactly while it is attached.
    if (!s_losetup.empty()) {
        const std::string img = make_image("hot-block.img", 4u << 20);
        r = uxl({"block-attach", "hf", img + ",raw,xvdb,w,script=block"});
        ASSERT_EQ(r.exit_code, 0) << show(r);
        EXPECT_EQ(loops_of_root().size(), 1u) << losetup_all();
        r = uxl({"block-list", "hf"});
        EXPECT_NE(r.out.find("/dev/loop"), std::string::npos) << r.out;
        r = uxl({"block-detach", "hf", "51728"});
        EXPECT_EQ(r.exit_code, 0) << show(r);
        EXPECT_TRUE(wait_until([&] { return loops_of_root().empty(); }, 10s)) << losetup_all();
        EXPECT_NE(hotplug_log().find("/block remove " + img + " w xvdb hf "), std::string::npos) << hotplug_log();
    }
    // A disk UML cannot read is refused before anything is done.
    r = uxl({"block-attach", "hf", "format=qcow2,vdev=xvdb,target=" + m_root + "/x.qcow2"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("raw"), std::string::npos) << show(r);
    r = uxl({"destroy", "hf"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    expect_nothing_left("after destroy");
}

// ---------------------------------------------------------------------------------------------
// 8. A name belongs to one domain, also while a create of it is still setting up devices:
//    concurrent creates of one name, a rename to a name being created and a second create of
//    it are refused with xl's words. The creates are held in their vif hook (vif-gated) until
//    the test opens a gate, so the overlap never depends on timing.

TEST_F(DevicesIntegration, ConcurrentCreatesOfOneNameMakeOneDomain)
{
    write_gated_vif_script();
    start_daemon();
    const std::string config = gated_config("dup");
    std::vector<std::future<RunResult>> creates;
    HookGate gate(gate_path());
    for (int i = 0; i < 3; ++i)
        creates.push_back(create_in_background(config));
    // A create that got past the name check waits in its hook until the gate opens. Wait
    // until two creates have been refused, or until all three are in the hook (two too many).
    (void)wait_until([&] {
        return std::count_if(creates.begin(), creates.end(), [](const auto& c) { return finished(c); }) >= 2 ||
               creates_in_hook() >= 3;
    }, 30s);
    const size_t in_hook = creates_in_hook();
    gate.open();
    std::vector<RunResult> results;
    for (auto& c : creates)
        results.push_back(c.get());

    int succeeded = 0;
    std::string all;
    for (const auto& r : results) {
        all += show(r) + "\n";
        if (r.exit_code == 0)
            ++succeeded;
    }
    EXPECT_EQ(in_hook, 1u) << "creates that reached the vif hook";
    EXPECT_EQ(succeeded, 1) << all;
    for (const auto& r : results) {
        if (r.exit_code == 0)
            continue;
        EXPECT_FALSE(r.timed_out) << show(r);
        EXPECT_NE(r.err.find(already_exists("dup")), std::string::npos) << show(r);
    }
    EXPECT_EQ(rows_named("dup"), 1u) << uxl({"list"}).out;
    destroy_all_and_expect_nothing_left("after three concurrent creates of one name");
}

TEST_F(DevicesIntegration, RenameToANameBeingCreatedIsRefused)
{
    write_gated_vif_script();
    start_daemon();
    ASSERT_GT(create("a", "extra=\"quiet pty.legacy_count=0\"\n"), 0);
    std::future<RunResult> create_b;
    HookGate gate(gate_path());
    create_b = create_in_background(gated_config("b"));
    ASSERT_TRUE(wait_until([&] { return creates_in_hook() >= 1 || finished(create_b); }, 30s))
        << "the create of b never reached its vif hook";
    ASSERT_FALSE(finished(create_b)) << "the create of b ended before its hook: " << show(create_b.get());

    RunResult r = uxl({"rename", "a", "b"});
    EXPECT_NE(r.exit_code, 0) << "rename a b succeeded while b was being created: " << show(r);
    EXPECT_NE(r.err.find(already_exists("b")), std::string::npos) << show(r);
    EXPECT_FALSE(finished(create_b));  // the rename was refused while the create was held

    gate.open();
    RunResult created = create_b.get();
    EXPECT_EQ(created.exit_code, 0) << show(created);
    EXPECT_EQ(rows_named("a"), 1u) << uxl({"list"}).out;
    EXPECT_EQ(rows_named("b"), 1u) << uxl({"list"}).out;
    destroy_all_and_expect_nothing_left("after a rename raced a create");
}

TEST_F(DevicesIntegration, CreateOfANameBeingCreatedFailsAtOnce)
{
    write_gated_vif_script();
    start_daemon();
    const std::string config = gated_config("b");
    std::future<RunResult> first;
    std::future<RunResult> second;
    HookGate gate(gate_path());
    first = create_in_background(config);
    ASSERT_TRUE(wait_until([&] { return creates_in_hook() >= 1 || finished(first); }, 30s))
        << "the first create of b never reached its vif hook";
    ASSERT_FALSE(finished(first)) << "the first create of b ended before its hook: " << show(first.get());

    // "At once": the second create returns while the first is still held at the gate, and
    // without reaching a hook itself.
    second = create_in_background(config);
    (void)wait_until([&] { return finished(second) || creates_in_hook() >= 2; }, 30s);
    EXPECT_TRUE(finished(second)) << "the second create of b did not return while the first was in progress";
    EXPECT_EQ(creates_in_hook(), 1u) << "the second create of b went on to set up its devices:\n"
                                     << slurp(m_root + "/hook-started");
    EXPECT_FALSE(finished(first));

    gate.open();
    RunResult r2 = second.get();
    RunResult r1 = first.get();
    EXPECT_NE(r2.exit_code, 0) << show(r2);
    EXPECT_NE(r2.err.find(already_exists("b")), std::string::npos) << show(r2);
    EXPECT_EQ(r1.exit_code, 0) << show(r1);
    EXPECT_EQ(rows_named("b"), 1u) << uxl({"list"}).out;
    destroy_all_and_expect_nothing_left("after two creates of one name");
}

}  // namespace
