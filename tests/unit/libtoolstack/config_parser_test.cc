// The config language: lexer, grammar, setting store and error texts, against xl's
// behaviour (reference/xl-compat.md §1).
#include "uxl/config_file.h"

#include <gtest/gtest.h>

namespace uxl {
namespace {

ParseOutcome parse(std::string_view text)
{
    return parse_config(text, "e.cfg");
}

const ConfigValue& value_of(const ParseOutcome& p, std::string_view key)
{
    const Setting* s = p.config.find(key);
    EXPECT_NE(s, nullptr) << key;
    static const ConfigValue none;
    return s ? s->value : none;
}

TEST(ConfigParser, ParsesStringsNumbersAndLists)
{
    auto p = parse("name = \"h0\"\nmemory = 512\nvif = [ 'mac=aa:00:00:50:02:f0, bridge=bridge0' ]\n");
    ASSERT_TRUE(p.ok()) << p.diagnostics.xl_report();
    EXPECT_EQ(value_of(p, "name").text, "h0");
    EXPECT_EQ(value_of(p, "memory").text, "512");
    EXPECT_TRUE(value_of(p, "memory").is_number);
    ASSERT_TRUE(value_of(p, "vif").is_list());
    EXPECT_EQ(value_of(p, "vif").items.at(0).text, "mac=aa:00:00:50:02:f0, bridge=bridge0");
}

TEST(ConfigParser, KeepsNumbersAsText)
{
    auto p = parse("a = 0x10\nb = 010\nc = 1e3\n");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(value_of(p, "a").text, "0x10");
    EXPECT_EQ(value_of(p, "b").text, "010");
    EXPECT_EQ(value_of(p, "c").text, "1e3");
}

TEST(ConfigParser, AcceptsSemicolonsEmptyStatementsAndNoFinalNewline)
{
    auto p = parse("name=\"h0\"; type=\"hvm\";;\nvcpus = 2");
    ASSERT_TRUE(p.ok()) << p.diagnostics.xl_report();
    EXPECT_EQ(value_of(p, "type").text, "hvm");
    EXPECT_EQ(value_of(p, "vcpus").text, "2");
}

TEST(ConfigParser, AcceptsNestedListsTrailingCommasAndNewlinesInBrackets)
{
    auto p = parse("x = [\n  [\"1\",\"2\"],\n  \"a\",\n]\ny = []\n");
    ASSERT_TRUE(p.ok()) << p.diagnostics.xl_report();
    const auto& x = value_of(p, "x");
    ASSERT_EQ(x.items.size(), 2u);
    EXPECT_TRUE(x.items[0].is_list());
    EXPECT_EQ(x.items[0].items[1].text, "2");
    EXPECT_EQ(x.items[1].text, "a");
    EXPECT_TRUE(value_of(p, "y").items.empty());
}

TEST(ConfigParser, LastAssignmentWins)
{
    auto p = parse("memory = 128\nmemory = 256\n");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(value_of(p, "memory").text, "256");
}

TEST(ConfigParser, PlusEqualsConcatenatesStrings)
{
    auto p = parse("extra=\"a\"\nextra+=\" b\"\n");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(value_of(p, "extra").text, "a b");
    EXPECT_TRUE(p.config.find("extra")->addition);
}

TEST(ConfigParser, PlusEqualsAppendsLists)
{
    auto p = parse("disk = [ 'phy:/dev/wd0e,0x1,w' ]\ndisk += [ 'phy:/dev/vnd0d,6:cdrom,r' ]\n");
    ASSERT_TRUE(p.ok());
    const auto& disk = value_of(p, "disk");
    ASSERT_EQ(disk.items.size(), 2u);
    EXPECT_EQ(disk.items[0].text, "phy:/dev/wd0e,0x1,w");
    EXPECT_EQ(disk.items[1].text, "phy:/dev/vnd0d,6:cdrom,r");
}

TEST(ConfigParser, PlusEqualsWithoutEarlierSettingActsAsAssignment)
{
    auto p = parse("extra += \"x\"\n");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(value_of(p, "extra").text, "x");
}

TEST(ConfigParser, PlusEqualsMixingKindsIsAnError)
{
    auto p = parse("a = \"s\"\na += [ \"l\" ]\n");
    EXPECT_FALSE(p.ok());
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:2: config parsing error near `]': can't add [list] to \"string\" or vice versa\n");
}

TEST(ConfigParser, DequotesXlEscapes)
{
    auto p = parse(R"(a = "q\"s\'b\\n\n\t\a\b\f\r\v")" "\n");
    ASSERT_TRUE(p.ok()) << p.diagnostics.xl_report();
    EXPECT_EQ(value_of(p, "a").text, "q\"s'b\\n\n\t\a\b\f\r\v");
}

TEST(ConfigParser, AllowsALiteralTabInAString)
{
    auto p = parse("a = \"x\ty\"\n");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(value_of(p, "a").text, "x\ty");
}

TEST(ConfigParser, RejectsAnUnknownEscape)
{
    auto p = parse("a = \"\\q\"\n");
    EXPECT_FALSE(p.ok());
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:1: config parsing error near `\"\\q\"': invalid character after backlash in quoted string\n");
}

TEST(ConfigParser, RejectsNumericEscapes)
{
    auto hex = parse("a = \"\\x41\"\n");
    EXPECT_FALSE(hex.ok());
    EXPECT_NE(hex.diagnostics.xl_report().find("hexnumerical character escape"), std::string::npos);
    auto oct = parse("a = \"\\101z\"\n");
    EXPECT_FALSE(oct.ok());
    EXPECT_NE(oct.diagnostics.xl_report().find("octalnumerical character escape"), std::string::npos);
}

TEST(ConfigParser, CommentsEndAtNewline)
{
    auto p = parse("# a comment\nname = \"x\" # trailing\n#autorestart = True\n");
    ASSERT_TRUE(p.ok()) << p.diagnostics.xl_report();
    EXPECT_EQ(value_of(p, "name").text, "x");
    EXPECT_EQ(p.config.find("autorestart"), nullptr);
}

TEST(ConfigParser, ValueIsMissing)
{
    auto p = parse("a = foo\n");
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:1: config parsing error near `foo': syntax error, unexpected IDENT, expecting STRING or NUMBER or '['\n");
    EXPECT_FALSE(p.ok());
}

TEST(ConfigParser, ListIsNotClosed)
{
    auto p = parse("a = [ \"a\",\n  \"b\"\n  c ]\n");
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:3: config parsing error near `c': syntax error, unexpected IDENT, expecting ']'\n");
}

