// `uxl check`'s report: every problem in a config, located to line and column.
#include "uxl/config_check.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace uxl {
namespace {

// A config that is clean by itself, to which each test adds the line it is about.
constexpr std::string_view k_base = "name = \"t\"\nkernel = \"/usr/bin/linux\"\n";

CheckReport check(std::string_view text)
{
    CheckOptions options;
    options.config_path = "t.cfg";
    options.host_cpus = 4;
    return check_config(text, "t.cfg", options);
}

CheckReport check_with_base(std::string_view extra)
{
    return check(std::string(k_base) + std::string(extra));
}

const std::vector<Diagnostic>& items(const CheckReport& report)
{
    return report.diagnostics.items();
}

std::string all_messages(const CheckReport& report)
{
    std::string out;
    for (const Diagnostic& d : items(report))
        out += d.message + "\n";
    return out;
}

TEST(ConfigCheck, CleanFileIsClean)
{
    CheckReport report = check_with_base("memory = 64\nvcpus = 2\n");
    EXPECT_TRUE(report.clean()) << report.render("");
    EXPECT_EQ(report.render(""), "");
}

TEST(ConfigCheck, UnknownKeyIsAnErrorAtTheKeyWithASuggestion)
{
    CheckReport report = check_with_base("memroy = 64\n");
    ASSERT_EQ(items(report).size(), 1u) << all_messages(report);
    const Diagnostic& d = items(report)[0];
    EXPECT_EQ(d.severity, Severity::error);
    EXPECT_EQ(d.message, "unknown key `memroy', did you mean `memory'?");
    EXPECT_EQ(d.pos.line, 3);
    EXPECT_EQ(d.pos.column, 1);
    EXPECT_EQ(d.pos.length, 6);
}

TEST(ConfigCheck, UnknownKeyFarFromAnyKeyHasNoSuggestion)
{
    CheckReport report = check_with_base("zzzzzz = 1\n");
    ASSERT_EQ(items(report).size(), 1u) << all_messages(report);
    EXPECT_EQ(items(report)[0].message, "unknown key `zzzzzz'; xl ignores it");
}

TEST(ConfigCheck, RendersLocationSourceLineAndCaretUnderTheKey)
{
    const std::string text = std::string(k_base) + "memroy = 64\n";
    EXPECT_EQ(check(text).render(text),
              "t.cfg:3:1: error: unknown key `memroy', did you mean `memory'?\n"
              "    memroy = 64\n"
              "    ^~~~~~\n"
              "1 error, 0 warnings\n");
}

TEST(ConfigCheck, RendersASyntaxErrorWithItsColumn)
{
    const std::string text = std::string(k_base) + "memory = = 3\n";
    std::string out = check(text).render(text);
    EXPECT_NE(out.find("t.cfg:3:10: error: syntax error, unexpected '='"), std::string::npos) << out;
    EXPECT_NE(out.find("    memory = = 3\n             ^\n"), std::string::npos) << out;
}

TEST(ConfigCheck, ReportsEverySyntaxErrorNotOnlyTheFirst)
{
    CheckReport report = check_with_base("memory = = 3\nvcpus = 2 3\n");
    ASSERT_EQ(items(report).size(), 2u) << all_messages(report);
    EXPECT_EQ(items(report)[0].pos.line, 3);
    EXPECT_EQ(items(report)[1].pos.line, 4);
}

TEST(ConfigCheck, ChecksKeysEvenWhenTheFileDoesNotParse)
{
    CheckReport report = check_with_base("memory = = 3\nmemroy = 64\n");
    EXPECT_NE(all_messages(report).find("unknown key `memroy'"), std::string::npos)
        << all_messages(report);
}

TEST(ConfigCheck, ReportsAMalformedNumberAtTheValue)
{
    CheckReport report = check_with_base("memory = \"512M\"\n");
    ASSERT_EQ(items(report).size(), 1u) << all_messages(report);
    const Diagnostic& d = items(report)[0];
    EXPECT_EQ(d.severity, Severity::warning);  // xl only warns and uses the default
    EXPECT_NE(d.message.find("not a valid number"), std::string::npos) << d.message;
    EXPECT_EQ(d.pos.line, 3);
    EXPECT_EQ(d.pos.column, 10);
    EXPECT_FALSE(report.clean());
}

TEST(ConfigCheck, ReportsXlsFatalErrorAtTheValueItNames)
{
    CheckReport report = check_with_base("on_poweroff = \"explode\"\n");
    ASSERT_EQ(items(report).size(), 1u) << all_messages(report);
    const Diagnostic& d = items(report)[0];
    EXPECT_EQ(d.severity, Severity::error);
    EXPECT_EQ(d.message, "Unknown on_poweroff action \"explode\" specified");
    EXPECT_EQ(d.pos.line, 3);
    EXPECT_EQ(d.pos.column, 15);
}

TEST(ConfigCheck, ReportsAnXmKeyAsAWarningSayingWhatUxlDoes)
{
    CheckReport report = check_with_base("restart = 'always'\n");
    ASSERT_EQ(items(report).size(), 1u) << all_messages(report);
    const Diagnostic& d = items(report)[0];
    EXPECT_EQ(d.severity, Severity::warning);
    EXPECT_EQ(d.message.rfind("xm-era key `restart' is not read by xl; uxl ignores it too", 0), 0u)
        << d.message;
    EXPECT_EQ(d.pos.column, 1);
}

TEST(ConfigCheck, ReportsNicsOnceWithWhatTheBuilderDidWithIt)
{
    CheckReport report = check_with_base("nics = 1\n");
    ASSERT_EQ(items(report).size(), 1u) << all_messages(report);
    EXPECT_NE(items(report)[0].message.find("nics"), std::string::npos);
}

TEST(ConfigCheck, ReportsAnXlConfSettingInADomainConfig)
{
    CheckReport report = check_with_base("autoballoon = 0\n");
    ASSERT_EQ(items(report).size(), 1u) << all_messages(report);
    EXPECT_EQ(items(report)[0].severity, Severity::warning);
    EXPECT_NE(items(report)[0].message.find("xl.conf"), std::string::npos);
}

TEST(ConfigCheck, ReportsAKeySetTwiceAtTheSecondWithTheLineOfTheFirst)
{
    CheckReport report = check_with_base("memory = 64\nmemory = 128\n");
    ASSERT_EQ(items(report).size(), 1u) << all_messages(report);
    const Diagnostic& d = items(report)[0];
    EXPECT_EQ(d.severity, Severity::warning);
    EXPECT_EQ(d.message, "`memory' is set again here; the earlier value on line 3 is ignored");
    EXPECT_EQ(d.pos.line, 4);
    EXPECT_EQ(d.pos.column, 1);
}

TEST(ConfigCheck, AdditionIsNotADuplicate)
{
    CheckReport report = check_with_base("extra = \"a\"\nextra += \" b\"\n");
    EXPECT_TRUE(report.clean()) << all_messages(report);
}

TEST(ConfigCheck, OrdersDiagnosticsByLineThenColumn)
{
    // The builder's warning (line 4) is found before the unknown key (line 3).
    CheckReport report = check_with_base("zzzzzz = 1\nmemory = \"x\"\n");
    ASSERT_EQ(items(report).size(), 2u) << all_messages(report);
    EXPECT_EQ(items(report)[0].pos.line, 3);
    EXPECT_EQ(items(report)[1].pos.line, 4);
}

TEST(ConfigCheck, SaysOnceThatAFileLooksLikePython)
{
    CheckReport report = check_with_base("memory = 1.5\n");
    size_t whole_file = 0;
    for (const Diagnostic& d : items(report))
        whole_file += d.pos.line == 0 ? 1 : 0;
    EXPECT_EQ(whole_file, 1u) << all_messages(report);
    EXPECT_EQ(items(report).back().pos.line, 0);  // after the located ones
}

}  // namespace
}  // namespace uxl
