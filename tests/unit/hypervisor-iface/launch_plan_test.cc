// Golden tests of launch planning: each tests/golden/<backend>/<case>.cfg (and the shipped
// example, share/examples/example) is parsed and built with libtoolstack, then planned with
// fixed paths and domid 1 by the backend its `backend =` names. A plan is compared with
// <case>.args (one argv word per line); a refusal with <case>.err ("<errc>: <message>",
// then "context: <context>"). Regenerate with UXL_REGENERATE=1, then review the diff by hand.
//
// The QEMU backend is not in the registry yet (issue 11), so its cases are planned by a
// QemuBackend made here: for a TCG host, or a KVM one when the case's name starts with kvm-.
#include "qemu/qemu_backend.h"

#include "uxl/backend.h"
#include "uxl/config_file.h"
#include "uxl/config_reader.h"
#include "uxl/domain_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace uxl {
namespace {

constexpr int k_domid = 1;

DomainPaths fixed_paths()
{
    DomainPaths paths;
    paths.run_dir = "/run/uxl/1";
    paths.memory_dir = "/run/uxl/mem";
    return paths;
}

struct GoldenCase {
    std::string name;      // test name: <backend>_<case>, with '-' as '_'
    std::string backend;   // the folder under tests/golden
    fs::path config;       // the .cfg file
    fs::path golden_stem;  // tests/golden/<backend>/<case>, without extension
};

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const GoldenCase& c, std::ostream* out)
{
    *out << c.config.string();
}

std::string read_text(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text(const fs::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

std::string test_name(std::string text)
{
    std::replace_if(
        text.begin(), text.end(),
        [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return text;
}

std::vector<GoldenCase> collect_cases()
{
    const fs::path source = UXL_SOURCE_DIR;
    std::vector<GoldenCase> cases;
    for (std::string backend : {"uml", "vkernel", "qemu"}) {
        const fs::path dir = source / "tests/golden" / backend;
        if (!fs::is_directory(dir))
            continue;
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (entry.path().extension() != ".cfg")
                continue;
            const std::string stem = entry.path().stem().string();
            cases.push_back({test_name(backend + "_" + stem), backend, entry.path(), dir / stem});
        }
    }
    // The example the README boots must keep planning as reviewed.
    cases.push_back({"uml_shipped_example", "uml", source / "share/examples/example",
                     source / "tests/golden/uml/shipped-example"});
    std::sort(cases.begin(), cases.end(),
              [](const GoldenCase& a, const GoldenCase& b) { return a.name < b.name; });
    return cases;
}

std::string render_error(const Error& error)
{
    std::string text = std::string(to_string(error.code)) + ": " + error.message + "\n";
    if (!error.context.empty())
        text += "context: " + error.context + "\n";
    return text;
}

std::string render_argv(const LaunchPlan& plan)
{
    std::string text;
    for (const std::string& word : plan.argv)
        text += word + "\n";
    return text;
}

Result<std::unique_ptr<Backend>> backend_for(const GoldenCase& c, BackendKind kind)
{
    if (kind != BackendKind::qemu)
        return make_backend(kind);
    QemuHost host;
    // rtc_timeoffset's RTC start is the time now plus the offset: "now" is fixed here
    // (2023-11-14T22:13:20Z) so that the plan stays the same.
    host.clock = [] { return std::int64_t{1700000000}; };
    if (c.golden_stem.filename().string().starts_with("kvm-"))
        host.accelerator = QemuHost::Accelerator::kvm;
    return std::make_unique<QemuBackend>(host);
}

class LaunchPlanGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(LaunchPlanGolden, MatchesReviewedPlan)
{
    const GoldenCase& c = GetParam();
    const std::string file_name = c.config.filename().string();
    ParseOutcome parsed = parse_config(read_text(c.config), file_name);
    ASSERT_TRUE(parsed.ok()) << parsed.diagnostics.xl_report();
    Diagnostics diagnostics;
    ConfigReader reader(parsed.config, diagnostics);
    BuildOptions options;
    options.config_path = file_name;
    options.host_cpus = 4;
    Result<DomainSpec> spec = build_domain_spec(reader, options);
    ASSERT_TRUE(spec.has_value()) << spec.error().message;

    auto backend = backend_for(c, spec->backend);
    ASSERT_TRUE(backend.has_value()) << backend.error().message;
    EXPECT_EQ((*backend)->name(), c.backend) << "the config's backend = does not match its folder";

    Result<LaunchPlan> plan = (*backend)->plan_launch(*spec, fixed_paths(), k_domid);
    // validate() alone must agree with planning (the fixed paths are always acceptable).
    Result<void> valid = (*backend)->validate(*spec);
    EXPECT_EQ(valid.has_value(), plan.has_value());
    if (!valid && !plan) {
        EXPECT_EQ(render_error(valid.error()), render_error(plan.error()));
    }

    const fs::path args_file = fs::path(c.golden_stem).concat(".args");
    const fs::path err_file = fs::path(c.golden_stem).concat(".err");
    const fs::path& expected_file = plan ? args_file : err_file;
    const fs::path& other_file = plan ? err_file : args_file;
    const std::string actual = plan ? render_argv(*plan) : render_error(plan.error());

    if (std::getenv("UXL_REGENERATE") != nullptr) {
        write_text(expected_file, actual);
        fs::remove(other_file);
        return;
    }
    EXPECT_FALSE(fs::exists(other_file))
        << other_file << " exists, but the case now " << (plan ? "plans" : "is refused");
    ASSERT_TRUE(fs::exists(expected_file)) << expected_file << " is missing; got:\n" << actual;
    EXPECT_EQ(actual, read_text(expected_file));
}

INSTANTIATE_TEST_SUITE_P(Cases, LaunchPlanGolden, ::testing::ValuesIn(collect_cases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& info) {
                             return info.param.name;
                         });

}  // namespace
}  // namespace uxl