TEST(ConfigParser, TwoAssignmentsOnOneLine)
{
    auto p = parse("x = 1 y = 2\n");
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:1: config parsing error near `y': syntax error, unexpected IDENT, expecting $end\n");
}

TEST(ConfigParser, PythonImport)
{
    auto p = parse("import os\n");
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:1: config parsing error near `os': syntax error, unexpected IDENT, expecting += or '='\n");
}

TEST(ConfigParser, StatementStartingWithEquals)
{
    auto p = parse("= 3\n");
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:1: config parsing error near `=': syntax error, unexpected '=', expecting $end or IDENT or NEWLINE or ';'\n");
}

TEST(ConfigParser, UpperCaseKeyIsALexicalError)
{
    auto p = parse("Name = \"x\"\n");
    EXPECT_EQ(p.diagnostics.xl_report(), "e.cfg:1: config parsing error near `Name': lexical error\n");
}

TEST(ConfigParser, UnterminatedString)
{
    auto p = parse("a = \"unterminated\n");
    EXPECT_EQ(p.diagnostics.xl_report(), "e.cfg:1: config parsing error near `\"unterminated': lexical error\n");
}

TEST(ConfigParser, FinalCommentWithoutNewline)
{
    auto p = parse("a = 1\n# no newline");
    EXPECT_EQ(p.diagnostics.xl_report(), "e.cfg:2: config parsing error near `#': lexical error\n");
}

TEST(ConfigParser, CrlfFilesAreRejected)
{
    auto p = parse("a = 1\r\n");
    EXPECT_FALSE(p.ok());
    EXPECT_EQ(p.diagnostics.xl_report(), "e.cfg:1: config parsing error near `\r': lexical error\n");
}

TEST(ConfigParser, BareIdentifierReportsLineZeroLikeXl)
{
    auto p = parse("x\n");
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:0: config parsing error near <newline>: syntax error, unexpected NEWLINE, expecting += or '='\n");
}

