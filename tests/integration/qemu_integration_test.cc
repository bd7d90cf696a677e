// QEMU integration tests (issue 11): the real uxld, uxl and uxl-monitor with real QEMU guests
// under TCG (KVM does not work on these machines; uxld finds that out itself): Debian's cloud
// kernel and the example busybox initramfs with the modules QEMU guests need, as
// scripts/test provides them in $UXL_TEST_QEMU_KERNEL and $UXL_TEST_QEMU_INITRAMFS
// (share/examples/fetch-kernel.sh, build-guest.sh --modules). Each test runs uxld in a
// network namespace of its own (netns_fixture.h says how, and what is cleaned up).
#include "netns_fixture.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace uxl_integration;

constexpr const char* kQemu = "/usr/bin/qemu-system-x86_64";
constexpr const char* kQemuImg = "/usr/bin/qemu-img";

std::string env_path(const char* name)
{
    const char* v = std::getenv(name);
    return v && *v && ::access(v, R_OK) == 0 ? v : "";
}

class QemuIntegration : public NetnsDaemonFixture {
protected:
    void SetUp() override
    {
        m_kernel = env_path("UXL_TEST_QEMU_KERNEL");
        m_initramfs = env_path("UXL_TEST_QEMU_INITRAMFS");
        ASSERT_EQ(::access(kQemu, X_OK), 0) << kQemu << " is needed (scripts/setup-deps installs qemu-system-x86)";
        ASSERT_FALSE(m_kernel.empty() || m_initramfs.empty())
            << "UXL_TEST_QEMU_KERNEL and UXL_TEST_QEMU_INITRAMFS must name the QEMU test guest; scripts/test "
               "fetches and builds them (share/examples/fetch-kernel.sh, build-guest.sh --modules)";
        NetnsDaemonFixture::SetUp();
    }

    std::string guest_lines() const override
    {
        // No backend line, as in a Xen user's config: the kernel is a bzImage, so QEMU.
        return "kernel=\"" + m_kernel + "\"\nramdisk=\"" + m_initramfs + "\"\nmemory=256\n";
    }

    // The guest's QEMU processes: their command lines name the domain directory.
    std::vector<Proc> qemus()
    {
        std::vector<Proc> out;
        for (const auto& p : procs_mentioning(m_root + "/d/"))
            if (p.cmdline.find("qemu-system") != std::string::npos)
                out.push_back(p);
        return out;
    }

    // share/examples/build-hvm-disk.sh's disk: its boot sector prints "uxl boot sector up"
    // on the first serial port and halts.
    std::string boot_sector_image(const std::string& name)
    {
        const std::string path = m_root + "/img/" + name;
        RunResult r = run({"/bin/sh", std::string(UXL_SOURCE_DIR) + "/share/examples/build-hvm-disk.sh", path}, {}, "",
                          30s);
        EXPECT_EQ(r.exit_code, 0) << show(r);
        return path;
    }

    std::string m_kernel;
    std::string m_initramfs;
};

std::string guest_net(const std::string& ip)
{
    return "extra=\"console=ttyS0 ip=" + ip + "/24\"\nvif=[\"bridge=br0\"]\n";
}

// ---------------------------------------------------------------------------------------------
// The life cycle: create, banner on the console, list, shutdown -w (the ACPI power button:
// uxl.agent=0 keeps the test guest's agent from starting), and nothing left.

TEST_F(QemuIntegration, BootsListsAndShutsDownThroughThePowerButton)
{
    start_daemon();
    const int domid = create("q", "extra=\"console=ttyS0 uxl.agent=0\"\n");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("q")) << no_banner("q");
    EXPECT_EQ(qemus().size(), 1u) << describe(qemus());

    auto rows = list_rows();
    ASSERT_EQ(rows.size(), 2u) << uxl({"list"}).out;
    EXPECT_EQ(rows[1].name, "q");
    EXPECT_EQ(rows[1].domid, domid);

    RunResult info = uxl({"info"});
    EXPECT_NE(info.out.find("qemu-tcg"), std::string::npos) << info.out;

    RunResult r = uxl({"shutdown", "-w", "q"}, "", 90s);
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_TRUE(qemus().empty()) << describe(qemus());
    EXPECT_NE(slurp(m_root + "/log/uxld.log").find("ACPI power button"), std::string::npos);
    expect_nothing_left("after shutdown");
}

TEST_F(QemuIntegration, AConsoleHvc0ConfigShowsItsBannerOnThePvConsole)
{
    start_daemon();
    ASSERT_GT(create("pv", "type=\"pvh\"\nextra=\"console=hvc0\"\n"), 0);
    ASSERT_TRUE(wait_for_banner("pv")) << no_banner("pv");
    bool ok = false;
    std::string out = console_command("pv", "cat /sys/class/tty/console/active; echo HVC-$((6*7))", "HVC-42", 30s, &ok);
    EXPECT_TRUE(ok) << out;
    EXPECT_NE(out.find("hvc0"), std::string::npos) << out;
}

