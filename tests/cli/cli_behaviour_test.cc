// The `uxl` binary's command-line contract: global options, command lookup, help, exit
// codes, config lookup, the -N device printers and the device commands' usage and
// no-daemon errors, run for real.
#include "run_uxl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace uxl::test {
namespace {

// A scratch directory for config files, removed at the end of each test.
class TempDir {
public:
    TempDir()
    {
        char tmpl[] = "/tmp/uxl-cli-test-XXXXXX";
        m_path = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(m_path); }
    const std::string& path() const { return m_path; }
    std::string write(const std::string& name, const std::string& text) const
    {
        fs::create_directories(fs::path(m_path + "/" + name).parent_path());
        write_file(m_path + "/" + name, text);
        return m_path + "/" + name;
    }

private:
    std::string m_path;
};

TEST(Cli, NoCommandPrintsFullHelpAndFails)
{
    RunResult r = run_uxl({});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("full list of subcommands:"), std::string::npos);
    EXPECT_NE(r.out.find(" create              Create a domain from config file <filename>\n"), std::string::npos);
}

TEST(Cli, HelpSucceeds)
{
    RunResult r = run_uxl({"help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Usage uxl [-vfNtT] <subcommand> [args]"), std::string::npos);
}

TEST(Cli, HelpForAnUnknownCommandSaysSoOnStdoutAndSucceeds)
{
    // xl's help(): printf, and main_help returns 0.
    RunResult r = run_uxl({"help", "frobnicate"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "command \"frobnicate\" not implemented\n");
    EXPECT_EQ(r.err, "");
}

TEST(Cli, HelpHelpIsTheFullList)
{
    RunResult r = run_uxl({"help", "help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("full list of subcommands:"), std::string::npos) << r.out;
}

TEST(Cli, HelpForACommandUsesXlsLayout)
{
    RunResult r = run_uxl({"help", "create"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.rfind("Usage: uxl [-vtTfN] create <ConfigFile> [options] [vars]\n\n"
                          "Create a domain from config file <filename>.\n\nOptions:\n\n-h ",
                          0),
              0u)
        << r.out;
}

TEST(Cli, DashHPrintsCommandHelpAndSucceeds)
{
    RunResult r = run_uxl({"create", "-h"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Usage: uxl [-vtTfN] create"), std::string::npos);
}

TEST(Cli, UnknownGlobalOptionFails)
{
    RunResult r = run_uxl({"-z", "list"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "unknown global option\n");
}

TEST(Cli, UnknownCommandIsNotImplemented)
{
    RunResult r = run_uxl({"frobnicate"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "command not implemented\n");
}

TEST(Cli, UniquePrefixSelectsTheCommand)
{
    RunResult r = run_uxl({"cr", "-h"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find(" create "), std::string::npos);
}

TEST(Cli, DryRunOnACommandWithoutItFails)
{
    RunResult r = run_uxl({"-N", "check", "x"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "command does not implement -N (dryrun) option\n");
}

TEST(Cli, UnsupportedOptionIsAUsageError)
{
    RunResult r = run_uxl({"create", "-z", "x.cfg"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "option `z' not supported.\n");
}

TEST(Create, MissingConfigFileExitsThreeWithXlsMessage)
{
    TempDir dir;
    RunResult r = run_uxl({"create", "-n", dir.path() + "/absent.cfg"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err, "Parsing config from " + dir.path() + "/absent.cfg\nFailed to read config file: " +
                         dir.path() + "/absent.cfg: No such file or directory\n");
    EXPECT_EQ(r.out, "");
}

TEST(Create, ParseFailureExitsOneAfterXlsMessages)
{
    TempDir dir;
    std::string cfg = dir.write("bad.cfg", "name = \"x\"\nmemory = = 3\n");
    RunResult r = run_uxl({"create", "-q", "-n", cfg});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, cfg + ":2: config parsing error near `=': syntax error, unexpected '=', "
                           "expecting STRING or NUMBER or '['\nFailed to parse config: Invalid argument\n");
    EXPECT_EQ(r.out, "");
}

TEST(Create, ErrorLinesInOverridesContinuePastTheFile)
{
    TempDir dir;
    std::string cfg = dir.write("a.cfg", "name = \"a\"\nkernel = \"/k\"\n");
    RunResult r = run_uxl({"create", "-q", "-n", cfg, "memory=x"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(cfg + ":4: config parsing error near `x'"), std::string::npos) << r.err;
}

TEST(Create, BareNameIsFoundInTheSearchPath)
{
    TempDir dir;
    dir.write("etc-uxl/web", "name = \"web\"\nkernel = \"/k\"\n");
    RunResult r = run_uxl({"create", "-n", "web"}, "/", {"UXL_CONFIG_PATH=" + dir.path() + "/nowhere:" + dir.path() + "/etc-uxl"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.rfind("Parsing config from " + dir.path() + "/etc-uxl/web\n", 0), 0u) << r.err;
    EXPECT_NE(r.out.find("\"name\": \"web\","), std::string::npos);
}

TEST(Create, BareNameFoundNowhereSaysWhereItLooked)
{
    TempDir dir;
    RunResult r = run_uxl({"create", "-n", "ghost"}, dir.path(), {"UXL_CONFIG_PATH=.:" + dir.path() + "/etc"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("no config named `ghost' in ., " + dir.path() + "/etc"), std::string::npos) << r.err;
}

TEST(Create, DefconfigOptionNamesTheFile)
{
    TempDir dir;
    std::string cfg = dir.write("d.cfg", "name = \"d\"\nkernel = \"/k\"\n");
    RunResult r = run_uxl({"-N", "create", "-q", "--defconfig=" + cfg});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find("\"name\": \"d\","), std::string::npos);
}

TEST(Create, ASecondConfigFileIsAUsageError)
{
    RunResult r = run_uxl({"create", "-n", "a.cfg", "b.cfg"});
    EXPECT_EQ(r.exit_code, 2);
}

TEST(Create, NoConfigAtAllIsInvalid)
{
    RunResult r = run_uxl({"create", "-n"});
    EXPECT_EQ(r.exit_code, 6);
    EXPECT_EQ(r.err, "Config file not specified and none in save file\n");
}

TEST(BlockAttach, DryRunPrintsTheDiskAndABlankLine)
{
    RunResult r = run_uxl({"-N", "block-attach", "0", "phy:/dev/vg/guest-volume,hda,w"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "disk: {\n"
                     "    \"pdev_path\": \"/dev/vg/guest-volume\",\n"
                     "    \"vdev\": \"hda\",\n"
                     "    \"format\": \"raw\",\n"
                     "    \"readwrite\": 1\n"
                     "}\n\n");
}

TEST(BlockAttach, BadSpecFailsWithNoOutput)
{
    RunResult r = run_uxl({"-N", "block-attach", "0", "/srv/img,xvda,w"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("unknown value for format"), std::string::npos) << r.err;
}

TEST(BlockAttach, NeedsTwoArguments)
{
    RunResult r = run_uxl({"-N", "block-attach", "0"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "'uxl block-attach' requires at least 2 arguments.\n\n");
}

TEST(NetworkAttach, DryRunPrintsTheNic)
{
    RunResult r = run_uxl({"-N", "network-attach", "0", "mac=00:16:3e:00:00:01", "bridge=br0"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("vif: {\n", 0), 0u);
    EXPECT_NE(r.out.find("\"mac\": \"00:16:3e:00:00:01\""), std::string::npos);
    EXPECT_NE(r.out.find("\"bridge\": \"br0\""), std::string::npos);
    EXPECT_EQ(r.out.substr(r.out.size() - 3), "}\n\n");
}

TEST(NetworkAttach, UnknownTokenFails)
{
    RunResult r = run_uxl({"-N", "network-attach", "0", "colour=blue"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
}

TEST(NetworkAttach, BadMacFailsWithXlsMessage)
{
    RunResult r = run_uxl({"-N", "network-attach", "0", "mac=zz"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "Invalid parameter `mac'.\n");
}

TEST(NetworkAttach, BadRateFailsWithXlsMessage)
{
    RunResult r = run_uxl({"-N", "network-attach", "0", "rate=abc"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "command line: config parsing error in vif: invalid rate in `abc'\n");
}

TEST(BlockAttach, SpecWithoutTargetFails)
{
    RunResult r = run_uxl({"-N", "block-attach", "0", "vdev=xvdb"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "command line: config parsing error in disk specification: no target specified "
                     "(and device not removable) in `vdev=xvdb'\n");
}

// ---- Device commands without a daemon ----------------------------------------------
// A socket path where nothing listens, so the tests never reach a uxld that happens to run.
const std::vector<std::string> k_no_daemon = {"UXL_SOCKET=/nonexistent/uxl-cli-test/uxld.sock"};

void expect_no_daemon(const std::vector<std::string>& args)
{
    RunResult r = run_uxl(args, ".", k_no_daemon);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_EQ(r.out, "") << args[0];
    EXPECT_EQ(r.err.rfind("uxl: cannot reach uxld at /nonexistent/uxl-cli-test/uxld.sock "
                          "(No such file or directory); start it with \"uxld\"", 0),
              0u)
        << args[0] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args[0] << ": " << r.err;
}

TEST(DeviceCommands, WithoutADaemonSayOneSentenceAndFail)
{
    expect_no_daemon({"block-attach", "web", "/srv/x.img,raw,xvdb,w"});
    expect_no_daemon({"block-list", "web"});
    expect_no_daemon({"block-detach", "web", "xvdb"});
    expect_no_daemon({"block-detach", "-f", "web", "xvdb"});
    expect_no_daemon({"network-attach", "web", "bridge=br0"});
    expect_no_daemon({"network-list", "web", "db"});
    expect_no_daemon({"network-detach", "web", "0"});
    expect_no_daemon({"pci-list", "web"});
}

TEST(DeviceCommands, DryRunAttachNeedsNoDaemon)
{
    RunResult r = run_uxl({"-N", "block-attach", "web", "/srv/x.img,raw,xvdb,w"}, ".", k_no_daemon);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("disk: {\n", 0), 0u) << r.out;
    r = run_uxl({"-N", "network-attach", "web", "bridge=br0"}, ".", k_no_daemon);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("vif: {\n", 0), 0u) << r.out;
}

TEST(DeviceCommands, ListsAndDetachesHaveNoDryRun)
{
    for (const char* command : {"block-list", "block-detach", "network-list", "network-detach", "pci-list"}) {
        RunResult r = run_uxl({"-N", command, "web", "0"}, ".", k_no_daemon);
        EXPECT_EQ(r.exit_code, 1) << command;
        EXPECT_EQ(r.err, "command does not implement -N (dryrun) option\n") << command;
    }
}

TEST(DeviceCommands, TooFewArgumentsAreUsageErrors)
{
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"block-attach", "web"}, "'uxl block-attach' requires at least 2 arguments.\n\n"},
        {{"block-list"}, "'uxl block-list' requires at least 1 argument.\n\n"},
        {{"block-detach", "web"}, "'uxl block-detach' requires at least 2 arguments.\n\n"},
        {{"block-detach", "-f", "web"}, "'uxl block-detach' requires at least 2 arguments.\n\n"},
        {{"network-attach"}, "'uxl network-attach' requires at least 1 argument.\n\n"},
        {{"network-list"}, "'uxl network-list' requires at least 1 argument.\n\n"},
        {{"network-detach", "web"}, "'uxl network-detach' requires at least 2 arguments.\n\n"},
        {{"pci-list"}, "'uxl pci-list' requires at least 1 argument.\n\n"},
    };
    for (const auto& [args, message] : cases) {
        RunResult r = run_uxl(args, ".", k_no_daemon);
        EXPECT_EQ(r.exit_code, 2) << args[0];
        EXPECT_EQ(r.err, message) << args[0];
        EXPECT_EQ(r.out.rfind("Usage: uxl [-vtT", 0), 0u) << args[0] << ": " << r.out;
    }
}

TEST(DeviceCommands, UnsupportedOptionIsAUsageError)
{
    RunResult r = run_uxl({"block-detach", "-x", "web", "xvdb"}, ".", k_no_daemon);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "option `x' not supported.\n");
    r = run_uxl({"network-detach", "-f", "web", "0"}, ".", k_no_daemon);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "option `f' not supported.\n");
}

TEST(DeviceCommands, HelpUsesXlsUsageLines)
{
    RunResult r = run_uxl({"help", "block-detach"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "Usage: uxl [-vtTf] block-detach [option] <Domain> <DevId>\n\n"
                     "Destroy a domain's virtual block device.\n\n"
                     "Options:\n\n"
                     "-f, --force        do not wait for the domain to release the device\n");
    r = run_uxl({"help", "network-list"});
    EXPECT_EQ(r.out, "Usage: uxl [-vtT] network-list <Domain(s)>\n\n"
                     "List virtual network interfaces for a domain.\n\n");
    r = run_uxl({"help", "pci-list"});
    EXPECT_EQ(r.out, "Usage: uxl [-vtT] pci-list <Domain>\n\n"
                     "List pass-through pci devices for a domain.\n\n");
}

TEST(DeviceCommands, FullHelpListsThem)
{
    RunResult r = run_uxl({"help"});
    for (const char* line : {" network-list        List virtual network interfaces for a domain\n",
                             " network-detach      Destroy a domain's virtual network device\n",
                             " block-list          List virtual block devices for a domain\n",
                             " block-detach        Destroy a domain's virtual block device\n",
                             " pci-list            List pass-through pci devices for a domain\n"})
        EXPECT_NE(r.out.find(line), std::string::npos) << line;
}

TEST(Check, CleanFileExitsZero)
{
    TempDir dir;
    std::string cfg = dir.write("ok.cfg", "name = \"ok\"\nkernel = \"/usr/bin/linux\"\nmemory = 64\n");
    RunResult r = run_uxl({"check", cfg});
    EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST(Check, UnknownKeyIsReportedWithASuggestionAndACaret)
{
    TempDir dir;
    std::string cfg = dir.write("typo.cfg", "name = \"t\"\nkernel = \"/usr/bin/linux\"\nmemroy = 64\n");
    RunResult r = run_uxl({"check", cfg});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find(cfg + ":3:1: error: unknown key `memroy', did you mean `memory'?"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("    memroy = 64\n    ^~~~~~\n"), std::string::npos) << r.out;
}

TEST(Check, OverridesOnTheCommandLineAreNotDuplicates)
{
    TempDir dir;
    std::string cfg = dir.write("ok.cfg", "name = \"ok\"\nkernel = \"/usr/bin/linux\"\nmemory = 64\n");
    RunResult r = run_uxl({"check", cfg, "memory=128"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST(Check, QuietPrintsNothing)
{
    TempDir dir;
    std::string cfg = dir.write("typo.cfg", "memroy = 64\n");
    RunResult r = run_uxl({"check", "-q", cfg});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
}

// sched-credit's own checks come before the daemon is asked, as xl's do.
TEST(SchedCredit, OptionsThatNeedADomainOrSchedparamAreRefused)
{
    const std::vector<std::string> nowhere{"UXL_SOCKET=/nonexistent/uxld.sock"};
    RunResult r = run_uxl({"sched-credit", "-w", "300"}, ".", nowhere);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Must specify a domain.\n");
    r = run_uxl({"sched-credit", "-t", "10"}, ".", nowhere);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Must specify schedparam to set schedule parameter values.\n");
    r = run_uxl({"sched-credit", "-s", "-d", "g"}, ".", nowhere);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Specifying a cpupool or schedparam is not allowed with domain options.\n");
    r = run_uxl({"sched-credit", "-p", "Pool-9"}, ".", nowhere);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "unknown cpupool 'Pool-9'\n");
    r = run_uxl({"sched-credit", "-s"}, ".", nowhere);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "Cpupool Pool-0: tslice=30ms ratelimit=1000us migration-delay=0us\n");
}

TEST(VcpuPin, TooFewArgumentsIsXlsUsageError)
{
    RunResult r = run_uxl({"vcpu-pin", "g", "0"}, ".", {"UXL_SOCKET=/nonexistent/uxld.sock"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("'uxl vcpu-pin' requires at least 3 arguments.\n\n", 0), 0u) << r.err;
}

// libvirt XML: uxl runs the helper uxl-xml (the build tree's, as run from there), which
// libxml2 is kept in; the static uxl itself never links it.
constexpr const char* k_guest_xml = R"(<domain type='xen'>
  <name>cli-xml</name>
  <memory unit='KiB'>262144</memory>
  <os><type>linux</type><kernel>/boot/vmlinuz</kernel></os>
  <devices>
    <memballoon model='xen'/>
  </devices>
</domain>
)";

TEST(Xml, DomxmlToNativeRunsTheBuildTreesHelper)
{
    TempDir dir;
    const std::string xml = dir.write("guest.xml", k_guest_xml);
    RunResult r = run_uxl({"domxml-to-native", "xen-xl", xml});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("name = \"cli-xml\"\n"), std::string::npos) << r.out;
}

TEST(Xml, DomxmlFromNativeGivesXml)
{
    TempDir dir;
    const std::string cfg = dir.write("guest.cfg", "name = \"cli-cfg\"\nmemory = 256\nkernel = \"/boot/vmlinuz\"\n");
    RunResult r = run_uxl({"domxml-from-native", "xen-xl", cfg});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("<name>cli-cfg</name>"), std::string::npos) << r.out;
}

TEST(Xml, BadFormatAndMissingFileFailWithVirshsWords)
{
    TempDir dir;
    const std::string xml = dir.write("guest.xml", k_guest_xml);
    RunResult r = run_uxl({"domxml-to-native", "xen-foo", xml});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "error: unsupported config type xen-foo (expected xen-xl or xen-xm)\n");
    r = run_uxl({"domxml-to-native", "xen-xl", dir.path() + "/none.xml"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "error: Failed to open file '" + dir.path() + "/none.xml': No such file or directory\n");
    EXPECT_EQ(r.out, "");
}

TEST(Xml, CreateFromXmlNamesTheXmlsLines)
{
    TempDir dir;
    const std::string xml = dir.write("guest.xml", k_guest_xml);
    RunResult r = run_uxl({"create", "-n", xml});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"name\": \"cli-xml\""), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("warning: " + xml + ":6: /domain/devices/memballoon"), std::string::npos) << r.err;

    // Refused by the helper (the XML's own error), then by uxl's config reader.
    const std::string os = "  <os><type>linux</type><kernel>/boot/vmlinuz</kernel></os>\n";
    const std::string bad = dir.write("bad.xml", "<domain type='xen'>\n  <name>x</name>\n  <memory unit='KiB'>-5</memory>\n" + os + "</domain>\n");
    r = run_uxl({"create", "-n", bad});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("\n" + bad + ":3: /domain/memory"), std::string::npos) << r.err;
    const std::string many = dir.write("many.xml", "<domain type='xen'>\n  <name>x</name>\n\n  <memory unit='KiB'>262144</memory>\n" + os + "  <vcpu>100000</vcpu>\n</domain>\n");
    r = run_uxl({"create", "-n", many});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("\n" + many + ":6: vcpus = 100000 is more than uxl supports"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
}

TEST(Xml, AMissingHelperIsOneLine)
{
    TempDir dir;
    const std::string xml = dir.write("guest.xml", k_guest_xml);
    RunResult r = run_uxl({"domxml-to-native", "xen-xl", xml}, ".", {"UXL_XML_HELPER=/nonexistent/uxl-xml"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "error: cannot run uxl's XML helper /nonexistent/uxl-xml: No such file or directory\n");
    r = run_uxl({"create", "-n", xml}, ".", {"UXL_XML_HELPER=/nonexistent/uxl-xml"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("error: cannot run uxl's XML helper /nonexistent/uxl-xml: No such file or directory\n"),
              std::string::npos) << r.err;
}

}  // namespace
}  // namespace uxl::test
