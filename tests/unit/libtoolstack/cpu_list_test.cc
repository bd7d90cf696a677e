// CPULIST parsing against xl's parse_cpurange() (tools/xl/xl_parse.c).
#include "uxl/cpu_list.h"

#include <gtest/gtest.h>

namespace uxl {
namespace {

HostCpuTopology host(int cpus, std::vector<int> nodes = {})
{
    return HostCpuTopology{cpus, std::move(nodes)};
}

std::vector<int> parse_ok(std::string_view text, const HostCpuTopology& topology = host(8))
{
    auto cpus = parse_cpu_list(text, topology);
    EXPECT_TRUE(cpus.has_value()) << text << ": " << (cpus ? "" : cpus.error().message);
    return cpus ? *cpus : std::vector<int>{};
}

std::string parse_error(std::string_view text, const HostCpuTopology& topology = host(8))
{
    auto cpus = parse_cpu_list(text, topology);
    EXPECT_FALSE(cpus.has_value()) << text;
    return cpus ? std::string() : cpus.error().message;
}

TEST(CpuList, BitmapHasWholeBytes)
{
    EXPECT_EQ(cpu_bitmap_bits(1), 8);
    EXPECT_EQ(cpu_bitmap_bits(8), 8);
    EXPECT_EQ(cpu_bitmap_bits(9), 16);
}

TEST(CpuList, ReadsOneCpu)
{
    EXPECT_EQ(parse_ok("3"), (std::vector<int>{3}));
}

TEST(CpuList, ReadsARange)
{
    EXPECT_EQ(parse_ok("2-5"), (std::vector<int>{2, 3, 4, 5}));
}

TEST(CpuList, JoinsCommaSeparatedItems)
{
    EXPECT_EQ(parse_ok("0,2-3,6"), (std::vector<int>{0, 2, 3, 6}));
}

TEST(CpuList, CaretRemovesFromWhatCameBefore)
{
    EXPECT_EQ(parse_ok("0-7,^3"), (std::vector<int>{0, 1, 2, 4, 5, 6, 7}));
}

TEST(CpuList, AllSetsTheWholeBitmapEvenPastTheHostsCpus)
{
    EXPECT_EQ(parse_ok("all", host(2)), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(CpuList, CaretAllIsRefusedWithXlsMessage)
{
    EXPECT_EQ(parse_error("^all"), "Can't combine \"^\" and \"all\".");
}

TEST(CpuList, ReversedRangeIsRefusedWithXlsMessage)
{
    EXPECT_EQ(parse_error("3-1"), "Invalid pcpu range: 3-1.");
}

TEST(CpuList, TrailingTextIsRefused)
{
    EXPECT_EQ(parse_error("1 "), "Invalid pcpu range: 1 .");
}

TEST(CpuList, RangeWithoutEndIsRefused)
{
    EXPECT_EQ(parse_error("1-"), "Invalid pcpu range: 1-.");
}

TEST(CpuList, MinusOneIsRefusedAsUlongMax)
{
    EXPECT_EQ(parse_error("-1"), "Invalid pcpu range: -1.");
}

TEST(CpuList, ErrorNamesTheItemWithoutItsPrefixes)
{
    EXPECT_EQ(parse_error("^node:x"), "Invalid pcpu range: x.");
}

TEST(CpuList, LeadingBlanksAreAcceptedAsStrtoulDoes)
{
    EXPECT_EQ(parse_ok(" 2"), (std::vector<int>{2}));
}

TEST(CpuList, EmptyItemsAreSkipped)
{
    EXPECT_EQ(parse_ok(",1,,2,"), (std::vector<int>{1, 2}));
}

TEST(CpuList, EmptyTextIsAnEmptySet)
{
    EXPECT_TRUE(parse_ok("").empty());
}

TEST(CpuList, CpusPastTheBitmapAreDroppedSilently)
{
    EXPECT_EQ(parse_ok("6-9", host(4)), (std::vector<int>{6, 7}));
}

TEST(CpuList, NodeSelectsTheCpusOfThatNode)
{
    EXPECT_EQ(parse_ok("node:1", host(4, {0, 0, 1, 1})), (std::vector<int>{2, 3}));
}

TEST(CpuList, NodesTakesARangeOfNodes)
{
    EXPECT_EQ(parse_ok("nodes:1-2", host(6, {0, 0, 1, 1, 2, 2})),
              (std::vector<int>{2, 3, 4, 5}));
}

TEST(CpuList, CaretNodeRemovesANode)
{
    EXPECT_EQ(parse_ok("all,^node:0", host(4, {0, 0, 1, 1})),
              (std::vector<int>{2, 3, 4, 5, 6, 7}));
}

TEST(CpuList, WithoutTopologyEveryCpuIsOnNodeZero)
{
    EXPECT_EQ(parse_ok("node:0", host(3)), (std::vector<int>{0, 1, 2}));
}

}  // namespace
}  // namespace uxl

// xl's print_bitmap(), as vcpu-list's affinity columns show a set on a 4-CPU host.
TEST(CpuBitmap, PrintsRangesAllAndNoneAsXlDoes)
{
    EXPECT_EQ(uxl::format_cpu_bitmap({0, 1, 2, 3}, 4), "all");
    EXPECT_EQ(uxl::format_cpu_bitmap({0, 1, 2, 3, 4, 5, 6, 7}, 4), "all");
    EXPECT_EQ(uxl::format_cpu_bitmap({1}, 4), "1");
    EXPECT_EQ(uxl::format_cpu_bitmap({0, 1, 3}, 4), "0-1,3");
    EXPECT_EQ(uxl::format_cpu_bitmap({1, 2, 3}, 4), "1-3");
    EXPECT_EQ(uxl::format_cpu_bitmap({0, 1, 2}, 4), "0-2");
    EXPECT_EQ(uxl::format_cpu_bitmap({}, 4), "none");
    EXPECT_EQ(uxl::format_cpu_bitmap({5}, 4), "none");
}