TEST_F(QemuIntegration, AnHvmGuestBootsFromItsDisk)
{
    start_daemon();
    const std::string img = boot_sector_image("boot.img");
    RunResult r = uxl({"create", [&] {
                           std::string path = m_root + "/cfg/hvm.cfg";
                           spit(path, "name=\"hvm\"\ntype=\"hvm\"\nmemory=32\nboot=\"c\"\n"
                                      "disk=['" + img + ",raw,hda,w']\n");
                           return path;
                       }()});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    EXPECT_TRUE(wait_until([&] { return console_log("hvm").find("uxl boot sector up") != std::string::npos; }, 60s))
        << console_log("hvm");
    destroy_all_and_expect_nothing_left("after destroy");
}

TEST_F(QemuIntegration, AVncServerAnswersOnLoopbackAtItsDisplay)
{
    start_daemon();
    const std::string img = boot_sector_image("boot.img");
    const std::string path = m_root + "/cfg/vnc.cfg";
    spit(path, "name=\"vnc\"\ntype=\"hvm\"\nmemory=32\nvnc=1\nvncdisplay=4\nvncunused=0\n"
               "disk=['" + img + ",raw,hda,w']\n");
    RunResult r = uxl({"create", path});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    // uxld runs in the test's namespace: its loopback is where the VNC server listens.
    RunResult answer;
    EXPECT_TRUE(wait_until([&] {
        answer = in_netns({s_busybox, "nc", "-w", "2", "127.0.0.1", "5904"}, 10s);
        return answer.out.rfind("RFB 003.008", 0) == 0;
    }, 30s)) << show(answer);

    // uxl vncviewer runs $VNCVIEWER on HOST:DISPLAY, as xl does.
    write_script("viewer", "#!/bin/sh\necho \"$*\" > '" + m_root + "/viewer-args'\n");
    r = run({UXL_BINARY, "vncviewer", "vnc"}, {"UXL_SOCKET=" + m_socket, "VNCVIEWER=" + m_root + "/scripts/viewer"}, "",
            30s);
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_EQ(slurp(m_root + "/viewer-args"), "127.0.0.1:4\n");
    r = run({UXL_BINARY, "vncviewer", "vnc"}, {"UXL_SOCKET=" + m_socket, "VNCVIEWER=" + m_root + "/no-such-viewer"}, "",
            30s);
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("VNC server is at 127.0.0.1:5904"), std::string::npos) << show(r);

    destroy_all_and_expect_nothing_left("after destroy");
}

// ---------------------------------------------------------------------------------------------
// Reboots, crashes and pause: each with the guest's own reason, from QMP.

