// The xl disk spec parser against xl's own black-box cases (tools/xl/check-xl-disk-parse),
// the examples of xl-disk-configuration(5) and reference §3, and xl's exact error lines.
#include "uxl/disk_spec.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace uxl {
namespace {

const char* const kCommandLine = "command line";

// What `xl -N block-attach 0 WORDS...` prints on stdout.
std::string dry_run_attach(const std::vector<std::string>& words)
{
    auto disk = parse_disk_spec(words, kCommandLine);
    if (!disk)
        return "error: " + disk.error().message;
    return "disk: " + disk_spec_to_yajl(*disk) + "\n";
}

DiskSpec parsed(std::string_view spec)
{
    auto disk = parse_disk_spec(spec, "cfg");
    EXPECT_TRUE(disk.has_value()) << (disk ? "" : disk.error().message);
    return disk ? *disk : DiskSpec{};
}

std::string error_of(std::string_view spec, std::string_view source = "cfg")
{
    auto disk = parse_disk_spec(spec, source);
    if (disk)
        return "(parsed)";
    EXPECT_EQ(disk.error().code, Errc::invalid_argument);
    return disk.error().message;
}

// ---- check-xl-disk-parse: every case, with its expected stdout ----

const char* const kGuestVolume = R"(disk: {
    "pdev_path": "/dev/vg/guest-volume",
    "vdev": "hda",
    "format": "raw",
    "readwrite": 1
}

)";

const char* const kImageIso = R"(disk: {
    "pdev_path": "/root/image.iso",
    "vdev": "hdc",
    "format": "raw",
    "removable": 1,
    "is_cdrom": 1
}

)";

const char* const kPhyBackend = R"(disk: {
    "pdev_path": "/dev/vg/guest-volume",
    "vdev": "xvdb",
    "backend": "phy",
    "format": "raw",
    "readwrite": 1
}

)";

const char* const kEmptyCdromWithEmptyTarget = R"(disk: {
    "pdev_path": "",
    "vdev": "hdc",
    "format": "empty",
    "removable": 1,
    "is_cdrom": 1
}

)";

const char* const kEmptyCdromWithoutTarget = R"(disk: {
    "vdev": "hdc",
    "format": "empty",
    "removable": 1,
    "is_cdrom": 1
}

)";

const char* const kIscsi = R"(disk: {
    "pdev_path": "iqn.2001-05.com.equallogic:0-8a0906-23fe93404-c82797962054a96d-examplehost",
    "vdev": "xvda",
    "format": "raw",
    "script": "block-iscsi",
    "readwrite": 1
}

)";

const char* const kDrbd = R"(disk: {
    "pdev_path": "app01",
    "vdev": "hda",
    "format": "raw",
    "script": "block-drbd",
    "readwrite": 1
}

)";

const char* const kDiscard = R"(disk: {
    "pdev_path": "/some/disk/image.raw",
    "vdev": "hda",
    "format": "raw",
    "readwrite": 1,
    "discard_enable": "True"
}

)";

const char* const kCdromNoDiscard = R"(disk: {
    "pdev_path": "/some/disk/image.iso",
    "vdev": "hda",
    "format": "raw",
    "removable": 1,
    "is_cdrom": 1,
    "discard_enable": "False"
}

)";

const char* const kTrusted = R"(disk: {
    "pdev_path": "/some/disk/image.raw",
    "vdev": "hda",
    "format": "raw",
    "readwrite": 1,
    "trusted": "True"
}

)";

const char* const kUntrusted = R"(disk: {
    "pdev_path": "/some/disk/image.raw",
    "vdev": "hda",
    "format": "raw",
    "readwrite": 1,
    "trusted": "False"
}

)";

struct XlCase {
    const char* name;
    std::vector<std::string> words;
    const char* expected;
};

// Shows the argv words when a case fails, instead of the raw bytes of the struct.
void PrintTo(const XlCase& c, std::ostream* out)
{
    for (const std::string& word : c.words)
        *out << '\'' << word << "' ";
}

class DiskSpecCheckXlDiskParse : public ::testing::TestWithParam<XlCase> {};

TEST_P(DiskSpecCheckXlDiskParse, PrintsWhatXlPrints)
{
    EXPECT_EQ(dry_run_attach(GetParam().words), GetParam().expected);
}

const std::string kIqn =
    "iqn.2001-05.com.equallogic:0-8a0906-23fe93404-c82797962054a96d-examplehost";

