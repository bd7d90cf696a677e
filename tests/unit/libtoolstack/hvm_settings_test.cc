// DomainSpec::hvm: acpi for every type, boot/serial/nographic for HVM only, as xl reads them;
// and, for now, no trace of them in what uxl prints (see HvmSettings).
#include "uxl/config_file.h"
#include "uxl/config_reader.h"
#include "uxl/domain_spec.h"

#include <gtest/gtest.h>

namespace uxl {
namespace {

struct Built {
    DomainSpec spec;
    Diagnostics diagnostics;
};

Built build(std::string_view text)
{
    ParseOutcome parsed = parse_config(text, "test.cfg");
    EXPECT_TRUE(parsed.ok()) << parsed.diagnostics.xl_report();
    Built out;
    ConfigReader reader(parsed.config, out.diagnostics);
    BuildOptions options;
    options.config_path = "test.cfg";
    auto spec = build_domain_spec(reader, options);
    EXPECT_TRUE(spec.has_value()) << (spec ? "" : spec.error().message);
    if (spec)
        out.spec = std::move(*spec);
    return out;
}

constexpr std::string_view k_hvm = "name = \"vm\"\ntype = \"hvm\"\n";
constexpr std::string_view k_pv = "name = \"vm\"\nkernel = \"/k\"\n";

TEST(HvmSettings, HvmReadsBootSerialNographicAndAcpi)
{
    auto b = build(std::string(k_hvm) + "boot = \"dc\"\nserial = \"pty\"\nnographic = 1\nacpi = 0\n");
    EXPECT_EQ(b.spec.hvm.boot, "dc");
    EXPECT_EQ(b.spec.hvm.serial, std::vector<std::string>{"pty"});
    EXPECT_EQ(b.spec.hvm.nographic, true);
    EXPECT_EQ(b.spec.hvm.acpi, false);
}

TEST(HvmSettings, NothingGivenLeavesEverythingUnset)
{
    auto b = build(k_hvm);
    EXPECT_TRUE(b.spec.hvm.boot.empty());
    EXPECT_TRUE(b.spec.hvm.serial.empty());
    EXPECT_FALSE(b.spec.hvm.nographic.has_value());
    EXPECT_FALSE(b.spec.hvm.acpi.has_value());
}

TEST(HvmSettings, SerialAsAListKeepsItsStringsUpToTheFirstNestedList)
{
    auto b = build(std::string(k_hvm) + "serial = [ \"pty\", \"file:/tmp/s\", [ \"x\" ], \"y\" ]\n");
    EXPECT_EQ(b.spec.hvm.serial, (std::vector<std::string>{"pty", "file:/tmp/s"}));
}

TEST(HvmSettings, PvReadsAcpiButNotTheHvmKeys)
{
    auto b = build(std::string(k_pv) + "boot = \"d\"\nserial = \"pty\"\nnographic = 0\nacpi = 1\n");
    EXPECT_TRUE(b.spec.hvm.boot.empty());
    EXPECT_TRUE(b.spec.hvm.serial.empty());
    EXPECT_FALSE(b.spec.hvm.nographic.has_value());
    EXPECT_EQ(b.spec.hvm.acpi, true);
}

TEST(HvmSettings, MalformedValuesAreLeftUnsetWithoutWarnings)
{
    auto b = build(std::string(k_hvm) + "boot = [ \"d\" ]\nnographic = \"yes\"\nacpi = \"on\"\n");
    EXPECT_TRUE(b.spec.hvm.boot.empty());
    EXPECT_FALSE(b.spec.hvm.nographic.has_value());
    EXPECT_FALSE(b.spec.hvm.acpi.has_value());
    EXPECT_TRUE(b.diagnostics.empty()) << b.diagnostics.xl_report();
}

TEST(HvmSettings, VncKeysAreReadForHvm)
{
    auto b = build(std::string(k_hvm) + "vnc = 1\nvnclisten = \"127.0.0.1\"\nvncdisplay = 7\nvncunused = 0\n");
    EXPECT_EQ(b.spec.hvm.vnc.enable, true);
    EXPECT_EQ(b.spec.hvm.vnc.listen, "127.0.0.1");
    EXPECT_EQ(b.spec.hvm.vnc.display, 7);
    EXPECT_EQ(b.spec.hvm.vnc.find_unused, false);
    // (libxl_json_test.cc checks that the JSON carries them to uxld.)
}

// A config xl exits on: the error, with the file and line of the setting.
Error refusal(std::string_view text)
{
    ParseOutcome parsed = parse_config(text, "test.cfg");
    EXPECT_TRUE(parsed.ok()) << parsed.diagnostics.xl_report();
    Diagnostics diagnostics;
    ConfigReader reader(parsed.config, diagnostics);
    BuildOptions options;
    options.config_path = "test.cfg";
    auto spec = build_domain_spec(reader, options);
    EXPECT_FALSE(spec.has_value());
    return spec ? Error{} : spec.error();
}

TEST(HvmSettings, VgaNamesTheCardAndWinsOverStdvga)
{
    EXPECT_EQ(build(std::string(k_hvm) + "vga = \"stdvga\"\n").spec.hvm.vga, VgaKind::std);
    EXPECT_EQ(build(std::string(k_hvm) + "vga = \"qxl\"\n").spec.hvm.vga, VgaKind::qxl);
    EXPECT_EQ(build(std::string(k_hvm) + "vga = \"none\"\nstdvga = 1\n").spec.hvm.vga, VgaKind::none);
    EXPECT_EQ(build(std::string(k_hvm) + "stdvga = 1\n").spec.hvm.vga, VgaKind::std);
    EXPECT_EQ(build(std::string(k_hvm) + "stdvga = 0\n").spec.hvm.vga, VgaKind::cirrus);
    EXPECT_EQ(build(k_hvm).spec.hvm.vga, VgaKind::unknown);
}

TEST(HvmSettings, UnknownVgaIsXlsErrorAtItsLine)
{
    const Error e = refusal(std::string(k_hvm) + "vga = \"vmware\"\n");
    EXPECT_EQ(e.message, "Unknown vga \"vmware\" specified");
    EXPECT_EQ(e.context, "test.cfg:3");
}

TEST(HvmSettings, BiosIsReadAndAnUnknownOneIsXlsError)
{
    EXPECT_EQ(build(std::string(k_hvm) + "bios = \"ovmf\"\n").spec.hvm.bios, BiosKind::ovmf);
    const Error e = refusal(std::string(k_hvm) + "bios = \"uefi\"\n");
    EXPECT_EQ(e.message, "ERROR: invalid value \"uefi\" for \"bios\"");
    EXPECT_EQ(e.context, "test.cfg:3");
}

TEST(HvmSettings, PlatformFlagsSoundAndSdlAreReadForHvm)
{
    auto b = build(std::string(k_hvm) + "pae = 0\napic = 0\nacpi_s3 = 0\nacpi_s4 = 1\nnx = 0\nhpet = 0\n"
                                        "soundhw = \"hda\"\nsdl = 1\n");
    EXPECT_EQ(b.spec.hvm.pae, false);
    EXPECT_EQ(b.spec.hvm.apic, false);
    EXPECT_EQ(b.spec.hvm.acpi_s3, false);
    EXPECT_EQ(b.spec.hvm.acpi_s4, true);
    EXPECT_EQ(b.spec.hvm.nx, false);
    EXPECT_EQ(b.spec.hvm.hpet, false);
    EXPECT_EQ(b.spec.hvm.soundhw, "hda");
    EXPECT_EQ(b.spec.hvm.sdl, true);
}

TEST(HvmSettings, PvReadsRtcTimeoffsetVideoramAndWatchdogButNoHvmFlag)
{
    auto b = build(std::string(k_pv) + "rtc_timeoffset = \"-3600\"\nvideoram = 16\nwatchdog = \"ib700\"\npae = 0\n");
    EXPECT_EQ(b.spec.rtc_timeoffset, -3600);
    EXPECT_EQ(b.spec.hvm.video_memkb, 16u * 1024);
    EXPECT_EQ(b.spec.watchdog, "ib700");
    EXPECT_FALSE(b.spec.hvm.pae.has_value());
}

TEST(HvmSettings, UnknownWatchdogIsRefusedAtItsLine)
{
    const Error e = refusal(std::string(k_pv) + "watchdog = \"softdog\"\n");
    EXPECT_EQ(e.message,
              "test.cfg:3: watchdog = \"softdog\" is not a watchdog uxl knows; use \"i6300esb\" or \"ib700\"");
    EXPECT_EQ(e.context, "test.cfg:3");
}

}  // namespace
}  // namespace uxl
