// QemuBackend: capabilities, validate(), the plan fields the argv goldens do not show
// (console wiring, control endpoint, devices, ballooning), exit reasons and the host check.
// The argv itself is golden-tested (tests/golden/qemu, launch_plan_test.cc).
#include "qemu/qemu_backend.h"

#include "backend_test_support.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include <algorithm>

namespace uxl {
namespace {

using test::disk;
using test::paths;

DomainSpec pv_spec()
{
    DomainSpec spec;
    spec.name = "vm";
    spec.backend = BackendKind::qemu;
    spec.kernel = "/srv/vmlinuz";
    spec.target_memkb = 256 * 1024;
    spec.max_memkb = 256 * 1024;
    return spec;
}

DomainSpec hvm_spec()
{
    DomainSpec spec = pv_spec();
    spec.type = DomainType::hvm;
    spec.kernel.clear();
    return spec;
}

Error refusal(const DomainSpec& spec)
{
    Result<void> r = QemuBackend().validate(spec);
    EXPECT_FALSE(r.has_value());
    return r ? Error{} : r.error();
}

// argv as one line, each word followed by a blank, for finding words in it.
std::string joined(const std::vector<std::string>& argv)
{
    std::string line;
    for (const std::string& word : argv)
        line += word + " ";
    return line;
}

// The word after `option` in argv, or empty.
std::string after(const std::vector<std::string>& argv, std::string_view option)
{
    auto it = std::find(argv.begin(), argv.end(), option);
    return it != argv.end() && it + 1 != argv.end() ? *(it + 1) : std::string();
}

TEST(QemuCapabilities, AreWhatThePlanAndQmpProvideFor)
{
    Capabilities expected;
    expected.pause = true;
    expected.reboot = true;
    expected.balloon = true;
    expected.sysrq = true;
    expected.vcpu_set = true;
    expected.hotplug_disk = true;  // device_add / device_del over QMP
    expected.hotplug_nic = true;
    EXPECT_EQ(QemuBackend().capabilities(), expected);
}

TEST(QemuBackendName, IsQemuOfKindQemu)
{
    EXPECT_EQ(QemuBackend().name(), "qemu");
    EXPECT_EQ(QemuBackend().kind(), BackendKind::qemu);
}

TEST(QemuPlan, ConsoleIsTheMonitorsSocketpairAndControlIsQmp)
{
    auto plan = QemuBackend().plan_launch(pv_spec(), paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_EQ(plan->console, ConsoleWiring::stdio_socketpair);
    EXPECT_EQ(after(plan->argv, "-chardev"), "stdio,id=console0,signal=off");
    EXPECT_EQ(plan->control_endpoint, "/run/uxl/7/qmp.sock");
    EXPECT_EQ(plan->working_dir, "/run/uxl/7");
    EXPECT_FALSE(plan->disable_aslr);
    EXPECT_TRUE(plan->env.empty());
    EXPECT_TRUE(plan->directories.empty());
    EXPECT_EQ(plan->boot_memory_kb, 256u * 1024);
    EXPECT_EQ(plan->balloon_target_kb, 0u);
}

TEST(QemuPlan, BootsWithMaxmemAndBalloonsDownToMemory)
{
    DomainSpec spec = pv_spec();
    spec.max_memkb = 1024 * 1024;
    auto plan = QemuBackend().plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_EQ(after(plan->argv, "-m"), "1024M");
    EXPECT_EQ(plan->boot_memory_kb, 1024u * 1024);
    EXPECT_EQ(plan->balloon_target_kb, 256u * 1024);
}

TEST(QemuPlan, SaysWhereEachDeviceIs)
{
    DomainSpec spec = pv_spec();
    spec.disks = {disk("/srv/c.img", "xvdc"), disk("/srv/s.img", "sdb"), disk("/srv/a.img", "xvda")};
    VifSpec nic;
    nic.devid = 2;
    spec.nics = {nic};
    auto plan = QemuBackend().plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    ASSERT_EQ(plan->devices.size(), 4u);
    EXPECT_EQ(plan->devices[0].host, "/srv/a.img");
    EXPECT_EQ(plan->devices[0].devid, 51712);
    // A configured disk's slot is its devid: QEMU knows it by name (disk-xvda), and the
    // daemon's hot-plug slots (0, 1, ...) stay clear of it (qemu_devices.h).
    EXPECT_EQ(plan->devices[0].slot, 51712);
    EXPECT_EQ(plan->devices[0].guest_name, "vda");
    // Linux names SCSI disks in the order it finds them, which the plan cannot know.
    EXPECT_EQ(plan->devices[1].host, "/srv/s.img");
    EXPECT_EQ(plan->devices[1].guest_name, "");
    EXPECT_EQ(plan->devices[2].guest_name, "vdb");  // xvdc is the second virtio disk
    const PlannedDevice& n = plan->devices[3];
    EXPECT_EQ(n.kind, PlannedDevice::Kind::nic);
    EXPECT_EQ(n.devid, 2);
    EXPECT_EQ(n.slot, 2);
    EXPECT_EQ(n.host, "vif7.2");
    EXPECT_TRUE(plan->reserved_disk_slots.empty());
}

TEST(QemuPlan, NamesEachDiskByTheNumberItsVdevReads)
{
    // A vdev written as its number gets the ids of the name the number reads as, so a slot
    // alone finds them again.
    DomainSpec spec = pv_spec();
    spec.disks = {disk("/srv/b.img", "51728"), disk("/srv/c.img", "hdc")};
    auto plan = QemuBackend().plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    const std::string argv = joined(plan->argv);
    EXPECT_NE(argv.find("\"node-name\":\"drive-xvdb\""), std::string::npos) << argv;
    EXPECT_NE(argv.find("virtio-blk-pci,drive=drive-xvdb,id=disk-xvdb"), std::string::npos) << argv;
    EXPECT_NE(argv.find("ide-hd,drive=drive-hdc,bus=ide.1,unit=0,id=disk-hdc"), std::string::npos) << argv;
    ASSERT_EQ(plan->devices.size(), 2u);
    EXPECT_EQ(plan->devices[0].slot, 51728);
    EXPECT_EQ(plan->devices[1].slot, 5632);
}

TEST(QemuPlan, AKernelWithoutAConsoleWritesToTheSerialPort)
{
    DomainSpec spec = pv_spec();
    spec.cmdline = "root=/dev/vda";
    auto plan = QemuBackend().plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(after(plan->argv, "-append"), "root=/dev/vda console=ttyS0");
    EXPECT_EQ(after(plan->argv, "-serial"), "chardev:console0");
}

TEST(QemuPlan, AConsoleOnTheCommandLineIsKept)
{
    DomainSpec spec = pv_spec();
    spec.cmdline = "console=hvc0 console=tty0";  // the last one is /dev/console
    auto plan = QemuBackend().plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(after(plan->argv, "-append"), "console=hvc0 console=tty0");
    EXPECT_EQ(after(plan->argv, "-serial"), "chardev:console0");
}

TEST(QemuPlan, CommasInTheNameAreEscapedForQemusOptionSyntax)
{
    DomainSpec spec = pv_spec();
    spec.name = "a,b";
    auto plan = QemuBackend().plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(after(plan->argv, "-name"), "guest=a,,b,debug-threads=on");
}

TEST(QemuPlan, HvmWithAKernelBootsItDirectly)
{
    DomainSpec spec = hvm_spec();
    spec.kernel = "/srv/vmlinuz";
    auto plan = QemuBackend().plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_EQ(after(plan->argv, "-kernel"), "/srv/vmlinuz");
    EXPECT_EQ(after(plan->argv, "-boot"), "order=cd");
}

TEST(QemuPlan, HvmIgnoresABootloaderAsLibxlDoes)
{
    DomainSpec spec = hvm_spec();
    spec.bootloader = "pygrub";
    EXPECT_TRUE(QemuBackend().validate(spec).has_value());
}

TEST(QemuPlan, KvmHostUsesTheHostCpu)
{
    auto plan = QemuBackend(QemuHost{QemuHost::Accelerator::kvm}).plan_launch(pv_spec(), paths(), 7);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(after(plan->argv, "-accel"), "kvm");
    EXPECT_EQ(after(plan->argv, "-cpu"), "host");
    auto tcg = QemuBackend().plan_launch(pv_spec(), paths(), 7);
    ASSERT_TRUE(tcg.has_value());
    EXPECT_EQ(after(tcg->argv, "-accel"), "tcg");
    EXPECT_EQ(after(tcg->argv, "-cpu"), "");
}

TEST(QemuPlan, RefusesAQmpSocketPathLongerThanASocketAllows)
{
    DomainPaths p = paths();
    p.run_dir = "/" + std::string(100, 'r');
    auto plan = QemuBackend().plan_launch(pv_spec(), p, 7);
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().code, Errc::invalid_argument);
    EXPECT_EQ(plan.error().context, "QMP socket");
}

TEST(QemuPlan, RefusesADefaultTapNameLongerThanLinuxAllows)
{
    DomainSpec spec = pv_spec();
    VifSpec nic;
    nic.devid = 1234;
    spec.nics = {nic};
    auto plan = QemuBackend().plan_launch(spec, paths(), 123456789);
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().context, "vif 1234");
}

TEST(QemuPlan, IsDeterministic)
{
    DomainSpec spec = pv_spec();
    spec.disks = {disk("/srv/a.img", "xvda"), disk("/srv/b.img", "hdb")};
    spec.nics = {VifSpec{}};
    auto first = QemuBackend().plan_launch(spec, paths(), 7);
    auto second = QemuBackend().plan_launch(spec, paths(), 7);
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_EQ(first->argv, second->argv);
}

TEST(QemuValidate, RefusesAPvGuestWithoutAKernel)
{
    // A spec from the control protocol need not have passed xl's "Neither kernel nor
    // bootloader" check.
    DomainSpec spec = pv_spec();
    spec.kernel.clear();
    EXPECT_EQ(refusal(spec).context, "kernel");
}

TEST(QemuValidate, RefusesRelativeKernelAndDiskPaths)
{
    DomainSpec spec = pv_spec();
    spec.kernel = "vmlinuz";
    EXPECT_EQ(refusal(spec).context, "kernel");
    spec = pv_spec();
    spec.disks = {disk("root.img", "xvda")};
    EXPECT_EQ(refusal(spec).context, "disk xvda");
}

TEST(QemuValidate, AcceptsEveryFormatXlKnowsButEmpty)
{
    for (DiskFormat format : {DiskFormat::raw, DiskFormat::qcow, DiskFormat::qcow2, DiskFormat::vhd,
                              DiskFormat::qed}) {
        DomainSpec spec = pv_spec();
        spec.disks = {disk("/srv/a.img", "xvda")};
        spec.disks[0].format = format;
        EXPECT_TRUE(QemuBackend().validate(spec).has_value()) << to_string(format);
    }
}

TEST(QemuValidate, RefusesTwoVifsWithOneDevid)
{
    DomainSpec spec = pv_spec();
    VifSpec a;
    a.devid = 3;
    spec.nics = {a, a};
    EXPECT_EQ(refusal(spec).context, "vif 3");
}

TEST(QemuValidate, RefusesAMulticastMac)
{
    DomainSpec spec = pv_spec();
    VifSpec nic;
    nic.mac.bytes = {0x01, 0x16, 0x3e, 0, 0, 1};
    spec.nics = {nic};
    EXPECT_EQ(refusal(spec).context, "vif 0");
}

TEST(QemuExitReason, ZeroIsAPoweroffAnythingElseACrash)
{
    QemuBackend qemu;
    EXPECT_EQ(qemu.exit_reason(GuestExit{0, std::nullopt}), ShutdownReason::poweroff);
    EXPECT_EQ(qemu.exit_reason(GuestExit{1, std::nullopt}), ShutdownReason::crash);  // a panic
    EXPECT_EQ(qemu.exit_reason(GuestExit{std::nullopt, 9}), ShutdownReason::crash);
}

TEST(QemuHostCheck, NeedsQemuAndNamesTheDebianPackage)
{
    auto checked = QemuBackend().check_host(pv_spec());
    if (::access(std::string(QemuBackend::program).c_str(), X_OK) == 0) {
        EXPECT_TRUE(checked.has_value()) << checked.error().message;
    } else {
        ASSERT_FALSE(checked.has_value());
        EXPECT_EQ(checked.error().code, Errc::unsupported);
        EXPECT_NE(checked.error().message.find("qemu-system-x86"), std::string::npos);
    }
}

TEST(QemuHostFacts, NameTheAccelerator)
{
    auto facts = QemuBackend(QemuHost{QemuHost::Accelerator::kvm}).host_facts();
    EXPECT_NE(std::find(facts.begin(), facts.end(),
                        std::pair<std::string, std::string>{"qemu_accelerator", "kvm"}),
              facts.end());
}

TEST(QemuConsoleType, IsPvForAVirtioConsoleAndSerialOtherwise)
{
    DomainSpec spec = pv_spec();
    EXPECT_EQ(QemuBackend().console_type(spec), ConsoleType::serial);
    spec.cmdline = "root=/dev/xvda1 console=hvc0";
    EXPECT_EQ(QemuBackend().console_type(spec), ConsoleType::pv);
    spec.cmdline = "console=hvc0 console=ttyS0";  // the last console= is the kernel's
    EXPECT_EQ(QemuBackend().console_type(spec), ConsoleType::serial);
    EXPECT_EQ(QemuBackend().console_type(hvm_spec()), ConsoleType::serial);
}

TEST(QemuPlan, OvmfGetsTheDomainsOwnCopyOfItsVariables)
{
    DomainSpec spec = hvm_spec();
    spec.hvm.bios = BiosKind::ovmf;
    auto plan = QemuBackend().plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    ASSERT_EQ(plan->file_copies.size(), 1u);
    EXPECT_EQ(plan->file_copies[0].source, "/usr/share/OVMF/OVMF_VARS.fd");
    EXPECT_EQ(plan->file_copies[0].destination, "/run/uxl/7/OVMF_VARS.fd");
    EXPECT_NE(joined(plan->argv).find("-drive if=pflash,format=raw,unit=1,file=/run/uxl/7/OVMF_VARS.fd "),
              std::string::npos);
    EXPECT_TRUE(QemuBackend().plan_launch(hvm_spec(), paths(), 7)->file_copies.empty());
}

TEST(QemuPlan, RtcTimeoffsetWithLocaltimeStartsAtTheLocalTimePlusTheOffset)
{
    const char* old = std::getenv("TZ");
    const std::string saved = old ? old : "";
    ::setenv("TZ", "UTC-2", 1);  // two hours east of UTC
    ::tzset();
    QemuHost host;
    host.clock = [] { return std::int64_t{1700000000}; };  // 2023-11-14T22:13:20Z
    DomainSpec spec = hvm_spec();
    spec.localtime = true;
    spec.rtc_timeoffset = -60;
    auto plan = QemuBackend(host).plan_launch(spec, paths(), 7);
    if (old)
        ::setenv("TZ", saved.c_str(), 1);
    else
        ::unsetenv("TZ");
    ::tzset();
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_EQ(after(plan->argv, "-rtc"), "base=2023-11-15T00:12:20");
}

TEST(QemuValidate, ApicPaeAndTheCardsMemoryAreCheckedAsLibxlDoes)
{
    DomainSpec spec = hvm_spec();
    spec.hvm.vga = VgaKind::std;
    spec.hvm.video_memkb = 8 * 1024;
    EXPECT_EQ(refusal(spec).context, "videoram");
    spec.hvm.vga = VgaKind::qxl;
    EXPECT_EQ(refusal(spec).context, "videoram");
    spec.hvm.vga = VgaKind::none;  // no card, so its memory does not matter
    EXPECT_TRUE(QemuBackend().validate(spec).has_value());
}

TEST(QemuValidate, SoundCardsAndAWatchdogTakePciSlots)
{
    DomainSpec spec = pv_spec();
    for (int i = 0; i < 27; ++i)
        spec.disks.push_back(disk("/srv/d" + std::to_string(i) + ".img",
                                  i < 26 ? "xvd" + std::string(1, char('a' + i)) : "xvda" + std::string(1, char('a' + i - 26))));
    // The balloon, virtio-serial (the guest agent's port) and 27 virtio disks: 29 of the 30 slots.
    EXPECT_TRUE(QemuBackend().validate(spec).has_value());
    spec.watchdog = "i6300esb";
    EXPECT_TRUE(QemuBackend().validate(spec).has_value());
    spec.type = DomainType::hvm;
    spec.hvm.soundhw = "ac97";
    EXPECT_EQ(refusal(spec).context, "devices");
    spec.hvm.soundhw = "sb16";  // ISA: no slot
    EXPECT_TRUE(QemuBackend().validate(spec).has_value());
}

}  // namespace
}  // namespace uxl