INSTANTIATE_TEST_SUITE_P(
    DiskXlCases, DiskSpecCheckXlDiskParse,
    ::testing::Values(
        XlCase{"PositionalEmptyFormat", {"/dev/vg/guest-volume,,hda"}, kGuestVolume},
        XlCase{"PositionalAll", {"/dev/vg/guest-volume,raw,hda,rw"}, kGuestVolume},
        XlCase{"KeywordsWithBlanks",
               {"format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume"},
               kGuestVolume},
        XlCase{"KeywordsAsWords",
               {"format=raw", "vdev=hda", "access=rw", "target=/dev/vg/guest-volume"},
               kGuestVolume},
        XlCase{"RawPrefix", {"raw:/dev/vg/guest-volume,hda,w"}, kGuestVolume},
        XlCase{"CdromFlagInAccessSlot", {"/root/image.iso,,hdc,cdrom"}, kImageIso},
        XlCase{"CdromFlagAfterAccess", {"/root/image.iso,,hdc,,cdrom"}, kImageIso},
        XlCase{"DevtypeCdrom", {"/root/image.iso,raw,hdc,devtype=cdrom"}, kImageIso},
        XlCase{"CdromKeywordsWithBlanks",
               {"format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso"},
               kImageIso},
        XlCase{"CdromKeywordsAsWords",
               {"format=raw", "vdev=hdc", "access=ro", "devtype=cdrom",
                "target=/root/image.iso"},
               kImageIso},
        XlCase{"CdromRawPrefixAndDevtypeSuffix", {"raw:/root/image.iso,hdc:cdrom,ro"},
               kImageIso},
        XlCase{"BackendtypePhy",
               {"backendtype=phy,vdev=xvdb,access=w,target=/dev/vg/guest-volume"},
               kPhyBackend},
        XlCase{"EmptyCdromDevtypeFirst", {"devtype=cdrom,,,hdc"}, kEmptyCdromWithEmptyTarget},
        XlCase{"EmptyCdromXendTwoCommas", {",,hdc:cdrom,r"}, kEmptyCdromWithEmptyTarget},
        XlCase{"EmptyCdromXendForm", {",hdc:cdrom,r"}, kEmptyCdromWithEmptyTarget},
        XlCase{"EmptyCdromEmptyTargetKeyword", {"vdev=hdc,access=r,devtype=cdrom,target="},
               kEmptyCdromWithEmptyTarget},
        XlCase{"EmptyCdromEmptyFormat", {",empty,hdc:cdrom,r"}, kEmptyCdromWithEmptyTarget},
        XlCase{"EmptyCdromFormatEmptyNoTarget", {"vdev=hdc,access=r,devtype=cdrom,format=empty"},
               kEmptyCdromWithoutTarget},
        XlCase{"EmptyCdromNoTarget", {"vdev=hdc,access=r,devtype=cdrom"},
               kEmptyCdromWithoutTarget},
        XlCase{"IscsiPrefix", {"iscsi:" + kIqn + ",xvda,w"}, kIscsi},
        XlCase{"IscsiScriptKeyword",
               {"vdev=xvda,access=w,script=block-iscsi,target=" + kIqn}, kIscsi},
        XlCase{"DrbdPrefix", {"drbd:app01,hda,w"}, kDrbd},
        XlCase{"Discard", {"discard", "vdev=hda", "target=/some/disk/image.raw"}, kDiscard},
        XlCase{"CdromNoDiscard", {"cdrom", "no-discard", "vdev=hda", "target=/some/disk/image.iso"},
               kCdromNoDiscard},
        XlCase{"Trusted", {"trusted", "vdev=hda", "target=/some/disk/image.raw"}, kTrusted},
        XlCase{"Untrusted", {"untrusted", "vdev=hda", "target=/some/disk/image.raw"},
               kUntrusted}),
    [](const ::testing::TestParamInfo<XlCase>& info) { return std::string(info.param.name); });

TEST(DiskSpecCheckXl, BareWordFailsWithNoVdev)
{
    auto disk = parse_disk_spec(std::vector<std::string>{"foo"}, kCommandLine);
    ASSERT_FALSE(disk);
    EXPECT_EQ(disk.error().message,
              "command line: config parsing error in disk specification: no vdev specified in "
              "`foo'");
}

// ---- error lines ----

TEST(DiskSpecError, UnknownAccessQuotesValueAndSpec)
{
    EXPECT_EQ(error_of("/srv/img,,xvda,x", "spec"),
              "spec: config parsing error in disk specification: unknown value for access: near "
              "`x' in `/srv/img,,xvda,x'");
}

