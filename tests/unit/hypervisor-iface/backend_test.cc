// The backend registry, capabilities, validate() and the plan fields that the argv goldens
// do not show (environment, ASLR, directories, control endpoint, ballooning).
#include "uxl/backend.h"
#include "uxl/controller.h"

#include "backend_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace uxl {
namespace {

using test::disk;
using test::paths;

std::unique_ptr<Backend> backend(BackendKind kind)
{
    auto made = make_backend(kind);
    EXPECT_TRUE(made.has_value()) << (made ? "" : made.error().message);
    return made ? std::move(*made) : nullptr;
}

DomainSpec uml_spec()
{
    DomainSpec spec;
    spec.name = "vm";
    spec.kernel = "/usr/bin/linux";
    spec.target_memkb = 64 * 1024;
    spec.max_memkb = 64 * 1024;
    return spec;
}

DomainSpec vkernel_spec()
{
    DomainSpec spec = uml_spec();
    spec.backend = BackendKind::vkernel;
    spec.kernel = "/var/vkernel/boot/kernel/kernel";
    spec.target_memkb = 128 * 1024;
    spec.max_memkb = 128 * 1024;
    return spec;
}

Error refusal(const Backend& b, const DomainSpec& spec)
{
    Result<void> r = b.validate(spec);
    EXPECT_FALSE(r.has_value());
    return r ? Error{} : r.error();
}

bool contains(const std::vector<std::string>& words, std::string_view word)
{
    return std::find(words.begin(), words.end(), word) != words.end();
}

// ---- registry -------------------------------------------------------------------------

TEST(BackendRegistry, MakesEachBackendOfItsKind)
{
    EXPECT_EQ(backend(BackendKind::uml)->kind(), BackendKind::uml);
    EXPECT_EQ(backend(BackendKind::uml)->name(), "uml");
    EXPECT_EQ(backend(BackendKind::vkernel)->kind(), BackendKind::vkernel);
    EXPECT_EQ(backend(BackendKind::vkernel)->name(), "vkernel");
}

TEST(BackendRegistry, MakesQemuWithTheAcceleratorUxlConfForces)
{
    BackendSettings settings;
    settings.qemu_accelerator = "tcg";
    auto made = make_backend(BackendKind::qemu, settings);
    ASSERT_TRUE(made.has_value()) << made.error().message;
    EXPECT_EQ((*made)->kind(), BackendKind::qemu);
    EXPECT_EQ((*made)->virt_cap(), "qemu-tcg");
    settings.qemu_accelerator = "kvm";
    EXPECT_EQ((*make_backend(BackendKind::qemu, settings))->virt_cap(), "qemu-kvm");
}

TEST(BackendRegistry, RefusesAnUnknownAccelerator)
{
    BackendSettings settings;
    settings.qemu_accelerator = "hax";
    auto made = make_backend(BackendKind::qemu, settings);
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().code, Errc::invalid_argument);
    EXPECT_NE(made.error().message.find("qemu.accelerator"), std::string::npos) << made.error().message;
}

// ---- capabilities ---------------------------------------------------------------------

TEST(UmlCapabilities, AreWhatMconsoleCanDo)
{
    Capabilities expected;
    expected.pause = true;
    expected.reboot = true;
    expected.sysrq = true;
    expected.hotplug_disk = true;
    expected.hotplug_nic = true;
    expected.balloon = true;
    EXPECT_EQ(backend(BackendKind::uml)->capabilities(), expected);
}

TEST(VkernelCapabilities, AreNothingBeyondStartAndShutdown)
{
    EXPECT_EQ(backend(BackendKind::vkernel)->capabilities(), Capabilities{});
}

// ---- UML validate ---------------------------------------------------------------------

TEST(UmlValidate, AcceptsAMinimalDomain)
{
    EXPECT_TRUE(backend(BackendKind::uml)->validate(uml_spec()).has_value());
}

