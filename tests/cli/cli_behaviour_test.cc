// The `uxl` binary's command-line contract: global options, command lookup, help, exit
// codes, config lookup and the -N device printers, run for real.
#include "run_uxl.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace uxl::test
