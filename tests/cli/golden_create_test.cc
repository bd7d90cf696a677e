// Golden tests for `uxl create -n`: each config in tests/golden/create/ and each example
// in share/examples/ is run through the real binary, and its exit status, stdout and stderr
// are compared with a reviewed .out file. Regenerate with UXL_REGENERATE=1, then review the
// diff by hand.
//
// A config that does not set `uuid' gets a random one; its line is replaced by a marker.
#include "run_uxl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace uxl::test {
namespace {

struct GoldenCase {
    std::string name;
    fs::path dir;       // where uxl runs, and where the config is
    std::string config; // file name inside dir
    fs::path expected;  // the .out file
};

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const GoldenCase& c, std::ostream* os)
{
    *os << c.name;
}

std::string normalize(std::string text, bool config_sets_uuid)
{
    if (!config_sets_uuid) {
        static const std::regex uuid(R"re("uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")re");
        text = std::regex_replace(text, uuid, "\"uuid\": \"<random>\"");
    }
    return text;
}

std::vector<GoldenCase> collect_cases()
{
    std::vector<GoldenCase> cases;
    const fs::path source = UXL_SOURCE_DIR;
    for (const auto& entry : fs::directory_iterator(source / "tests/golden/create")) {
        if (entry.path().extension() != ".cfg")
            continue;
        GoldenCase c;
        c.name = entry.path().stem().string();
        c.dir = entry.path().parent_path();
        c.config = entry.path().filename().string();
        c.expected = entry.path().parent_path() / (c.name + ".out");
        cases.push_back(c);
    }
    for (const auto& entry : fs::directory_iterator(source / "share/examples")) {
        const std::string file = entry.path().filename().string();
        if (!entry.is_regular_file() || entry.path().has_extension() || file == "README")
            continue;
        GoldenCase c;
        c.name = "example-" + file;
        c.dir = entry.path().parent_path();
        c.config = file;
        c.expected = source / "tests/golden/examples" / (file + ".out");
        cases.push_back(c);
    }
    std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return cases;
}

class GoldenCreate : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenCreate, MatchesReviewedOutput)
{
    const GoldenCase& c = GetParam();
    std::vector<std::string> args{"create", "-n", c.config};
    const fs::path args_file = c.dir / (fs::path(c.config).stem().string() + ".args");
    if (fs::exists(args_file)) {
        std::istringstream words(read_file(args_file.string()));
        for (std::string w; std::getline(words, w);)
            if (!w.empty())
                args.push_back(w);
    }
    RunResult r = run_uxl(args, c.dir.string(), {"UXL_CONFIG_PATH=."});
    const bool sets_uuid = read_file((c.dir / c.config).string()).find("uuid") != std::string::npos;
    const std::string actual = normalize("exit: " + std::to_string(r.exit_code) + "\n--- stdout\n" +
                                             r.out + "--- stderr\n" + r.err,
                                         sets_uuid);
    if (std::getenv("UXL_REGENERATE")) {
        fs::create_directories(c.expected.parent_path());
        write_file(c.expected.string(), actual);
        GTEST_SKIP() << "regenerated " << c.expected;
    }
    ASSERT_TRUE(fs::exists(c.expected)) << "no golden file " << c.expected
                                        << "; run with UXL_REGENERATE=1 and review it";
    EXPECT_EQ(actual, read_file(c.expected.string())) << "case " << c.name;
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenCreate, ::testing::ValuesIn(collect_cases()),
                         [](const auto& info) {
                             std::string n = info.param.name;
                             for (char& ch : n)
                                 if (!std::isalnum(static_cast<unsigned char>(ch)))
                                     ch = '_';
                             return n;
                         });

}  // namespace
}  // namespace uxl::test
