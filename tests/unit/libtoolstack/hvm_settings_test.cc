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

}  // namespace
}  // namespace uxl