TEST(DiskSpecError, VdevInFormatSlotWithoutPrefixIsUnknownFormat)
{
    EXPECT_EQ(error_of("/srv/img,xvda,w"),
              "cfg: config parsing error in disk specification: unknown value for format: near "
              "`xvda' in `/srv/img,xvda,w'");
}

TEST(DiskSpecError, NoTargetForNonRemovableDisk)
{
    EXPECT_EQ(error_of("vdev=xvda"),
              "cfg: config parsing error in disk specification: no target specified (and device "
              "not removable) in `vdev=xvda'");
}

TEST(DiskSpecError, UnknownParameterQuotesOnlyOneValueCharacter)
{
    EXPECT_EQ(error_of("/x,,xvda,foo=bar"),
              "cfg: config parsing error in disk specification: unknown parameter: near `foo=b' "
              "in `/x,,xvda,foo=bar'");
}

TEST(DiskSpecError, UnknownParameterQuotesItsComma)
{
    EXPECT_EQ(error_of("foo=b,/x,,xvda"),
              "cfg: config parsing error in disk specification: unknown parameter: near `foo=b,' "
              "in `foo=b,/x,,xvda'");
}

TEST(DiskSpecError, UnknownDeprecatedPrefix)
{
    EXPECT_EQ(error_of("foo:/x,xvda,w"),
              "cfg: config parsing error in disk specification: unknown deprecated disk prefix: "
              "near `foo:' in `foo:/x,xvda,w'");
}

TEST(DiskSpecError, StrayEqualsIsBadSyntaxQuotingTheRest)
{
    EXPECT_EQ(error_of("/x,,xvda,=w"),
              "cfg: config parsing error in disk specification: bad disk syntax: near `=w' in "
              "`/x,,xvda,=w'");
}

TEST(DiskSpecError, StrayEqualsAtTheVeryEndIsSilentThenVdevIsMissing)
{
    EXPECT_EQ(error_of("/x="),
              "cfg: config parsing error in disk specification: no vdev specified in `/x='");
}

TEST(DiskSpecError, TooManyPositionalParameters)
{
    EXPECT_EQ(error_of("/x,raw,xvda,w,extra"),
              "cfg: config parsing error in disk specification: too many positional parameters: "
              "near `extra' in `/x,raw,xvda,w,extra'");
}

TEST(DiskSpecError, UnknownDevtypeQuotesWholeToken)
{
    EXPECT_EQ(error_of("devtype=floppy,/x,,xvda"),
              "cfg: config parsing error in disk specification: unknown value for type: near "
              "`devtype=floppy,' in `devtype=floppy,/x,,xvda'");
}

TEST(DiskSpecError, UnknownDeprecatedDevtypeSuffix)
{
    EXPECT_EQ(error_of("phy:/x,xvda:floppy,w"),
              "cfg: config parsing error in disk specification: unknown deprecated type: near "
              "`floppy' in `phy:/x,xvda:floppy,w'");
}

TEST(DiskSpecError, UnknownBackendtype)
{
    EXPECT_EQ(error_of("backendtype=nfs,/x,,xvda"),
              "cfg: config parsing error in disk specification: unknown value for backendtype: "
              "near `nfs' in `backendtype=nfs,/x,,xvda'");
}

TEST(DiskSpecError, UnknownSpecification)
{
    EXPECT_EQ(error_of("specification=scsi,/x,,xvda"),
              "cfg: config parsing error in disk specification: unknown value for specification: "
              "near `scsi' in `specification=scsi,/x,,xvda'");
}

TEST(DiskSpecError, ZeroOrNonNumericColoPort)
{
    EXPECT_EQ(error_of("colo-port=abc,/x,,xvda"),
              "cfg: config parsing error in disk specification: unknown value for colo_port: "
              "near `abc' in `colo-port=abc,/x,,xvda'");
}

TEST(DiskSpecError, EveryNonFatalErrorIsALine)
{
    EXPECT_EQ(error_of("access=x,access=y,/x,,xvda"),
              "cfg: config parsing error in disk specification: unknown value for access: near "
              "`x' in `access=x,access=y,/x,,xvda'\n"
              "cfg: config parsing error in disk specification: unknown value for access: near "
              "`y' in `access=x,access=y,/x,,xvda'");
}