TEST(UmlValidate, RefusesMoreThanOneVcpu)
{
    DomainSpec spec = uml_spec();
    spec.vcpus = spec.max_vcpus = 2;
    Error e = refusal(*backend(BackendKind::uml), spec);
    EXPECT_EQ(e.code, Errc::unsupported);
    EXPECT_NE(e.message.find("single virtual CPU"), std::string::npos) << e.message;
}

TEST(UmlValidate, RefusesMaxvcpusAboveOneEvenWithOneOnline)
{
    DomainSpec spec = uml_spec();
    spec.max_vcpus = 3;
    EXPECT_EQ(refusal(*backend(BackendKind::uml), spec).context, "vcpus");
}

TEST(UmlValidate, RefusesLessThan48MiBAndSaysWhy)
{
    DomainSpec spec = uml_spec();
    spec.target_memkb = spec.max_memkb = 47 * 1024;
    Error e = refusal(*backend(BackendKind::uml), spec);
    EXPECT_EQ(e.context, "memory");
    EXPECT_NE(e.message.find("out-of-memory panic"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("47 MiB"), std::string::npos) << e.message;
}

TEST(UmlValidate, Accepts48MiB)
{
    DomainSpec spec = uml_spec();
    spec.target_memkb = spec.max_memkb = 48 * 1024;
    EXPECT_TRUE(backend(BackendKind::uml)->validate(spec).has_value());
}

TEST(UmlValidate, UnsetMemoryIsXlsDefaultAndTooLittle)
{
    DomainSpec spec = uml_spec();
    spec.target_memkb.reset();
    spec.max_memkb.reset();
    Error e = refusal(*backend(BackendKind::uml), spec);
    EXPECT_NE(e.message.find("32 MiB (memory is not set"), std::string::npos) << e.message;
}

TEST(UmlValidate, RefusesPciPassthrough)
{
    DomainSpec spec = uml_spec();
    spec.pcidevs.push_back(PciSpec{});
    EXPECT_EQ(refusal(*backend(BackendKind::uml), spec).context, "pci");
}

TEST(UmlValidate, RefusesHvmAndPvh)
{
    for (DomainType type : {DomainType::hvm, DomainType::pvh}) {
        DomainSpec spec = uml_spec();
        spec.type = type;
        Error e = refusal(*backend(BackendKind::uml), spec);
        EXPECT_EQ(e.context, "type");
        EXPECT_NE(e.message.find("backend = \"qemu\""), std::string::npos) << e.message;
    }
}

TEST(UmlValidate, RefusesABootloader)
{
    DomainSpec spec = uml_spec();
    spec.bootloader = "pygrub";
    EXPECT_EQ(refusal(*backend(BackendKind::uml), spec).context, "bootloader");
}

TEST(UmlValidate, RefusesEveryDiskFormatButRaw)
{
    for (DiskFormat format : {DiskFormat::qcow, DiskFormat::qcow2, DiskFormat::vhd, DiskFormat::qed}) {
        DomainSpec spec = uml_spec();
        spec.disks.push_back(disk("/srv/a.img", "xvda"));
        spec.disks.back().format = format;
        Error e = refusal(*backend(BackendKind::uml), spec);
        EXPECT_EQ(e.context, "disk xvda");
        EXPECT_NE(e.message.find(to_string(format)), std::string::npos) << e.message;
    }
}

TEST(UmlValidate, AcceptsAnEmptyCdromDrive)
{
    DomainSpec spec = uml_spec();
    DiskSpec cdrom;
    cdrom.vdev = "hdc";
    cdrom.pdev_path = "";
    cdrom.is_cdrom = true;
    cdrom.format = DiskFormat::empty;
    spec.disks.push_back(cdrom);
    EXPECT_TRUE(backend(BackendKind::uml)->validate(spec).has_value());
}

TEST(UmlValidate, RefusesAKernelGivenAsARelativePath)
{
    DomainSpec spec = uml_spec();
    spec.kernel = "linux";
    EXPECT_EQ(refusal(*backend(BackendKind::uml), spec).context, "kernel");
}

TEST(UmlValidate, RefusesCommandLineWordsThatOverrideUxlsOwn)
{
    for (std::string word : {"umid=x", "uml_dir=/tmp", "con0=pts", "con=pts", "ubd1=/a",
                             "eth0=tuntap,tap0", "initrd=/x", "mconsole=notify:/x"}) {
        DomainSpec spec = uml_spec();
        spec.cmdline = "quiet " + word;
        Error e = refusal(*backend(BackendKind::uml), spec);
        EXPECT_EQ(e.context, "cmdline") << word;
    }
}

TEST(UmlValidate, AllowsOtherConsolesAndRootOnTheCommandLine)
{
    DomainSpec spec = uml_spec();
    spec.cmdline = "root=/dev/ubda rw console=tty0 ethtool=1 ubdx";
    EXPECT_TRUE(backend(BackendKind::uml)->validate(spec).has_value());
}

TEST(UmlValidate, RefusesTwoVifsWithOneDevid)
{
    DomainSpec spec = uml_spec();
    spec.nics.resize(2);
    spec.nics[0].devid = 0;
    spec.nics[1].devid = 0;
    EXPECT_EQ(refusal(*backend(BackendKind::uml), spec).context, "vif 0");
}

// ---- UML plan -------------------------------------------------------------------------

TEST(UmlPlan, RunsWithAslrOffAndTheMemoryFileOnTheGivenTmpfs)
{
    auto plan = backend(BackendKind::uml)->plan_launch(uml_spec(), paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_TRUE(plan->disable_aslr);
    EXPECT_EQ(plan->env, std::vector<std::string>{"TMPDIR=/dev/shm/uxl"});
    EXPECT_EQ(plan->working_dir, "/run/uxl/7");
    EXPECT_EQ(plan->directories, std::vector<std::string>{"/run/uxl/7/uml"});
    EXPECT_EQ(plan->console, ConsoleWiring::stdio_socketpair);
    EXPECT_EQ(plan->control_endpoint, "/run/uxl/7/uml/vm/mconsole");
    EXPECT_EQ(plan->balloon_target_kb, 0u);
}

TEST(UmlPlan, SaysWhereEachDeviceIs)
{
    DomainSpec spec = uml_spec();
    spec.disks = {disk("/srv/c.img", "xvdc"), disk("/srv/a.img", "xvda")};
    VifSpec nic;
    nic.devid = 2;
    spec.nics = {nic};
    auto plan = backend(BackendKind::uml)->plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    ASSERT_EQ(plan->devices.size(), 3u);
    const PlannedDevice& a = plan->devices[0];
    EXPECT_EQ(a.kind, PlannedDevice::Kind::disk);
    EXPECT_EQ(a.devid, 51712);
    EXPECT_EQ(a.slot, 0);
    EXPECT_EQ(a.host, "/srv/a.img");
    EXPECT_EQ(a.guest_name, "ubda");
    EXPECT_EQ(plan->devices[1].devid, 51744);
    EXPECT_EQ(plan->devices[1].guest_name, "ubdb");
    const PlannedDevice& n = plan->devices[2];
    EXPECT_EQ(n.kind, PlannedDevice::Kind::nic);
    EXPECT_EQ(n.devid, 2);
    EXPECT_EQ(n.slot, 2);
    EXPECT_EQ(n.host, "vif7.2");
    EXPECT_EQ(n.guest_name, "eth2");
    EXPECT_TRUE(plan->reserved_disk_slots.empty());
}

TEST(UmlPlan, WithoutADiskAtUbd0ItIsReserved)
{
    // UML puts its default root_fs at ubd0, and `remove ubd0' of that panics the kernel.
    auto plan = backend(BackendKind::uml)->plan_launch(uml_spec(), paths(), 7);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(plan->reserved_disk_slots, std::vector<int>{0});
    DomainSpec spec = uml_spec();
    DiskSpec cdrom = disk("", "hdc");
    cdrom.pdev_path.reset();
    cdrom.is_cdrom = true;
    cdrom.readwrite = false;
    spec.disks = {cdrom};
    plan = backend(BackendKind::uml)->plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_EQ(plan->reserved_disk_slots, std::vector<int>{0});
    ASSERT_EQ(plan->devices.size(), 1u);
    EXPECT_EQ(plan->devices[0].host, "");
}

TEST(UmlPlan, EmptyKernelMeansDebiansUml)
{
    DomainSpec spec = uml_spec();
    spec.kernel.clear();
    auto plan = backend(BackendKind::uml)->plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_EQ(plan->argv.front(), "/usr/bin/linux");
}

TEST(UmlPlan, BootsWithMaxmemAndBalloonsDownToMemory)
{
    DomainSpec spec = uml_spec();
    spec.max_memkb = 256 * 1024;
    auto plan = backend(BackendKind::uml)->plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_TRUE(contains(plan->argv, "mem=256M"));
    EXPECT_EQ(plan->balloon_target_kb, 64u * 1024);
}

TEST(UmlPlan, MemoryThatIsNotWholeMebibytesIsGivenInKibibytes)
{
    DomainSpec spec = uml_spec();
    spec.target_memkb = spec.max_memkb = 65 * 1024 + 512;
    auto plan = backend(BackendKind::uml)->plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_TRUE(contains(plan->argv, "mem=67072K"));
}

TEST(UmlPlan, VifsAreNamedAfterTheDomid)
{
    DomainSpec spec = uml_spec();
    spec.nics.resize(2);
    spec.nics[1].devid = 4;
    auto plan = backend(BackendKind::uml)->plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_TRUE(contains(plan->argv, "eth0=tuntap,vif7.0"));
    EXPECT_TRUE(contains(plan->argv, "eth4=tuntap,vif7.4"));
}

TEST(UmlPlan, RefusesADefaultTapNameLongerThanLinuxAllows)
{
    DomainSpec spec = uml_spec();
    spec.nics.resize(1);
    spec.nics[0].devid = 123456;
    auto plan = backend(BackendKind::uml)->plan_launch(spec, paths(), 1234567);
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().context, "vif 123456");
}

TEST(UmlPlan, UmidIsASafeDirectoryName)
{
    DomainSpec spec = uml_spec();
    spec.name = ".my vm/2";
    auto plan = backend(BackendKind::uml)->plan_launch(spec, paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_TRUE(contains(plan->argv, "umid=_my_vm_2"));
    EXPECT_EQ(plan->control_endpoint, "/run/uxl/7/uml/_my_vm_2/mconsole");
}

TEST(UmlPlan, RefusesAnMconsolePathLongerThanASocketAllows)
{
    DomainPaths p = paths();
    p.run_dir = "/run/" + std::string(100, 'u');
    auto plan = backend(BackendKind::uml)->plan_launch(uml_spec(), p, 7);
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().context, "mconsole socket");
}

TEST(UmlPlan, RefusesWhatValidateRefuses)
{
    DomainSpec spec = uml_spec();
    spec.vcpus = 2;
    auto plan = backend(BackendKind::uml)->plan_launch(spec, paths(), 7);
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().code, Errc::unsupported);
}