// The test guest runs qemu-ga (build-guest.sh --agent), whose guest-shutdown runs the guest's
// /sbin/shutdown: it says on the console what it was asked for.
TEST_F(QemuIntegration, TheGuestAgentRebootsAndShutsDownTheGuestCleanly)
{
    start_daemon();
    const int first = create("ga", "extra=\"console=ttyS0\"\n");
    ASSERT_GT(first, 0);
    ASSERT_TRUE(wait_for_banner("ga")) << no_banner("ga");
    bool ok = false;
    std::string out = console_command("ga", "while ! pidof qemu-ga >/dev/null; do sleep 0.2; done; echo AGENT-$((6*7))",
                                      "AGENT-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;

    RunResult r = uxl({"reboot", "ga"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    ASSERT_TRUE(wait_until([&] { return domid_of("ga").value_or(first) != first; }, 60s)) << uxl({"list"}).out;
    EXPECT_NE(console_log("ga").find("shutdown -> reboot"), std::string::npos) << console_log("ga");
    ASSERT_TRUE(wait_until([&] { return count_of(console_log("ga"), kBanner) >= 2; }, kBootTimeout))
        << no_banner("ga");

    out = console_command("ga", "while ! pidof qemu-ga >/dev/null; do sleep 0.2; done; echo AGAIN-$((6*7))", "AGAIN-42",
                          30s, &ok);
    ASSERT_TRUE(ok) << out;
    r = uxl({"shutdown", "-w", "ga"}, "", 90s);
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_NE(console_log("ga").find("shutdown -> poweroff"), std::string::npos) << console_log("ga");
    EXPECT_EQ(slurp(m_root + "/log/uxld.log").find("ACPI power button"), std::string::npos);
    EXPECT_TRUE(qemus().empty()) << describe(qemus());
    expect_nothing_left("after shutdown");
}

TEST_F(QemuIntegration, AGuestRebootComesBackUnderANewDomid)
{
    start_daemon();
    const int first = create("rb", "extra=\"console=ttyS0\"\n");
    ASSERT_GT(first, 0);
    ASSERT_TRUE(wait_for_banner("rb")) << no_banner("rb");
    bool ok = false;
    std::string out = console_command("rb", "echo REBOOTING-$((6*7)); reboot -f", "REBOOTING-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;
    ASSERT_TRUE(wait_until([&] { return domid_of("rb").value_or(first) != first; }, 60s)) << uxl({"list"}).out;
    EXPECT_TRUE(wait_until([&] { return count_of(console_log("rb"), kBanner) >= 2; }, kBootTimeout))
        << console_log("rb");
    EXPECT_EQ(qemus().size(), 1u) << describe(qemus());
    EXPECT_NE(slurp(m_root + "/log/uxld.log").find("reason code 1"), std::string::npos);
}

TEST_F(QemuIntegration, WithoutAGuestAgentUxlRebootIsRefusedAsXlsAndMinusFResets)
{
    start_daemon();
    const int first = create("ur", "extra=\"console=ttyS0 uxl.agent=0\"\n");
    ASSERT_GT(first, 0);
    ASSERT_TRUE(wait_for_banner("ur")) << no_banner("ur");
    RunResult r = uxl({"reboot", "ur"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("PV control interface not available: external graceful reboot not possible."),
              std::string::npos)
        << show(r);
    EXPECT_NE(r.err.find("reboot failed (rc=-8)"), std::string::npos) << show(r);
    EXPECT_EQ(domid_of("ur").value_or(-1), first);
    r = uxl({"reboot", "-F", "ur"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_TRUE(wait_until([&] { return domid_of("ur").value_or(first) != first; }, 60s)) << uxl({"list"}).out;
}

TEST_F(QemuIntegration, APanicTakesEachOnCrashAction)
{
    start_daemon();
    // destroy: gone; preserve: kept, shut down; restart: back under a new domid.
    for (const std::string action : {"destroy", "preserve", "restart"}) {
        SCOPED_TRACE(action);
        const std::string name = "cr-" + action;
        const int domid = create(name, "extra=\"console=ttyS0\"\non_crash=\"" + action + "\"\n");
        ASSERT_GT(domid, 0);
        ASSERT_TRUE(wait_for_banner(name)) << no_banner(name);
        bool ok = false;
        std::string out =
            console_command(name, "echo CRASHING-$((6*7)); echo c > /proc/sysrq-trigger", "CRASHING-42", 30s, &ok);
        ASSERT_TRUE(ok) << out;
        if (action == "destroy") {
            EXPECT_TRUE(wait_until([&] { return !domid_of(name); }, 60s)) << uxl({"list"}).out;
        } else if (action == "preserve") {
            EXPECT_TRUE(wait_until([&] {
                for (const auto& row : list_rows())
                    if (row.name == name && row.state == "---sc-")
                        return true;
                return false;
            }, 60s)) << uxl({"list"}).out;
        } else {
            EXPECT_TRUE(wait_until([&] { return domid_of(name).value_or(domid) != domid; }, 60s))
                << uxl({"list"}).out;
        }
        const std::string log = slurp(m_root + "/log/uxld.log");
        EXPECT_NE(log.find("Domain " + std::to_string(domid) + " has shut down, reason code 3"), std::string::npos)
            << log;
        RunResult r = uxl({"destroy", name});
        if (action != "destroy") {
            EXPECT_EQ(r.exit_code, 0) << show(r);
        }
    }
    expect_nothing_left("after the crashes");
}

TEST_F(QemuIntegration, PauseStopsTheGuestAndUnpauseResumesIt)
{
    start_daemon();
    ASSERT_GT(create("pz", "extra=\"console=ttyS0\"\n"), 0);
    ASSERT_TRUE(wait_for_banner("pz")) << no_banner("pz");
    RunResult r = uxl({"pause", "pz"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    auto state_of = [&] {
        for (const auto& row : list_rows())
            if (row.name == "pz")
                return row.state;
        return std::string();
    };
    EXPECT_NE(state_of().find('p'), std::string::npos) << uxl({"list"}).out;
    r = uxl({"unpause", "pz"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    EXPECT_EQ(state_of().find('p'), std::string::npos) << uxl({"list"}).out;
    bool ok = false;
    std::string out = console_command("pz", "echo RESUMED-$((6*7))", "RESUMED-42", 30s, &ok);
    EXPECT_TRUE(ok) << out;
}

TEST_F(QemuIntegration, TriggersReachTheGuest)
{
    start_daemon();
    ASSERT_GT(create("tr", "extra=\"console=ttyS0\"\n"), 0);
    ASSERT_TRUE(wait_for_banner("tr")) << no_banner("tr");

    RunResult r = uxl({"trigger", "tr", "nmi"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_TRUE(wait_until([&] { return console_log("tr").find("NMI received") != std::string::npos; }, 30s))
        << console_log("tr");

    // What QEMU cannot send is refused in one sentence, with xl's exit status.
    r = uxl({"trigger", "tr", "init"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("QEMU cannot send the init trigger"), std::string::npos) << show(r);
    r = uxl({"trigger", "tr", "poke"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_EQ(r.err, "Invalid trigger \"poke\"\n");

    // The power button, through xl's deprecated spelling: the guest powers off, and
    // on_poweroff = "destroy" takes it away.
    r = uxl({"button-press", "tr", "power"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("\"button-press\" is deprecated"), std::string::npos) << show(r);
    EXPECT_TRUE(wait_until([&] { return !domid_of("tr"); }, 60s)) << uxl({"list"}).out;
    expect_nothing_left("after the power button");
}

TEST_F(QemuIntegration, VcpuSetPlugsACpuTheGuestSees)
{
    start_daemon();
    ASSERT_GT(create("vc", "extra=\"console=ttyS0\"\nvcpus=1\nmaxvcpus=2\n"), 0);
    ASSERT_TRUE(wait_for_banner("vc")) << no_banner("vc");
    RunResult r = uxl({"vcpu-set", "-i", "vc", "2"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    bool ok = false;
    std::string out = console_command("vc", "ls -d /sys/devices/system/cpu/cpu1 && echo CPU1-$((6*7))", "CPU1-42", 30s, &ok);
    EXPECT_TRUE(ok) << "the guest does not see its second vCPU:\n" << out;
    RunResult list = uxl({"vcpu-list", "vc"});
    EXPECT_EQ(count_of(list.out, "\nvc "), 2u) << list.out;
    // maxvcpus is the bound, and the stored config follows (list -l).
    r = uxl({"vcpu-set", "-i", "vc", "3"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("can have 1 to 2 vCPUs"), std::string::npos) << show(r);
    RunResult l = uxl({"list", "-l", "vc"});
    EXPECT_NE(l.out.find("\"avail_vcpus\": [\n                    0,\n                    1\n"), std::string::npos) << l.out;
}

// ---------------------------------------------------------------------------------------------
// Devices: the same taps and hooks as UML guests; disks in QEMU's formats.

TEST_F(QemuIntegration, TwoGuestsOnABridgePingEachOther)
{
    start_daemon();
    const int d1 = create("n1", guest_net("192.0.2.11"));
    const int d2 = create("n2", guest_net("192.0.2.12"));
    ASSERT_GT(d1, 0);
    ASSERT_GT(d2, 0);
    ASSERT_TRUE(wait_for_banner("n1")) << no_banner("n1");
    ASSERT_TRUE(wait_for_banner("n2")) << no_banner("n2");
    bool ok = false;
    std::string out = console_command("n1", "ping -c 2 -W 5 192.0.2.12 && echo PING-PEER-$((6*7))", "PING-PEER-42",
                                      60s, &ok);
    EXPECT_TRUE(ok) << "n1 could not ping n2:\n" << out;
    RunResult r = in_netns({s_busybox, "ping", "-c", "2", "-W", "5", "192.0.2.11"});
    EXPECT_EQ(r.exit_code, 0) << "host ping: " << show(r);
    for (const char* n : {"n1", "n2"}) {
        r = uxl({"destroy", n});
        EXPECT_EQ(r.exit_code, 0) << show(r);
    }
    const std::string log = hotplug_log();
    EXPECT_NE(log.find("/vif-bridge up domain=n1 vif=vif" + std::to_string(d1) + ".0 "), std::string::npos) << log;
    EXPECT_NE(log.find("/vif-bridge down domain=n2 vif=vif" + std::to_string(d2) + ".0 "), std::string::npos) << log;
    expect_nothing_left("after destroy");
}

TEST_F(QemuIntegration, RateLimitsWhatTheGuestSends)
{
    start_daemon();
    // 1 Kbit/s (120 bytes/s as xl counts it): the burst is one full frame, so of three 1428-byte pings a
    // second apart the first passes, the second waits ~11 s (its reply times out) and the
    // third finds the queue full.
    const int domid =
        create("rl", "extra=\"console=ttyS0 ip=192.0.2.21/24\"\nvif=[\"bridge=br0,rate=1Kb/s\"]\n");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("rl")) << no_banner("rl");
    const std::string tap = "vif" + std::to_string(domid) + ".0";
    const std::string ifb = "ifb" + std::to_string(domid) + ".0";
    const std::string tc = find_tool({"/usr/sbin/tc", "/sbin/tc"});
    ASSERT_FALSE(tc.empty()) << "tc (iproute2) is needed";
    RunResult filter = in_netns({tc, "filter", "show", "dev", tap, "ingress"});
    EXPECT_NE(filter.out.find("Redirect to device " + ifb), std::string::npos) << show(filter);
    RunResult qdisc = in_netns({tc, "qdisc", "show", "dev", ifb});
    EXPECT_NE(qdisc.out.find("tbf"), std::string::npos) << show(qdisc);
    // xl keeps rate= as bytes per 50 ms interval: 1 Kbit/s is 6 bytes, so 120 bytes/s.
    EXPECT_NE(qdisc.out.find("rate 960bit"), std::string::npos) << show(qdisc);

    bool ok = false;
    std::string out = console_command("rl", "ping -c 3 -s 1400 -W 2 192.0.2.1; echo PINGED-$((6*7))", "PINGED-42",
                                      60s, &ok);
    ASSERT_TRUE(ok) << out;
    EXPECT_NE(out.find("3 packets transmitted"), std::string::npos) << out;
    EXPECT_EQ(out.find("3 packets received"), std::string::npos) << "nothing was limited:\n" << out;
    EXPECT_EQ(out.find("2 packets received"), std::string::npos) << "nothing was limited:\n" << out;
    RunResult r = uxl({"destroy", "rl"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    // The ifb goes with the domain (expect_nothing_left counts every link but lo and br0).
    expect_nothing_left("after destroy");
}

TEST_F(QemuIntegration, DataWrittenToAQcow2DiskIsThereAfterDestroy)
{
    ASSERT_EQ(::access(kQemuImg, X_OK), 0) << kQemuImg << " is needed (qemu-utils)";
    start_daemon();
    const std::string img = m_root + "/img/data.qcow2";
    RunResult made = run({kQemuImg, "create", "-q", "-f", "qcow2", img, "8M"}, {}, "", 30s);
    ASSERT_EQ(made.exit_code, 0) << show(made);
    ASSERT_GT(create("qc", "extra=\"console=ttyS0\"\ndisk=['" + img + ",qcow2,xvdb,w']\n"), 0);
    ASSERT_TRUE(wait_for_banner("qc")) << no_banner("qc");
    bool ok = false;
    // Linux names virtio disks in the order it finds them, whatever their xvd letter: the
    // only one is vda.
    std::string out = console_command(
        "qc", "echo uxl-qcow2-marker > /dev/vda && sync && echo QCOW2-WRITTEN-$((6*7))", "QCOW2-WRITTEN-42", 30s, &ok);
    ASSERT_TRUE(ok) << "the guest did not write its disk:\n" << out;
    RunResult r = uxl({"destroy", "qc"});
    EXPECT_EQ(r.exit_code, 0) << show(r);

    const std::string raw = m_root + "/img/data.raw";
    RunResult converted = run({kQemuImg, "convert", "-f", "qcow2", "-O", "raw", img, raw}, {}, "", 30s);
    ASSERT_EQ(converted.exit_code, 0) << show(converted);
    EXPECT_EQ(slurp(raw).rfind("uxl-qcow2-marker\n", 0), 0u);
    expect_nothing_left("after destroy");
}

TEST_F(QemuIntegration, CdInsertAndEjectChangeTheMediumTheGuestReads)
{
    start_daemon();
    const std::string iso = make_image("cd.iso", 64u << 10);
    spit(iso, std::string("uxl-cdrom-marker\n") + std::string((64u << 10) - 17, '\0'));
    // An HVM guest booting the test kernel directly, with an empty IDE cdrom drive.
    ASSERT_GT(create("cd", "type=\"hvm\"\nextra=\"console=ttyS0\"\ndisk=[',hdc:cdrom,r']\n"), 0);
    ASSERT_TRUE(wait_for_banner("cd")) << no_banner("cd");

    RunResult r = uxl({"cd-insert", "cd", "hdc", iso});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    EXPECT_EQ(r.err, "") << show(r);
    // Linux fails the first read after a medium change (the drive's unit attention) and
    // reads the new medium from then on, as on a real drive.
    bool ok = false;
    std::string out = console_command("cd", "head -c 16 /dev/sr0; head -c 16 /dev/sr0; echo; echo READ-$((6*7))", "READ-42", 30s, &ok);
    EXPECT_TRUE(ok) << out;
    EXPECT_NE(out.find("uxl-cdrom-marker"), std::string::npos) << out;
    EXPECT_NE(uxl({"list", "-l", "cd"}).out.find("\"pdev_path\": \"" + iso + "\""), std::string::npos);

    r = uxl({"cd-eject", "cd", "hdc"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_EQ(r.err, "") << show(r);
    out = console_command("cd", "head -c 16 /dev/sr0 || echo NO-MEDIUM-$((6*7))", "NO-MEDIUM-42", 30s, &ok);
    EXPECT_TRUE(ok) << out;
    // A drive that is not a cdrom is refused in one sentence; the exit status is xl's.
    r = uxl({"cd-insert", "cd", "hdd", iso});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("hdd is not a cdrom drive"), std::string::npos) << show(r);
}

// ---------------------------------------------------------------------------------------------
// Hot-plug: block-attach and network-attach into a running guest (ACPI PCI hot-plug on the pc
// machine), and their detaches, which wait for the guest to let go.

// The MAC network-list shows for vif `devid`, or empty.
std::string mac_of(const std::string& network_list, int devid)
{
    std::istringstream rows(network_list);
    std::string line;
    std::getline(rows, line);  // the header
    while (std::getline(rows, line)) {
        std::istringstream fields(line);
        int idx = -1, be = -1;
        std::string mac;
        if (fields >> idx >> be >> mac && idx == devid)
            return mac;
    }
    return {};
}

TEST_F(QemuIntegration, HotPlugsADiskAndANicIntoARunningGuest)
{
    start_daemon();
    const std::string img = make_image("hot.img", 4u << 20);
    const int domid = create("hp", guest_net("192.0.2.31"));
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("hp")) << no_banner("hp");

    // The disk: the guest's first virtio disk, so vda whatever its xvd letter.
    RunResult r = uxl({"block-attach", "hp", img + ",raw,xvdb,w"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    EXPECT_NE(slurp(m_root + "/log/uxld.log").find("disk xvdb attached as vda"), std::string::npos)
        << slurp(m_root + "/log/uxld.log");
    r = uxl({"block-list", "hp"});
    EXPECT_NE(r.out.find("51728 0   " + std::to_string(domid)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(img), std::string::npos) << r.out;
    bool ok = false;
    std::string out = console_command(
        "hp", "while [ ! -e /sys/block/vda ]; do sleep 0.1; done; echo uxl-qemu-hotplug-marker > /dev/vda && sync && "
              "echo DISK-WRITTEN-$((6*7))",
        "DISK-WRITTEN-42", 30s, &ok);
    ASSERT_TRUE(ok) << "the guest did not get vda:\n" << out;

    r = uxl({"block-detach", "hp", "xvdb"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    r = uxl({"block-list", "hp"});
    EXPECT_EQ(r.out.find("51728"), std::string::npos) << r.out;
    // (Each session replays recent output, so look for what only the command's run prints.)
    out = console_command("hp", "echo DISKS-$(ls /sys/block | grep -c vd)-END; echo DISK-GONE-$((6*7))",
                          "DISK-GONE-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;
    EXPECT_NE(out.find("DISKS-0-END"), std::string::npos) << out;
    EXPECT_EQ(slurp(img).rfind("uxl-qemu-hotplug-marker\n", 0), 0u);

    // The NIC: a second tap on the bridge, its script run, eth1 in the guest with the MAC.
    r = uxl({"network-attach", "hp", "bridge=br0"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    const std::string tap = "vif" + std::to_string(domid) + ".1";
    RunResult master = in_netns_ip({"-br", "link", "show", "master", "br0"});
    EXPECT_NE(master.out.find(tap), std::string::npos) << master.out << "\n" << links();
    EXPECT_NE(hotplug_log().find("/vif-bridge up domain=hp vif=" + tap + " "), std::string::npos) << hotplug_log();
    EXPECT_NE(slurp(m_root + "/log/uxld.log").find("vif 1 attached as eth1"), std::string::npos)
        << slurp(m_root + "/log/uxld.log");
    r = uxl({"network-list", "hp"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    const std::string mac = mac_of(r.out, 1);
    ASSERT_EQ(mac.size(), 17u) << r.out;
    out = console_command("hp", "while [ ! -e /sys/class/net/eth1 ]; do sleep 0.1; done; cat /sys/class/net/eth1/address; "
                                "echo NIC-SEEN-$((6*7))",
                          "NIC-SEEN-42", 30s, &ok);
    ASSERT_TRUE(ok) << "the guest did not get eth1:\n" << out;
    EXPECT_NE(out.find(mac), std::string::npos) << out;

    r = uxl({"network-detach", "hp", mac});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    EXPECT_TRUE(wait_until([&] { return links().find(tap) == std::string::npos; }, 10s)) << links();
    EXPECT_NE(hotplug_log().find("/vif-bridge down domain=hp vif=" + tap + " "), std::string::npos) << hotplug_log();
    out = console_command("hp", "echo NETS-$(ls /sys/class/net | tr '\\n' -)END; echo NIC-GONE-$((6*7))", "NIC-GONE-42",
                          30s, &ok);
    ASSERT_TRUE(ok) << out;
    EXPECT_NE(out.find("NETS-eth0-lo-END"), std::string::npos) << out;

    destroy_all_and_expect_nothing_left("after destroy");
}

TEST_F(QemuIntegration, APausedGuestKeepsItsDiskUntilItRunsAgain)
{
    start_daemon();
    const std::string img = make_image("hot.img", 4u << 20);
    ASSERT_GT(create("pd", "extra=\"console=ttyS0\"\n"), 0);
    ASSERT_TRUE(wait_for_banner("pd")) << no_banner("pd");
    RunResult r = uxl({"block-attach", "pd", img + ",raw,xvdc,w"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    r = uxl({"pause", "pd"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    // A paused guest cannot let go: refused at once, and the disk stays.
    r = uxl({"block-detach", "pd", "xvdc"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("the guest is paused"), std::string::npos) << show(r);
    r = uxl({"block-list", "pd"});
    EXPECT_NE(r.out.find("51744"), std::string::npos) << r.out;
    r = uxl({"unpause", "pd"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    r = uxl({"block-detach", "pd", "xvdc"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    bool ok = false;
    std::string out = console_command("pd", "echo DISKS-$(ls /sys/block | grep -c vd)-END; echo DISK-GONE-$((6*7))",
                                      "DISK-GONE-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;
    EXPECT_NE(out.find("DISKS-0-END"), std::string::npos) << out;
}

TEST_F(QemuIntegration, AHotPlugThatFailsLeavesNothing)
{
    write_script("vif-fail", "#!/bin/sh\necho boom\nexit 1\n");
    write_script("block-fail", "#!/bin/sh\necho boom >&2\nexit 1\n");
    start_daemon();
    const std::string img = make_image("hot.img", 4u << 20);
    const int domid = create("hf", guest_net("192.0.2.33"));
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("hf")) << no_banner("hf");

    // The vif script fails: its tap goes again, QEMU is not asked.
    RunResult r = uxl({"network-attach", "hf", "bridge=br0", "script=vif-fail"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("vif-fail failed with exit status 1"), std::string::npos) << show(r);
    const std::string tap = "vif" + std::to_string(domid) + ".1";
    EXPECT_TRUE(wait_until([&] { return links().find(tap) == std::string::npos; }, 10s)) << links();
    // The block script fails; an IDE disk is refused on QEMU's side (IDE cannot be
    // hot-plugged) once the host side is ready, which is then undone.
    r = uxl({"block-attach", "hf", img + ",raw,xvdb,w,script=block-fail"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    r = uxl({"block-attach", "hf", img + ",raw,hdb,w,script=block"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("IDE"), std::string::npos) << show(r);
    EXPECT_TRUE(wait_until([&] { return loops_of_root().empty(); }, 10s)) << losetup_all();

    r = uxl({"block-list", "hf"});
    EXPECT_EQ(count_of(r.out, "\n"), 1u) << r.out;
    r = uxl({"network-list", "hf"});
    EXPECT_EQ(count_of(r.out, "\n"), 2u) << r.out;  // the header and vif 0
    bool ok = false;
    std::string out = console_command("hf", "echo NETS-$(ls /sys/class/net | tr '\\n' -)END DISKS-$(ls /sys/block | grep -c "
                                            "vd)-END; echo NOTHING-NEW-$((6*7))",
                                      "NOTHING-NEW-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;
    EXPECT_NE(out.find("NETS-eth0-lo-END DISKS-0-END"), std::string::npos) << out;

    // The same disk through the `block` script, as xvdb: QEMU opens the loop device (a
    // host_device node), which lives exactly as long as the attachment.
    r = uxl({"block-attach", "hf", img + ",raw,xvdb,w,script=block"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    EXPECT_EQ(loops_of_root().size(), 1u) << losetup_all();
    out = console_command("hf", "while [ ! -e /sys/block/vda ]; do sleep 0.1; done; echo LOOP-SEEN-$((6*7))",
                          "LOOP-SEEN-42", 30s, &ok);
    EXPECT_TRUE(ok) << out;
    r = uxl({"block-detach", "hf", "xvdb"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_TRUE(wait_until([&] { return loops_of_root().empty(); }, 10s)) << losetup_all();

    destroy_all_and_expect_nothing_left("after failed hot-plugs");
}

TEST_F(QemuIntegration, ARestartedUxldDetachesConfiguredAndHotPluggedDisks)
{
    ASSERT_EQ(::access(kQemuImg, X_OK), 0) << kQemuImg << " is needed (qemu-utils)";
    start_daemon();
    const std::string boot = make_image("boot.img", 4u << 20);
    const std::string img = m_root + "/img/hot.qcow2";
    RunResult made = run({kQemuImg, "create", "-q", "-f", "qcow2", img, "8M"}, {}, "", 30s);
    ASSERT_EQ(made.exit_code, 0) << show(made);
    ASSERT_GT(create("ra", "extra=\"console=ttyS0\"\ndisk=['" + boot + ",raw,xvda,w']\n"), 0);
    ASSERT_TRUE(wait_for_banner("ra")) << no_banner("ra");
    RunResult r = uxl({"block-attach", "ra", img + ",qcow2,xvdb,w"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    EXPECT_NE(slurp(m_root + "/log/uxld.log").find("disk xvdb attached as vdb"), std::string::npos)
        << slurp(m_root + "/log/uxld.log");
    bool ok = false;
    std::string out = console_command("ra", "while [ ! -e /sys/block/vdb ]; do sleep 0.1; done; echo QCOW2-SEEN-$((6*7))",
                                      "QCOW2-SEEN-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;

    // The new uxld's controller knows nothing of the old one's: the slots name the ids.
    ASSERT_TRUE(m_daemon.stop(SIGKILL));
    start_daemon();
    for (const char* vdev : {"xvdb", "xvda"}) {
        r = uxl({"block-detach", "ra", vdev});
        EXPECT_EQ(r.exit_code, 0) << vdev << ": " << show(r);
    }
    out = console_command("ra", "echo DISKS-$(ls /sys/block | grep -c vd)-END; echo DISKS-GONE-$((6*7))",
                          "DISKS-GONE-42", 30s, &ok);
    ASSERT_TRUE(ok) << out;
    EXPECT_NE(out.find("DISKS-0-END"), std::string::npos) << out;
    r = uxl({"list", "-l", "ra"});
    EXPECT_EQ(r.out.find(boot), std::string::npos) << r.out;
    destroy_all_and_expect_nothing_left("after destroy");
}

// ---------------------------------------------------------------------------------------------
// uxld's own restart: running QEMU guests are re-adopted, QMP and console intact.

TEST_F(QemuIntegration, KillingUxldLeavesGuestsRunningAndARestartAdoptsThem)
{
    start_daemon();
    const int domid = create("ad", "extra=\"console=ttyS0\"\n");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("ad")) << no_banner("ad");
    auto before = qemus();
    ASSERT_EQ(before.size(), 1u);

    ASSERT_TRUE(m_daemon.stop(SIGKILL));
    EXPECT_EQ(qemus().size(), 1u) << "the guest died with uxld";
    start_daemon();
    EXPECT_EQ(domid_of("ad").value_or(-1), domid) << uxl({"list"}).out;
    auto after = qemus();
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0].pid, before[0].pid);

    bool ok = false;
    std::string out = console_command("ad", "echo ADOPTED-$((6*7))", "ADOPTED-42", 30s, &ok);
    EXPECT_TRUE(ok) << out;
    // QMP is back: pause goes through it.
    RunResult r = uxl({"pause", "ad"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    r = uxl({"unpause", "ad"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    r = uxl({"shutdown", "-w", "ad"}, "", 90s);
    EXPECT_EQ(r.exit_code, 0) << show(r);
    expect_nothing_left("after the adopted guest shut down");
}

// ---------------------------------------------------------------------------------------------
// Failures leave nothing behind.

TEST_F(QemuIntegration, AFailingHookFailsTheCreateAndLeavesNothing)
{
    write_script("vif-fail", "#!/bin/sh\necho boom\nexit 1\n");
    start_daemon();
    RunResult r = create_raw("hf", "vif=['bridge=br0', 'bridge=br0,script=vif-fail']\n");
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("vif-fail"), std::string::npos) << show(r);
    expect_nothing_left("after a failing hook");
}

TEST_F(QemuIntegration, AKeyQemuCannotHonourFailsTheCreateAndLeavesNothing)
{
    start_daemon();
    RunResult r = create_raw("bk", "vif=['bridge=br0']\npci=['0000:00:1f.0']\n");
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("pci"), std::string::npos) << show(r);
    expect_nothing_left("after a refused key");
}

TEST_F(QemuIntegration, ConsoleTypeTakesTheOneConsoleAndRefusesTheOther)
{
    start_daemon();
    ASSERT_GT(create("pv", "type=\"pvh\"\nextra=\"console=hvc0\"\n"), 0);
    ASSERT_TRUE(wait_for_banner("pv")) << console_log("pv");
    // Its console is the virtio one (pv): -t serial and -t vuart fail as xenconsole does.
    for (const char* type : {"serial", "vuart"}) {
        RunResult r = uxl({"console", "-t", type, "pv"});
        EXPECT_EQ(r.exit_code, 2) << show(r);
        EXPECT_NE(r.err.find("Could not read tty from store"), std::string::npos) << show(r);
        EXPECT_NE(r.err.find("use -t pv"), std::string::npos) << show(r);
    }
    destroy_all_and_expect_nothing_left("after console -t");
}

TEST_F(QemuIntegration, MachineKeysQemuCannotTakeFailTheCreateAndLeaveNothing)
{
    start_daemon();
    for (const char* key : {"sdl=1\n", "bios=\"rombios\"\n", "soundhw=\"gus\"\n"}) {
        RunResult r = create_raw("mk", std::string("type=\"hvm\"\n") + key);
        EXPECT_NE(r.exit_code, 0) << show(r);
        EXPECT_NE(r.err.find(std::string(key).substr(0, std::string(key).find('='))), std::string::npos) << show(r);
    }
    expect_nothing_left("after refused machine keys");
}

}  // namespace