TEST(DiskSpecError, NamesTheFragmentBeingScanned)
{
    auto disk = parse_disk_spec(std::vector<std::string>{"/x,,xvda", "access=bad"}, kCommandLine);
    ASSERT_FALSE(disk);
    EXPECT_EQ(disk.error().message,
              "command line: config parsing error in disk specification: unknown value for "
              "access: near `bad' in `access=bad'");
}

TEST(DiskSpecError, FinalChecksNameTheLastFragment)
{
    auto disk = parse_disk_spec(std::vector<std::string>{"target=/x", "discard"}, kCommandLine);
    ASSERT_FALSE(disk);
    EXPECT_EQ(disk.error().message,
              "command line: config parsing error in disk specification: no vdev specified in "
              "`discard'");
}

TEST(DiskSpecError, NoFragmentsPrintsNullLikeGlibc)
{
    auto disk = parse_disk_spec(std::vector<std::string>{}, kCommandLine);
    ASSERT_FALSE(disk);
    EXPECT_EQ(disk.error().message,
              "command line: config parsing error in disk specification: no vdev specified in "
              "`(null)'");
}

TEST(DiskSpecError, ErrorsStopLaterFragments)
{
    auto disk = parse_disk_spec(std::vector<std::string>{"access=x,/x,,xvda", "access=y"},
                                kCommandLine);
    ASSERT_FALSE(disk);
    EXPECT_EQ(disk.error().message.find('\n'), std::string::npos);
}

// ---- respecified parameters ----

TEST(DiskSpecRespecified, VdevTwice)
{
    EXPECT_EQ(error_of("vdev=xvda,vdev=xvdb,target=/x"),
              "cfg: config parsing error in disk specification: vdev respecified: near `xvdb' in "
              "`vdev=xvda,vdev=xvdb,target=/x'");
}

TEST(DiskSpecRespecified, TargetKeywordAfterPositionalTarget)
{
    EXPECT_EQ(error_of("/x,,xvda,target=/y"),
              "cfg: config parsing error in disk specification: target respecified: near `/y' in "
              "`/x,,xvda,target=/y'");
}

TEST(DiskSpecRespecified, FormatToADifferentValue)
{
    EXPECT_EQ(error_of("format=raw,format=qcow2,vdev=xvda,target=/x"),
              "cfg: config parsing error in disk specification: format respecified: near `qcow2' "
              "in `format=raw,format=qcow2,vdev=xvda,target=/x'");
}

TEST(DiskSpecRespecified, BackendtypeIsReportedAsBackend)
{
    EXPECT_EQ(error_of("backendtype=phy,backendtype=tap,vdev=xvda,target=/x"),
              "cfg: config parsing error in disk specification: backend respecified: near `tap' "
              "in `backendtype=phy,backendtype=tap,vdev=xvda,target=/x'");
}

TEST(DiskSpecRespecified, ScriptByPrefixAndKeyword)
{
    EXPECT_EQ(error_of("script=block-x,nbd:host:1,xvda,w"),
              "cfg: config parsing error in disk specification: script respecified: near "
              "`block-nbd' in `script=block-x,nbd:host:1,xvda,w'");
}

TEST(DiskSpecRespecified, SameEnumValueAgainIsAccepted)
{
    DiskSpec disk = parsed("format=qcow2,qcow2:/x,xvda,w");
    EXPECT_EQ(disk.format, DiskFormat::qcow2);
}

TEST(DiskSpecRespecified, EmptyStringMayBeOverwritten)
{
    DiskSpec disk = parsed(",,xvda,target=/x");
    EXPECT_EQ(disk.pdev_path, "/x");
    EXPECT_EQ(disk.vdev, "xvda");
}

// ---- legacy (xm) prefixes ----

TEST(DiskSpecLegacy, PhyPrefixSkipsFormatSlot)
{
    DiskSpec disk = parsed("phy:/dev/wd0e,0x1,w");
    EXPECT_EQ(disk.pdev_path, "/dev/wd0e");
    EXPECT_EQ(disk.vdev, "0x1");
    EXPECT_EQ(disk.format, DiskFormat::raw);
    EXPECT_TRUE(disk.readwrite);
    EXPECT_EQ(disk.script, std::nullopt);
    EXPECT_EQ(disk.backend, DiskBackend::unknown);
}