TEST(UmlPlan, IsDeterministic)
{
    DomainSpec spec = uml_spec();
    spec.disks.push_back(disk("/srv/b.img", "xvdb"));
    spec.disks.push_back(disk("/srv/a.img", "xvda"));
    spec.nics.resize(2);
    auto first = backend(BackendKind::uml)->plan_launch(spec, paths(), 7);
    auto second = backend(BackendKind::uml)->plan_launch(spec, paths(), 7);
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_EQ(first->argv, second->argv);
}

// ---- vkernel --------------------------------------------------------------------------

TEST(VkernelValidate, AcceptsAMinimalDomain)
{
    EXPECT_TRUE(backend(BackendKind::vkernel)->validate(vkernel_spec()).has_value());
}

TEST(VkernelValidate, RefusesLessThan64MiB)
{
    DomainSpec spec = vkernel_spec();
    spec.target_memkb = spec.max_memkb = 62 * 1024;
    EXPECT_EQ(refusal(*backend(BackendKind::vkernel), spec).context, "memory");
}

TEST(VkernelValidate, RefusesMoreThan16Nics)
{
    DomainSpec spec = vkernel_spec();
    spec.nics.resize(17);
    EXPECT_EQ(refusal(*backend(BackendKind::vkernel), spec).context, "vif");
}

