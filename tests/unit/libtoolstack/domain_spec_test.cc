// build_domain_spec() against xl's parse_config_data() (tools/xl/xl_parse.c): values,
// defaults, and xl's exact warning and error texts.
#include "uxl/domain_spec.h"

#include <gtest/gtest.h>

namespace uxl {
namespace {

constexpr std::string_view k_base = "name = \"vm\"\nkernel = \"/k\"\n";

struct Built {
    Result<DomainSpec> spec;
    Diagnostics diagnostics;

    const DomainSpec& ok() const
    {
        EXPECT_TRUE(spec.has_value()) << (spec ? "" : spec.error().message);
        static const DomainSpec none;
        return spec ? *spec : none;
    }
    std::string error() const
    {
        EXPECT_FALSE(spec.has_value());
        return spec ? std::string() : spec.error().message;
    }
    std::string xl_report() const { return diagnostics.xl_report(); }
};

BuildOptions options(std::string path = "test.cfg", int host_cpus = 4)
{
    BuildOptions o;
    o.config_path = std::move(path);
    o.host_cpus = host_cpus;
    return o;
}

Built build(std::string_view text, const BuildOptions& opts = options())
{
    ParseOutcome parsed = parse_config(text, "test.cfg");
    EXPECT_TRUE(parsed.ok()) << parsed.diagnostics.xl_report();
    Built out;
    ConfigReader reader(parsed.config, out.diagnostics);
    out.spec = build_domain_spec(reader, opts);
    return out;
}

Built build_with_base(std::string_view more, const BuildOptions& opts = options())
{
    return build(std::string(k_base) + std::string(more), opts);
}

// ---- name, uuid, type ------------------------------------------------------------------

TEST(DomainSpec, ReadsNameKernelAndMemory)
{
    auto b = build("name = \"web\"\nkernel = \"/boot/linux\"\nmemory = 256\n");
    EXPECT_EQ(b.ok().name, "web");
    EXPECT_EQ(b.ok().kernel, "/boot/linux");
    EXPECT_EQ(b.ok().target_memkb, 256u * 1024);
    EXPECT_TRUE(b.diagnostics.empty());
}

TEST(DomainSpec, MissingNameTakesTheConfigFileNameAsXmDid)
{
    auto b = build("kernel = \"/k\"\n", options("/etc/uxl/web1"));
    EXPECT_EQ(b.ok().name, "web1");
    ASSERT_EQ(b.diagnostics.items().size(), 1u);
    EXPECT_EQ(b.diagnostics.items()[0].severity, Severity::warning);
    EXPECT_EQ(b.xl_report(), "");  // xl would have refused the file, not warned
}

TEST(DomainSpec, MissingNameWithoutAConfigFileIsXlsError)
{
    auto b = build("kernel = \"/k\"\n", options(""));
    EXPECT_EQ(b.error(), "Domain name must be specified.");
}

TEST(DomainSpec, NameGivenAsAListWarnsThenFailsAsXlDoes)
{
    auto b = build("kernel = \"/k\"\nname = [ \"a\" ]\n");
    EXPECT_EQ(b.error(), "Domain name must be specified.");
    EXPECT_EQ(b.xl_report(),
              "test.cfg:2: warning: parameter `name' is a list but should be a single value\n");
}

TEST(DomainSpec, FatalErrorContextIsFileAndLine)
{
    auto b = build_with_base("\non_crash = \"explode\"\n");
    ASSERT_FALSE(b.spec.has_value());
    EXPECT_EQ(b.spec.error().context, "test.cfg:4");
    EXPECT_EQ(b.spec.error().code, Errc::invalid_argument);
}

TEST(DomainSpec, ReadsAUuid)
{
    auto b = build_with_base("uuid = \"6E8A4C49-1C84-4b57-9bd9-1c0e4cbd8f6a\"\n");
    EXPECT_EQ(uuid_to_string(b.ok().uuid), "6e8a4c49-1c84-4b57-9bd9-1c0e4cbd8f6a");
}

TEST(DomainSpec, MalformedUuidIsXlsError)
{
    auto b = build_with_base("uuid = \"6e8a4c49-1c84-4b57-9bd9\"\n");
    EXPECT_EQ(b.error(), "Failed to parse UUID: 6e8a4c49-1c84-4b57-9bd9");
}

TEST(DomainSpec, MissingUuidIsRandomVersionFour)
{
    auto first = build(k_base);
    auto second = build(k_base);
    EXPECT_NE(first.ok().uuid, second.ok().uuid);
    EXPECT_EQ(first.ok().uuid[6] >> 4, 4);
    EXPECT_EQ(first.ok().uuid[8] & 0xc0, 0x80);
}

TEST(DomainSpec, TypeDefaultsToPv)
{
    EXPECT_EQ(build(k_base).ok().type, DomainType::pv);
}

TEST(DomainSpec, TypeMatchesAnyPrefixInXlsOrder)
{
    EXPECT_EQ(build_with_base("type = \"h\"\n").ok().type, DomainType::hvm);
    EXPECT_EQ(build_with_base("type = \"p\"\n").ok().type, DomainType::pv);
    EXPECT_EQ(build_with_base("type = \"pvh\"\n").ok().type, DomainType::pvh);
    EXPECT_EQ(build_with_base("type = \"\"\n").ok().type, DomainType::hvm);
}

TEST(DomainSpec, UnknownTypeIsXlsError)
{
    EXPECT_EQ(build_with_base("type = \"hvmx\"\n").error(), "Invalid domain type hvmx.");
}

TEST(DomainSpec, BuilderGenericMeansPv)
{
    EXPECT_EQ(build_with_base("builder = \"generic\"\n").ok().type, DomainType::pv);
}

TEST(DomainSpec, UnknownBuilderIsXlsError)
{
    EXPECT_EQ(build_with_base("builder = \"linux\"\n").error(), "Invalid domain type linux.");
}

TEST(DomainSpec, BuilderContradictingTypeIsXlsError)
{
    EXPECT_EQ(build_with_base("type = \"pv\"\nbuilder = \"hvm\"\n").error(),
              "Contradicting \"builder\" and \"type\" options specified.");
}

TEST(DomainSpec, ReadsThePool)
{
    EXPECT_EQ(build_with_base("pool = \"fast\"\n").ok().pool_name, "fast");
}

// ---- memory, vcpus, scheduling -----------------------------------------------------------

TEST(DomainSpec, MaxmemDefaultsToMemory)
{
    auto b = build_with_base("memory = 64\n");
    EXPECT_EQ(b.ok().max_memkb, 64u * 1024);
}

TEST(DomainSpec, MaxmemIsReadInMebibytes)
{
    auto b = build_with_base("memory = 64\nmaxmem = 128\n");
    EXPECT_EQ(b.ok().target_memkb, 64u * 1024);
    EXPECT_EQ(b.ok().max_memkb, 128u * 1024);
}

TEST(DomainSpec, NoMemoryLeavesBothUnset)
{
    auto b = build(k_base);
    EXPECT_FALSE(b.ok().target_memkb.has_value());
    EXPECT_FALSE(b.ok().max_memkb.has_value());
}

TEST(DomainSpec, MalformedMemoryWarnsWithItsLineAndKeepsTheDefault)
{
    auto b = build_with_base("\nmemory = \"512M\"\n");
    EXPECT_FALSE(b.ok().target_memkb.has_value());
    EXPECT_EQ(b.xl_report(), "test.cfg:4: warning: parameter `memory' is not a valid number\n");
    EXPECT_EQ(b.diagnostics.items().at(0).pos.line, 4);
}

TEST(DomainSpec, VcpusSetsOnlineAndMaximumCounts)
{
    auto b = build_with_base("vcpus = 2\n");
    EXPECT_EQ(b.ok().vcpus, 2);
    EXPECT_EQ(b.ok().max_vcpus, 2);
    EXPECT_EQ(b.ok().libxl_avail_vcpus, 2);
    EXPECT_EQ(b.ok().libxl_max_vcpus, 2);
}

TEST(DomainSpec, MaxvcpusRaisesTheMaximumOnly)
{
    auto b = build_with_base("vcpus = 2\nmaxvcpus = 4\n");
    EXPECT_EQ(b.ok().vcpus, 2);
    EXPECT_EQ(b.ok().max_vcpus, 4);
}

TEST(DomainSpec, WithoutVcpusLibxlCountsStayUnsetAndOneVcpuRuns)
{
    auto b = build(k_base);
    EXPECT_EQ(b.ok().libxl_max_vcpus, 0);
    EXPECT_EQ(b.ok().libxl_avail_vcpus, 0);
    EXPECT_EQ(b.ok().vcpus, 1);
    EXPECT_EQ(b.ok().max_vcpus, 1);
}

TEST(DomainSpec, MaxvcpusBelowVcpusIsXlsError)
{
    EXPECT_EQ(build_with_base("vcpus = 4\nmaxvcpus = 2\n").error(), "xl: maxvcpus < vcpus");
}

TEST(DomainSpec, NegativeVcpusIsXlsError)
{
    // A bare -1 is a lexical error in xl's grammar: negative numbers are quoted.
    EXPECT_EQ(build_with_base("vcpus = \"-1\"\n").error(), "Unable to allocate cpumap");
}

TEST(DomainSpec, ReadsCpuWeightAndCap)
{
    auto b = build_with_base("cpu_weight = 512\ncap = 50\n");
    EXPECT_EQ(b.ok().cpu_weight, 512);
    EXPECT_EQ(b.ok().cap, 50);
}

TEST(DomainSpec, NumberWrittenWithPlusEqualsWarnsAsXlDoes)
{
    auto b = build_with_base("cap += 5\n");
    EXPECT_FALSE(b.ok().cap.has_value());
    EXPECT_EQ(b.xl_report(), "test.cfg:3: warning: can't use += with numbers for parameter `cap'\n");
}

// ---- cpus, cpus_soft --------------------------------------------------------------------

TEST(DomainSpec, CpusStringPinsEveryVcpuToTheSameCpus)
{
    auto b = build_with_base("vcpus = 2\ncpus = \"1-2\"\n");
    EXPECT_EQ(b.ok().vcpu_hard_affinity,
              (std::vector<std::vector<int>>{{1, 2}, {1, 2}}));
    EXPECT_FALSE(b.ok().numa_placement.has_value());
}

TEST(DomainSpec, CpusListPinsVcpusOneByOneAndDisablesNumaPlacement)
{
    auto b = build_with_base("vcpus = 2\ncpus = [ \"0\", \"3\", \"1\" ]\n");
    EXPECT_EQ(b.ok().vcpu_hard_affinity, (std::vector<std::vector<int>>{{0}, {3}}));
    EXPECT_EQ(b.ok().numa_placement, false);
}

TEST(DomainSpec, CpusWithoutVcpusHasNoEffectAndCheckSaysSo)
{
    auto b = build_with_base("cpus = \"1\"\n");
    EXPECT_TRUE(b.ok().vcpu_hard_affinity.empty());
    ASSERT_EQ(b.diagnostics.items().size(), 1u);
    EXPECT_EQ(b.diagnostics.items()[0].pos.line, 3);
    EXPECT_EQ(b.xl_report(), "");  // xl says nothing
}

TEST(DomainSpec, BadCpusIsXlsError)
{
    EXPECT_EQ(build_with_base("vcpus = 1\ncpus = \"0-x\"\n").error(), "Invalid pcpu range: 0-x.");
}

TEST(DomainSpec, CpusOutsideTheHostIsXlsError)
{
    EXPECT_EQ(build_with_base("vcpus = 1\ncpus = \"9\"\n", options("test.cfg", 4)).error(),
              "vcpu hard affinity map is empty");
}

TEST(DomainSpec, IgnoringGlobalAffinityMasksSkipsTheEmptyMapCheck)
{
    BuildOptions opts = options("test.cfg", 4);
    opts.ignore_global_affinity_masks = true;
    auto b = build_with_base("vcpus = 1\ncpus = \"9\"\n", opts);
    EXPECT_EQ(b.ok().vcpu_hard_affinity, (std::vector<std::vector<int>>{{}}));
}

TEST(DomainSpec, CpusSoftStringDisablesNumaPlacement)
{
    auto b = build_with_base("vcpus = 1\ncpus_soft = \"2\"\n");
    EXPECT_EQ(b.ok().vcpu_soft_affinity, (std::vector<std::vector<int>>{{2}}));
    EXPECT_EQ(b.ok().numa_placement, false);
}

// ---- on_* -------------------------------------------------------------------------------

TEST(DomainSpec, ActionsTakeXlsDefaults)
{
    const auto& spec = build(k_base).ok();
    EXPECT_EQ(spec.on_poweroff, ShutdownAction::destroy);
    EXPECT_EQ(spec.on_reboot, ShutdownAction::restart);
    EXPECT_EQ(spec.on_watchdog, ShutdownAction::destroy);
    EXPECT_EQ(spec.on_crash, ShutdownAction::destroy);
    EXPECT_EQ(spec.on_soft_reset, ShutdownAction::soft_reset);
}

TEST(DomainSpec, ReadsActionsInXlSpelling)
{
    auto b = build_with_base("on_crash = \"coredump-restart\"\non_reboot = \"rename-restart\"\n");
    EXPECT_EQ(b.ok().on_crash, ShutdownAction::coredump_restart);
    EXPECT_EQ(b.ok().on_reboot, ShutdownAction::rename_restart);
}

TEST(DomainSpec, UnknownActionIsXlsError)
{
    EXPECT_EQ(build_with_base("on_poweroff = \"explode\"\n").error(),
              "Unknown on_poweroff action \"explode\" specified");
}

// ---- kernel, command line, bootloader ---------------------------------------------------

TEST(DomainSpec, RootAndExtraMakeTheCommandLine)
{
    EXPECT_EQ(build_with_base("root = \"/dev/ubda\"\nextra = \"ro quiet\"\n").ok().cmdline,
              "root=/dev/ubda ro quiet");
}

TEST(DomainSpec, RootAloneMakesTheCommandLine)
{
    EXPECT_EQ(build_with_base("root = \"/dev/ubda\"\n").ok().cmdline, "root=/dev/ubda");
}

TEST(DomainSpec, ExtraAloneIsTheCommandLine)
{
    EXPECT_EQ(build_with_base("extra = \"single\"\n").ok().cmdline, "single");
}

TEST(DomainSpec, CmdlineWinsOverRootAndExtraWithXlsWarning)
{
    auto b = build_with_base("cmdline = \"init=/bin/sh\"\nroot = \"/dev/ubda\"\n");
    EXPECT_EQ(b.ok().cmdline, "init=/bin/sh");
    EXPECT_EQ(b.xl_report(), "Warning: ignoring root= and extra= in favour of cmdline=\n");
    EXPECT_EQ(b.diagnostics.items().at(0).pos.line, 4);
}

TEST(DomainSpec, ReadsTheRamdisk)
{
    EXPECT_EQ(build_with_base("ramdisk = \"/boot/initrd\"\n").ok().ramdisk, "/boot/initrd");
}

TEST(DomainSpec, ReadsBootloaderArgsList)
{
    auto b = build("name = \"vm\"\nbootloader = \"pygrub\"\nbootloader_args = [ \"-q\", \"--entry=1\" ]\n");
    EXPECT_EQ(b.ok().bootloader, "pygrub");
    EXPECT_EQ(b.ok().bootloader_args, (std::vector<std::string>{"-q", "--entry=1"}));
}

TEST(DomainSpec, BootloaderArgsStringIsSplitWithXlsDeprecationWarning)
{
    auto b = build("name = \"vm\"\nbootloader = \"pygrub\"\nbootloader_args = \" -q  --entry=1\"\n");
    EXPECT_EQ(b.ok().bootloader_args, (std::vector<std::string>{"-q", "--entry=1"}));
    EXPECT_EQ(b.xl_report(), "WARNING: Specifying \"bootloader_args\" as a string is deprecated. "
                             "Please use a list of arguments.\n");
}

TEST(DomainSpec, PvWithoutKernelOrBootloaderIsXlsError)
{
    EXPECT_EQ(build("name = \"vm\"\n").error(), "Neither kernel nor bootloader specified");
}

TEST(DomainSpec, HvmNeedsNoKernel)
{
    EXPECT_EQ(build("name = \"vm\"\ntype = \"hvm\"\n").ok().type, DomainType::hvm);
}

// ---- disks ------------------------------------------------------------------------------

TEST(DomainSpec, ReadsDisks)
{
    auto b = build_with_base("disk = [ '/srv/root.img,raw,xvda,w', '/srv/data.img,,xvdb,r' ]\n");
    ASSERT_EQ(b.ok().disks.size(), 2u);
    EXPECT_EQ(b.ok().disks[0].pdev_path, "/srv/root.img");
    EXPECT_EQ(b.ok().disks[1].vdev, "xvdb");
    EXPECT_FALSE(b.ok().disks[1].readwrite);
}

TEST(DomainSpec, BadDiskIsXlsErrorNamingTheConfigFile)
{
    EXPECT_EQ(build_with_base("disk = [ '/srv/img,,xvda,x' ]\n").error(),
              "test.cfg: config parsing error in disk specification: unknown value for access: "
              "near `x' in `/srv/img,,xvda,x'");
}

TEST(DomainSpec, DiskGivenAsAStringWarnsAndIsIgnored)
{
    auto b = build_with_base("disk = '/srv/img,,xvda,w'\n");
    EXPECT_TRUE(b.ok().disks.empty());
    EXPECT_EQ(b.xl_report(),
              "test.cfg:3: warning: parameter `disk' is a single value but should be a list\n");
}

TEST(DomainSpec, ListInsideTheDiskListStopsItSilentlyAsXlDoes)
{
    auto b = build_with_base("disk = [ '/a,,xvda,w', [ 'x' ], '/b,,xvdb,w' ]\n");
    EXPECT_EQ(b.ok().disks.size(), 1u);
    EXPECT_EQ(b.xl_report(), "");
    EXPECT_EQ(b.diagnostics.items().size(), 1u);  // uxl check mentions it
}

// ---- vifs, nics -------------------------------------------------------------------------

TEST(DomainSpec, VifDevidIsTheListIndex)
{
    auto b = build_with_base("vif = [ 'bridge=br0', 'bridge=br1' ]\n");
    ASSERT_EQ(b.ok().nics.size(), 2u);
    EXPECT_EQ(b.ok().nics[0].devid, 0);
    EXPECT_EQ(b.ok().nics[1].devid, 1);
    EXPECT_EQ(b.ok().nics[1].bridge, "br1");
}

TEST(DomainSpec, UnknownVifTokenWarnsAsXlDoesAndKeepsTheRest)
{
    auto b = build_with_base("vif = [ 'bridge=br0, speed=fast' ]\n");
    EXPECT_EQ(b.ok().nics.at(0).bridge, "br0");
    EXPECT_EQ(b.xl_report(), "unrecognized argument `speed=fast'\n");
    EXPECT_EQ(b.diagnostics.items().at(0).pos.line, 3);
}

TEST(DomainSpec, BadVifRateIsXlsError)
{
    EXPECT_EQ(build_with_base("vif = [ 'rate=10MB' ]\n").error(),
              "test.cfg: config parsing error in vif: invalid rate in `10MB'");
}

TEST(DomainSpec, XmNicsPadsTheVifListWithEmptyEntries)
{
    auto b = build_with_base("vif = [ 'bridge=br0' ]\nnics = 3\n");
    ASSERT_EQ(b.ok().nics.size(), 3u);
    EXPECT_EQ(b.ok().nics[2].devid, 2);
    EXPECT_FALSE(b.ok().nics[2].bridge.has_value());
    EXPECT_EQ(b.xl_report(),
              "test.cfg:4: warning: `nics = 3' is deprecated (xm); as xm did, 2 empty vif "
              "entries were added: write vif = [ '', ... ] instead\n");
}

TEST(DomainSpec, XmNicsZeroDropsEveryVif)
{
    auto b = build_with_base("vif = [ 'bridge=br0' ]\nnics = 0\n");
    EXPECT_TRUE(b.ok().nics.empty());
    EXPECT_EQ(b.xl_report(),
              "test.cfg:4: warning: `nics = 0' is deprecated (xm); as xm did, no vif is created "
              "and the 1 vif entry ignored\n");
}

TEST(DomainSpec, XmNicsNotAboveTheVifCountOnlyWarns)
{
    auto b = build_with_base("vif = [ '', '' ]\nnics = 1\n");
    EXPECT_EQ(b.ok().nics.size(), 2u);
    EXPECT_EQ(b.xl_report(),
              "test.cfg:4: warning: `nics' is deprecated (xm) and has no effect: `vif' already "
              "has 2 entries\n");
}

// ---- pci --------------------------------------------------------------------------------

TEST(DomainSpec, ReadsPciDevices)
{
    auto b = build_with_base("pci = [ '0000:03:00.1' ]\n");
    ASSERT_EQ(b.ok().pcidevs.size(), 1u);
    EXPECT_EQ(pci_spec_to_bdf(b.ok().pcidevs[0]), "0000:03:00.1");
}

TEST(DomainSpec, TopLevelPciKeysAreEachDevicesDefaults)
{
    auto b = build_with_base("pci_permissive = 1\npci_seize = 1\npci = [ '03:00.0', '04:00.0,permissive=0' ]\n");
    EXPECT_TRUE(b.ok().pcidevs.at(0).permissive);
    EXPECT_TRUE(b.ok().pcidevs.at(0).seize);
    EXPECT_FALSE(b.ok().pcidevs.at(1).permissive);
}

TEST(DomainSpec, PciOfAPvGuestGetsStrictRdmPolicyFromXlsUnionRead)
{
    EXPECT_EQ(build_with_base("pci = [ '03:00.0' ]\n").ok().pcidevs.at(0).rdm_policy,
              RdmReservePolicy::strict);
    EXPECT_EQ(build_with_base("type = \"hvm\"\npci = [ '03:00.0' ]\n").ok().pcidevs.at(0).rdm_policy,
              RdmReservePolicy::invalid);
}

TEST(DomainSpec, BadPciIsXlsError)
{
    EXPECT_EQ(build_with_base("pci = [ 'zz' ]\n").error(),
              "unable to parse PCI_SPEC_STRING `zz' for passthrough");
}

TEST(DomainSpec, UnknownPciOptionPrefixesLibxlusReport)
{
    EXPECT_EQ(build_with_base("pci = [ '03:00.0,speed=1' ]\n").error(),
              "Unknown PCI_SPEC_STRING option: speedunable to parse PCI_SPEC_STRING "
              "`03:00.0,speed=1' for passthrough");
}

// ---- backend ----------------------------------------------------------------------------

TEST(DomainSpec, BackendDefaultsToUml)
{
    EXPECT_EQ(build(k_base).ok().backend, BackendKind::uml);
}

TEST(DomainSpec, ReadsTheBackend)
{
    EXPECT_EQ(build_with_base("backend = \"qemu\"\n").ok().backend, BackendKind::qemu);
    EXPECT_EQ(build_with_base("backend = \"vkernel\"\n").ok().backend, BackendKind::vkernel);
}

TEST(DomainSpec, UnknownBackendIsAnErrorNamingKeyLineAndChoices)
{
    EXPECT_EQ(build_with_base("backend = \"xen\"\n").error(),
              "test.cfg:3: backend = \"xen\" is not a backend uxl knows; use \"uml\", \"qemu\" "
              "or \"vkernel\"");
}

TEST(DomainSpec, BackendGivenAsAListIsAnError)
{
    EXPECT_EQ(build_with_base("backend = [ \"uml\" ]\n").error(),
              "test.cfg:3: backend = a list is not a backend uxl knows; use \"uml\", \"qemu\" "
              "or \"vkernel\"");
}

// ---- text that JSON cannot carry ---------------------------------------------------------

TEST(DomainSpec, NameThatIsNotUtf8IsAnErrorNamingKeyAndLine)
{
    auto b = build("kernel = \"/k\"\nname = \"caf\xe9\"\n");
    EXPECT_EQ(b.error(), "test.cfg:2: the value of `name' is not valid UTF-8: uxl keeps a domain as JSON, "
                         "which cannot hold it");
    EXPECT_EQ(b.spec.error().context, "test.cfg:2");
}

TEST(DomainSpec, DiskPathThatIsNotUtf8IsAnError)
{
    EXPECT_NE(build_with_base("disk = [ 'vdev=xvda,target=/srv/\xff.img' ]\n").error().find("`disk' is not valid UTF-8"),
              std::string::npos);
}

TEST(DomainSpec, CommandLineFromExtraThatIsNotUtf8NamesExtra)
{
    EXPECT_NE(build_with_base("extra = \"quiet \x80\"\n").error().find("test.cfg:3: the value of `extra'"),
              std::string::npos);
}

TEST(DomainSpec, Utf8TextIsKept)
{
    EXPECT_EQ(build("kernel = \"/k\"\nname = \"d\xc3\xb6m\"\n").ok().name, "d\xc3\xb6m");
}

// ---- order ------------------------------------------------------------------------------

TEST(DomainSpec, WarningsComeInXlsReadingOrder)
{
    // xl reads memory before vcpus, whatever the file's order.
    auto b = build_with_base("vcpus = \"two\"\nmemory = \"lots\"\n");
    EXPECT_EQ(b.xl_report(), "test.cfg:4: warning: parameter `memory' is not a valid number\n"
                             "test.cfg:3: warning: parameter `vcpus' is not a valid number\n");
}

}  // namespace
}  // namespace uxl