TEST(DiskSpecLegacy, PhyPrefixWithNumericCdromVdev)
{
    DiskSpec disk = parsed("phy:/dev/vnd0d,6:cdrom,r");
    EXPECT_EQ(disk.pdev_path, "/dev/vnd0d");
    EXPECT_EQ(disk.vdev, "6");
    EXPECT_TRUE(disk.is_cdrom);
    EXPECT_TRUE(disk.removable);
    EXPECT_FALSE(disk.readwrite);
    EXPECT_EQ(disk.format, DiskFormat::raw);
}

TEST(DiskSpecLegacy, FilePrefixIsIgnored)
{
    DiskSpec disk = parsed("file:/srv/img,xvda,w");
    EXPECT_EQ(disk.pdev_path, "/srv/img");
    EXPECT_EQ(disk.vdev, "xvda");
    EXPECT_EQ(disk.format, DiskFormat::raw);
}

TEST(DiskSpecLegacy, StackedTapAioPrefixes)
{
    DiskSpec disk = parsed("tap:aio:/srv/img,xvda,w");
    EXPECT_EQ(disk.pdev_path, "/srv/img");
    EXPECT_EQ(disk.vdev, "xvda");
}

TEST(DiskSpecLegacy, StackedTap2TapdiskAioPrefixes)
{
    DiskSpec disk = parsed("tap2:tapdisk:aio:/srv/img,xvda,w");
    EXPECT_EQ(disk.pdev_path, "/srv/img");
    EXPECT_EQ(disk.vdev, "xvda");
    EXPECT_EQ(disk.backend, DiskBackend::unknown);
}

TEST(DiskSpecLegacy, IoemuPrefixIsIgnored)
{
    EXPECT_EQ(parsed("ioemu:/srv/img,hda,w").pdev_path, "/srv/img");
}

TEST(DiskSpecLegacy, FormatPrefixesSetTheFormat)
{
    EXPECT_EQ(parsed("qcow2:/srv/img,xvda,w").format, DiskFormat::qcow2);
    EXPECT_EQ(parsed("tap:qcow:/srv/img,xvda,w").format, DiskFormat::qcow);
    EXPECT_EQ(parsed("vhd:/srv/img,xvda,w").format, DiskFormat::vhd);
}

TEST(DiskSpecLegacy, ScriptPrefixesNameBlockScripts)
{
    EXPECT_EQ(parsed("iscsi:iqn.x,xvda,w").script, "block-iscsi");
    EXPECT_EQ(parsed("enbd:host,xvda,w").script, "block-enbd");
    EXPECT_EQ(parsed("drbd:res,xvda,w").script, "block-drbd");
}

TEST(DiskSpecLegacy, NbdTargetKeepsItsColon)
{
    DiskSpec disk = parsed("nbd:host:1234,xvda,w");
    EXPECT_EQ(disk.script, "block-nbd");
    EXPECT_EQ(disk.pdev_path, "host:1234");
    EXPECT_EQ(disk.vdev, "xvda");
}

TEST(DiskSpecLegacy, UnknownWordBeforeColonAndLetterIsPartOfTheTarget)
{
    DiskSpec disk = parsed("foo:bar,,xvda");
    EXPECT_EQ(disk.pdev_path, "foo:bar");
}

// ---- target=, blanks, positional forms ----

TEST(DiskSpecTarget, KeywordEatsCommasAndColons)
{
    DiskSpec disk = parsed("vdev=xvda,target=/a,b:c d");
    EXPECT_EQ(disk.pdev_path, "/a,b:c d");
}

TEST(DiskSpecTarget, KeywordDropsOneTrailingComma)
{
    EXPECT_EQ(parsed("vdev=xvda,target=/x,").pdev_path, "/x");
    EXPECT_EQ(parsed("vdev=xvda,target=/x,,").pdev_path, "/x,");
}

TEST(DiskSpecTarget, KeywordEatsWhatLooksLikeLaterParameters)
{
    EXPECT_EQ(error_of("target=/x,vdev=xvda"),
              "cfg: config parsing error in disk specification: no vdev specified in "
              "`target=/x,vdev=xvda'");
}

TEST(DiskSpecBlanks, TrailingBlanksStayInPositionalValues)
{
    DiskSpec disk = parsed("/x , , xvda");
    EXPECT_EQ(disk.pdev_path, "/x ");
    EXPECT_EQ(disk.vdev, "xvda");
    EXPECT_EQ(disk.format, DiskFormat::raw);
}

TEST(DiskSpecBlanks, TrailingBlanksStayInLastValue)
{
    EXPECT_EQ(parsed("/x,,xvda ").vdev, "xvda ");
}