TEST(VkernelValidate, Accepts16DisksAndCdroms)
{
    DomainSpec spec = vkernel_spec();
    for (int i = 0; i < 16; ++i)
        spec.disks.push_back(disk("/d" + std::to_string(i), std::string("xvd") + char('a' + i)));
    spec.disks.back().is_cdrom = true;
    spec.disks.back().readwrite = false;
    EXPECT_TRUE(backend(BackendKind::vkernel)->validate(spec).has_value());
}

TEST(VkernelValidate, RefusesPciAndHvm)
{
    DomainSpec spec = vkernel_spec();
    spec.pcidevs.push_back(PciSpec{});
    EXPECT_EQ(refusal(*backend(BackendKind::vkernel), spec).context, "pci");
    spec = vkernel_spec();
    spec.type = DomainType::hvm;
    EXPECT_EQ(refusal(*backend(BackendKind::vkernel), spec).context, "type");
}

TEST(VkernelPlan, ControlsThroughThePidFile)
{
    auto plan = backend(BackendKind::vkernel)->plan_launch(vkernel_spec(), paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_EQ(plan->control_endpoint, "/run/uxl/7/vkernel.pid");
    EXPECT_TRUE(contains(plan->argv, "/run/uxl/7/vkernel.pid"));
    EXPECT_FALSE(plan->disable_aslr);
    EXPECT_EQ(plan->working_dir, "/run/uxl/7");
}

TEST(VkernelPlan, AlwaysGivesTheCpuCountBecauseTheDefaultIsTwo)
{
    auto plan = backend(BackendKind::vkernel)->plan_launch(vkernel_spec(), paths(), 7);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    auto n = std::find(plan->argv.begin(), plan->argv.end(), "-n");
    ASSERT_NE(n, plan->argv.end());
    ASSERT_NE(n + 1, plan->argv.end());
    EXPECT_EQ(*(n + 1), "1");
}


// ---- What exits mean, and what runs here --------------------------------------------------

TEST(UmlExitReason, ZeroIsAPoweroffAnythingElseACrash)
{
    auto uml = backend(BackendKind::uml);
    EXPECT_EQ(uml->exit_reason(GuestExit{0, std::nullopt}), ShutdownReason::poweroff);
    EXPECT_EQ(uml->exit_reason(GuestExit{134, std::nullopt}), ShutdownReason::crash);
    EXPECT_EQ(uml->exit_reason(GuestExit{1, std::nullopt}), ShutdownReason::crash);
    EXPECT_EQ(uml->exit_reason(GuestExit{std::nullopt, 9}), ShutdownReason::crash);
}

TEST(VkernelHost, IsRefusedOnLinuxInOneSentence)
{
    auto ok = backend(BackendKind::vkernel)->check_host(vkernel_spec());
    ASSERT_FALSE(ok.has_value());
    EXPECT_EQ(ok.error().code, Errc::unsupported);
    EXPECT_NE(ok.error().message.find("DragonFly host"), std::string::npos);
}

TEST(UmlHost, AGuestWithItsOwnKernelNeedsNoInstalledUml)
{
    DomainSpec spec = uml_spec();
    spec.kernel = "/srv/kernels/linux-uml";
    EXPECT_TRUE(backend(BackendKind::uml)->check_host(spec).has_value());
}

TEST(Registry, KnowsEveryBackendItCanMake)
{
    for (BackendKind kind : known_backends()) {
        auto made = make_backend(kind);
        ASSERT_TRUE(made.has_value()) << to_string(kind);
        EXPECT_EQ((*made)->kind(), kind);
    }
}

TEST(VkernelController, IsRefusedInOneSentence)
{
    // A backend without a control channel says so rather than pretending.
    ControllerSetup setup;
    auto made = backend(BackendKind::vkernel)->make_controller(setup);
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().code, Errc::unsupported);
}

}  // namespace
}  // namespace uxl