TEST(ConfigParser, ValueMissingAtEndOfFile)
{
    auto p = parse("a = ");
    EXPECT_FALSE(p.ok());
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:1: config parsing error near `': syntax error, unexpected $end, expecting STRING or NUMBER or '['\n");
}

TEST(ConfigParser, PythonLookingFilesGetTheWarning)
{
    auto p = parse("memory = 1.5\n");
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:1: config parsing error near `.5': lexical error\n"
              "warning: Config file looks like it contains Python code.\n"
              "warning:  Arbitrary Python is no longer supported.\n"
              "warning:  See https://wiki.xen.org/wiki/PythonInXlConfig\n");
}

TEST(ConfigParser, NegativeNumberLooksLikePython)
{
    auto p = parse("memory = -1\n");
    EXPECT_FALSE(p.ok());
    EXPECT_NE(p.diagnostics.xl_report().find("looks like it contains Python"), std::string::npos);
}

TEST(ConfigParser, OtherBadCharactersDoNotLookLikePython)
{
    auto p = parse("a = $x\n");
    EXPECT_EQ(p.diagnostics.xl_report(), "e.cfg:1: config parsing error near `$x': lexical error\n");
}

TEST(ConfigParser, UpperCaseHexDigitIsALexicalError)
{
    auto p = parse("a = 0x1F\n");
    EXPECT_EQ(p.diagnostics.xl_report(), "e.cfg:1: config parsing error near `F': lexical error\n");
}

TEST(ConfigParser, RecoveryReportsLaterLines)
{
    auto p = parse("a = foo\nb = 1\nc = bar\n");
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:1: config parsing error near `foo': syntax error, unexpected IDENT, expecting STRING or NUMBER or '['\n"
              "e.cfg:3: config parsing error near `bar': syntax error, unexpected IDENT, expecting STRING or NUMBER or '['\n");
}

TEST(ConfigParser, OnlyTheFirstErrorOfALineIsReported)
{
    auto p = parse("A = $ = ]\n");
    EXPECT_EQ(p.diagnostics.xl_report(), "e.cfg:1: config parsing error near `A': lexical error\n");
}

TEST(ConfigParser, ErrorOnTheLineRightAfterAnErrorIsSuppressedLikeBison)
{
    // After recovery bison stays silent until three tokens have been shifted.
    auto p = parse("a = = 1\n= 3\nb = = 2\n");
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:1: config parsing error near `=': syntax error, unexpected '=', expecting STRING or NUMBER or '['\n"
              "e.cfg:3: config parsing error near `=': syntax error, unexpected '=', expecting STRING or NUMBER or '['\n");
}

TEST(ConfigParser, EmptyCommaListIsAnError)
{
    auto p = parse("a = [,]\n");
    EXPECT_EQ(p.diagnostics.xl_report(),
              "e.cfg:1: config parsing error near `,': syntax error, unexpected ',', expecting ']'\n");
}

TEST(ConfigParser, SettingLineIsWhereTheValueStarts)
{
    auto p = parse("\n\nvif = [\n 'a',\n 'b' ]\n");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p.config.find("vif")->line, 3);
    EXPECT_EQ(p.config.find("vif")->name_pos.column, 1);
}

TEST(ConfigParser, RecordsColumnsForCheck)
{
    auto p = parse("name = \"x\"\n  memroy = 5\n");
    ASSERT_TRUE(p.ok());
    const Setting* s = p.config.find("memroy");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->name_pos.line, 2);
    EXPECT_EQ(s->name_pos.column, 3);
    EXPECT_EQ(s->name_pos.length, 6);
    EXPECT_EQ(s->value.pos.column, 12);
}

TEST(ConfigParser, NeverCrashesOnArbitraryBytes)
{
    std::string junk;
    for (int i = 0; i < 4096; ++i)
        junk += static_cast<char>((i * 7919) % 256);
    auto p = parse(junk);
    EXPECT_FALSE(p.ok());
    auto q = parse(std::string("a = [[[[[[[[[[\n\0\"'", 18));
    EXPECT_FALSE(q.ok());
}

}  // namespace
}  // namespace uxl