TEST(DiskSpecBlanks, LeadingBlanksAreIgnored)
{
    DiskSpec disk = parsed("  /x,\t,\txvda");
    EXPECT_EQ(disk.pdev_path, "/x");
    EXPECT_EQ(disk.vdev, "xvda");
}

TEST(DiskSpecBlanks, TargetKeywordKeepsTrailingBlanks)
{
    EXPECT_EQ(parsed("vdev=xvda, target=/x  ").pdev_path, "/x  ");
}

TEST(DiskSpecPositional, AccessDefaultsToReadWrite)
{
    EXPECT_TRUE(parsed("/x,,xvda").readwrite);
    EXPECT_TRUE(parsed("/x,,xvda,").readwrite);
    EXPECT_FALSE(parsed("/x,,xvda,ro").readwrite);
}

TEST(DiskSpecPositional, CdromIsReadOnlyEvenWithWriteAccess)
{
    DiskSpec disk = parsed("/x,,hdc,w,cdrom");
    EXPECT_FALSE(disk.readwrite);
    EXPECT_TRUE(disk.removable);
}

TEST(DiskSpecPositional, FragmentsContinueOneSpec)
{
    auto disk = parse_disk_spec(std::vector<std::string>{"/x,", ",xvda", "ro"}, kCommandLine);
    ASSERT_TRUE(disk);
    EXPECT_EQ(disk->pdev_path, "/x");
    EXPECT_EQ(disk->vdev, "xvda");
    EXPECT_FALSE(disk->readwrite);
}

TEST(DiskSpecPositional, PrefixInOneFragmentSkipsFormatSlotInTheNext)
{
    auto disk = parse_disk_spec(std::vector<std::string>{"phy:/dev/x", "xvda"}, kCommandLine);
    ASSERT_TRUE(disk);
    EXPECT_EQ(disk->vdev, "xvda");
}

TEST(DiskSpecPositional, FlagWordIsNotAPositional)
{
    DiskSpec disk = parsed("/x,,xvda,w,direct-io-safe");
    EXPECT_TRUE(disk.direct_io_safe);
    EXPECT_TRUE(disk.readwrite);
}

TEST(DiskSpecPositional, LongerWordStartingWithAFlagIsPositional)
{
    EXPECT_EQ(parsed("cdromimage,,xvda").pdev_path, "cdromimage");
}

// ---- JSON layout ----

TEST(DiskSpecJson, AllSettableFieldsInIdlOrder)
{
    DiskSpec disk = parsed(
        "backend=dd,backendtype=qdisk,specification=virtio,grant_usage=0,direct-io-safe,colo,"
        "colo-host=h,colo-port=9000,colo-export=e,active-disk=a,hidden-disk=hd,trusted,"
        "no-discard,script=s,vdev=xvda,format=qed,target=/x");
    EXPECT_EQ(disk_spec_to_yajl(disk), R"({
    "backend_domname": "dd",
    "pdev_path": "/x",
    "vdev": "xvda",
    "backend": "qdisk",
    "format": "qed",
    "script": "s",
    "readwrite": 1,
    "direct_io_safe": true,
    "discard_enable": "False",
    "specification": "virtio",
    "colo_enable": "True",
    "colo_host": "h",
    "colo_port": 9000,
    "colo_export": "e",
    "active_disk": "a",
    "hidden_disk": "hd",
    "trusted": "True",
    "grant_usage": "False"
}
)");
}

TEST(DiskSpecJson, LibxlFilledFieldsPrintWhenSet)
{
    DiskSpec disk;
    disk.backend_domid = 3;
    disk.transport = DiskTransport::mmio;
    disk.irq = 33;
    disk.base = 0x2000000;
    disk.colo_restore_enable = true;
    EXPECT_EQ(disk_spec_to_yajl(disk), R"({
    "backend_domid": 3,
    "transport": "mmio",
    "irq": 33,
    "base": 33554432,
    "colo_restore_enable": "True"
}
)");
}

TEST(DiskSpecJson, EnumNamesAreLibxls)
{
    EXPECT_EQ(to_string(DiskFormat::qcow2), "qcow2");
    EXPECT_EQ(to_string(DiskFormat::empty), "empty");
    EXPECT_EQ(to_string(DiskBackend::standalone), "standalone");
    EXPECT_EQ(to_string(DiskSpecification::virtio), "virtio");
}

}  // namespace
}  // namespace uxl
