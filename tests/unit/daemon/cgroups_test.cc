// The guests' cgroups (daemon/uxld/cgroups.h): xl's weight and cap in the cgroup files'
// terms, the mount table read, and the files written into fake v1 and v2 trees in a
// temporary directory (plain files stand in for the kernel's).
#include "cgroups.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace uxl::daemon;
namespace fs = std::filesystem;

struct TempDir {
    TempDir()
    {
        char pattern[] = "/tmp/uxl-cg-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string path;
};

std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void spit(const std::string& path, const std::string& text)
{
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
}

constexpr std::uint64_t k_mib = 1024 * 1024;

// ---- The arithmetic -----------------------------------------------------------------

TEST(CgroupArithmetic, XlsDefaultWeightIsTheCgroupDefault)
{
    EXPECT_EQ(cpu_weight_v2(256), 100u);
    EXPECT_EQ(cpu_shares_v1(256), 1024u);
}

TEST(CgroupArithmetic, WeightScalesLinearlyAndIsClamped)
{
    EXPECT_EQ(cpu_weight_v2(512), 200u);
    EXPECT_EQ(cpu_weight_v2(128), 50u);
    EXPECT_EQ(cpu_weight_v2(1), 1u);          // 0.39 rounds down to 0, clamped to 1
    EXPECT_EQ(cpu_weight_v2(65535), 10000u);  // 25599 clamped to v2's most
    EXPECT_EQ(cpu_shares_v1(512), 2048u);
    EXPECT_EQ(cpu_shares_v1(1), 4u);
    EXPECT_EQ(cpu_shares_v1(65535), 262140u);
    EXPECT_EQ(cpu_shares_v1(0), 2u);
}

TEST(CgroupArithmetic, CapIsAQuotaOfThePeriod)
{
    EXPECT_EQ(cpu_max_v2(0), "max 100000");
    EXPECT_EQ(cpu_max_v2(20), "20000 100000");
    EXPECT_EQ(cpu_max_v2(150), "150000 100000");  // one and a half CPUs
    EXPECT_EQ(cfs_quota_v1(0), -1);
    EXPECT_EQ(cfs_quota_v1(20), 20000);
    EXPECT_EQ(cfs_quota_v1(-5), -1);
}

TEST(CgroupArithmetic, MemoryOverheadDependsOnTheBackend)
{
    EXPECT_EQ(memory_overhead_bytes(uxl::BackendKind::uml), 64 * k_mib);
    EXPECT_EQ(memory_overhead_bytes(uxl::BackendKind::qemu), 256 * k_mib);
}

TEST(CgroupArithmetic, CpuListsInTheKernelsFormat)
{
    EXPECT_EQ(cpu_list_text({}), "");
    EXPECT_EQ(cpu_list_text({1}), "1");
    EXPECT_EQ(cpu_list_text({5, 0, 1, 2, 2}), "0-2,5");
    EXPECT_EQ(parse_kernel_cpu_list("0-2,5\n"), (std::vector<int>{0, 1, 2, 5}));
    EXPECT_EQ(parse_kernel_cpu_list("1\n"), (std::vector<int>{1}));
    EXPECT_EQ(parse_kernel_cpu_list("\n"), (std::vector<int>{}));
}

TEST(CgroupNames, SystemDaemonUsesUxlOthersTheirOwn)
{
    EXPECT_EQ(cgroup_parent_name(true, ""), "uxl");
    EXPECT_EQ(cgroup_parent_name(true, "/tmp/uxlit.Ab12"), "uxl-tmp-uxlit.Ab12");
    EXPECT_EQ(cgroup_parent_name(false, "user-1000"), "uxl-user-1000");
}

// ---- The mount table ----------------------------------------------------------------

TEST(CgroupMounts, V1ControllersBesideAnEmptyV2AreV1)
{
    TempDir dir;
    spit(dir.path + "/unified/cgroup.controllers", "hugetlb\n");
    const std::string mounts = "tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
                               "cgroup " + dir.path + "/cpu cgroup rw,relatime,cpu 0 0\n"
                               "cgroup " + dir.path + "/cpuacct cgroup rw,relatime,cpuacct 0 0\n"
                               "cgroup " + dir.path + "/cpuset cgroup rw,relatime,cpuset 0 0\n"
                               "cgroup " + dir.path + "/memory cgroup rw,relatime,memory 0 0\n"
                               "cgroup " + dir.path + "/devices cgroup rw,relatime,devices 0 0\n"
                               "cgroup " + dir.path + "/pids cgroup rw,relatime,pids 0 0\n"
                               "cgroup2 " + dir.path + "/unified cgroup2 rw,relatime 0 0\n";
    CgroupMounts found = find_cgroup_mounts(mounts);
    EXPECT_EQ(found.version, CgroupVersion::v1);
    EXPECT_EQ(found.v1.size(), 5u);
    EXPECT_EQ(found.v1["memory"], dir.path + "/memory");
    EXPECT_FALSE(found.v1.contains("devices"));
}

TEST(CgroupMounts, ComountedCpuAndCpuacctServeBoth)
{
    CgroupMounts found = find_cgroup_mounts("cgroup /c/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n");
    EXPECT_EQ(found.version, CgroupVersion::v1);
    EXPECT_EQ(found.v1["cpu"], "/c/cpu,cpuacct");
    EXPECT_EQ(found.v1["cpuacct"], "/c/cpu,cpuacct");
}

TEST(CgroupMounts, V2WithControllersWins)
{
    TempDir dir;
    spit(dir.path + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
    CgroupMounts found = find_cgroup_mounts("cgroup2 " + dir.path + " cgroup2 rw,nosuid 0 0\n");
    EXPECT_EQ(found.version, CgroupVersion::v2);
    EXPECT_EQ(found.v2_root, dir.path);
}

TEST(CgroupMounts, NothingUsableSaysWhy)
{
    CgroupMounts found = find_cgroup_mounts("proc /proc proc rw 0 0\n");
    EXPECT_EQ(found.version, CgroupVersion::none);
    EXPECT_NE(found.why_not.find("no cgroup hierarchy"), std::string::npos);
    Cgroups none = Cgroups::set_up(found, "uxl");
    EXPECT_FALSE(none.usable());
    EXPECT_NE(none.description().find("guests run without limits"), std::string::npos) << none.description();
    EXPECT_FALSE(none.create("1", {}));
}

// A hierarchy that is there but where nothing can be made (read-only, not root): no
// limits, and the reason, rather than a failure.
TEST(CgroupMounts, UnwritableHierarchyMeansNoLimitsAndSaysWhy)
{
    TempDir dir;
    CgroupMounts mounts;
    mounts.version = CgroupVersion::v1;
    mounts.v1["memory"] = dir.path + "/gone/memory";
    Cgroups cgroups = Cgroups::set_up(mounts, "uxl");
    EXPECT_FALSE(cgroups.usable());
    EXPECT_EQ(cgroups.description(), "none: guests run without limits (cannot create " + dir.path +
                                         "/gone/memory/uxl: No such file or directory)");
}

// ---- A fake v1 tree -------------------------------------------------------------------

struct FakeV1 {
    TempDir dir;
    CgroupMounts mounts;
    FakeV1()
    {
        mounts.version = CgroupVersion::v1;
        for (const char* controller : {"cpu", "cpuacct", "cpuset", "memory", "pids"}) {
            fs::create_directories(dir.path + "/" + controller);
            mounts.v1[controller] = dir.path + "/" + controller;
        }
        spit(dir.path + "/cpuset/cpuset.cpus", "0-3\n");
        spit(dir.path + "/cpuset/cpuset.mems", "0\n");
    }
    std::string file(const std::string& controller, const std::string& rest) const
    {
        return dir.path + "/" + controller + "/uxl-t/" + rest;
    }
};

TEST(CgroupsV1, ParentGetsTheRootsCpusetAndEveryController)
{
    FakeV1 fake;
    Cgroups cgroups = Cgroups::set_up(fake.mounts, "uxl-t");
    ASSERT_EQ(cgroups.version(), CgroupVersion::v1) << cgroups.description();
    EXPECT_EQ(slurp(fake.file("cpuset", "cpuset.cpus")), "0-3");
    EXPECT_EQ(slurp(fake.file("cpuset", "cpuset.mems")), "0");
    EXPECT_EQ(cgroups.description(), "cgroup v1 (cpu cpuacct cpuset memory pids), e.g. " + fake.dir.path + "/cpu/uxl-t");
}

TEST(CgroupsV1, LeafGetsMemoryWeightCapAndCpuset)
{
    FakeV1 fake;
    Cgroups cgroups = Cgroups::set_up(fake.mounts, "uxl-t");
    CgroupLimits limits;
    limits.memory_bytes = 128 * k_mib;
    limits.weight = 512;
    limits.cap = 20;
    limits.cpus = {1};
    ASSERT_TRUE(cgroups.create("7", limits));
    EXPECT_EQ(slurp(fake.file("memory", "7/memory.limit_in_bytes")), "134217728");
    EXPECT_EQ(slurp(fake.file("cpu", "7/cpu.shares")), "2048");
    EXPECT_EQ(slurp(fake.file("cpu", "7/cpu.cfs_period_us")), "100000");
    EXPECT_EQ(slurp(fake.file("cpu", "7/cpu.cfs_quota_us")), "20000");
    EXPECT_EQ(slurp(fake.file("cpuset", "7/cpuset.cpus")), "1");
    EXPECT_EQ(slurp(fake.file("cpuset", "7/cpuset.mems")), "0");
    EXPECT_EQ(cgroups.procs_files("7").size(), 5u);
    EXPECT_EQ(cgroups.cpuset("7"), (std::vector<int>{1}));

    // At run time: no cap, no pinning (v1 has no "inherit": the parent's CPUs).
    limits.cap = 0;
    limits.cpus.clear();
    ASSERT_TRUE(cgroups.apply("7", limits));
    EXPECT_EQ(slurp(fake.file("cpu", "7/cpu.cfs_quota_us")), "-1");
    EXPECT_EQ(slurp(fake.file("cpuset", "7/cpuset.cpus")), "0-3");
}

// uxl's parent exists only while guests do: set_up() tries it and takes it away again (a
// fake tree keeps the directories that hold files), create() makes it again.
TEST(CgroupsV1, ParentComesWithTheFirstLeafAndGoesWithTheLast)
{
    FakeV1 fake;
    Cgroups cgroups = Cgroups::set_up(fake.mounts, "uxl-t");
    ASSERT_TRUE(cgroups.usable());
    EXPECT_FALSE(fs::exists(fake.dir.path + "/memory/uxl-t"));
    ASSERT_TRUE(cgroups.create("7", {}));
    EXPECT_TRUE(fs::is_directory(fake.file("memory", "7")));
    ASSERT_TRUE(cgroups.remove("7"));
    cgroups.remove_parent();
    EXPECT_FALSE(fs::exists(fake.dir.path + "/memory/uxl-t"));
}

TEST(CgroupsV1, RemoveTakesEveryControllersDirectory)
{
    FakeV1 fake;
    Cgroups cgroups = Cgroups::set_up(fake.mounts, "uxl-t");
    ASSERT_TRUE(cgroups.create("7", {}));
    ASSERT_TRUE(cgroups.exists("7"));
    ASSERT_TRUE(cgroups.remove("7"));
    for (const char* controller : {"cpu", "cpuacct", "cpuset", "memory", "pids"})
        EXPECT_FALSE(fs::exists(fake.file(controller, "7"))) << controller;
    EXPECT_FALSE(cgroups.exists("7"));
    EXPECT_FALSE(cgroups.apply("7", {}));
}

// ---- A fake v2 tree -------------------------------------------------------------------

struct FakeV2 {
    TempDir dir;
    CgroupMounts mounts;
    FakeV2()
    {
        mounts.version = CgroupVersion::v2;
        mounts.v2_root = dir.path;
        spit(dir.path + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
    }
    std::string file(const std::string& rest) const { return dir.path + "/uxl-t/" + rest; }
};

TEST(CgroupsV2, ParentEnablesTheControllersForItsChildren)
{
    FakeV2 fake;
    Cgroups cgroups = Cgroups::set_up(fake.mounts, "uxl-t");
    ASSERT_EQ(cgroups.version(), CgroupVersion::v2);
    // One controller per write, as the kernel takes them; the file keeps the last one.
    EXPECT_EQ(slurp(fake.file("cgroup.subtree_control")), "+pids");
    EXPECT_EQ(slurp(fake.dir.path + "/cgroup.subtree_control"), "+pids");
    EXPECT_EQ(cgroups.description(), "cgroup v2 at " + fake.dir.path + "/uxl-t (cpu cpuset memory pids)");
    EXPECT_EQ(cgroups.procs_files("3"), (std::vector<std::string>{fake.file("3/cgroup.procs")}));
}

TEST(CgroupsV2, LeafGetsMemoryMaxWeightCpuMaxAndCpuset)
{
    FakeV2 fake;
    Cgroups cgroups = Cgroups::set_up(fake.mounts, "uxl-t");
    CgroupLimits limits;
    limits.memory_bytes = 128 * k_mib;
    limits.weight = 512;
    limits.cap = 20;
    limits.cpus = {1};
    ASSERT_TRUE(cgroups.create("3", limits));
    EXPECT_EQ(slurp(fake.file("3/memory.max")), "134217728");
    EXPECT_EQ(slurp(fake.file("3/cpu.weight")), "200");
    EXPECT_EQ(slurp(fake.file("3/cpu.max")), "20000 100000");
    EXPECT_EQ(slurp(fake.file("3/cpuset.cpus")), "1");

    ASSERT_TRUE(cgroups.apply("3", CgroupLimits{}));
    EXPECT_EQ(slurp(fake.file("3/memory.max")), "max");
    EXPECT_EQ(slurp(fake.file("3/cpu.weight")), "100");
    EXPECT_EQ(slurp(fake.file("3/cpu.max")), "max 100000");
    EXPECT_EQ(slurp(fake.file("3/cpuset.cpus")), "\n");  // v2: empty, the parent's
}

TEST(CgroupsV2, RemoveKillsWhatIsLeftInTheCgroup)
{
    FakeV2 fake;
    Cgroups cgroups = Cgroups::set_up(fake.mounts, "uxl-t");
    ASSERT_TRUE(cgroups.create("3", {}));
    const pid_t child = ::fork();
    if (child == 0) {
        for (;;)
            ::pause();
    }
    ASSERT_GT(child, 0);
    spit(fake.file("3/cgroup.procs"), std::to_string(child) + "\n");
    EXPECT_EQ(cgroups.processes("3"), (std::vector<pid_t>{child}));
    ASSERT_TRUE(cgroups.remove("3"));
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_FALSE(fs::exists(fake.file("3")));
}

TEST(CgroupsV2, ParentWithoutControllersStillGetsCgroups)
{
    FakeV2 fake;
    spit(fake.dir.path + "/cgroup.controllers", "memory\n");
    Cgroups cgroups = Cgroups::set_up(fake.mounts, "uxl-t");
    ASSERT_TRUE(cgroups.create("4", CgroupLimits{.memory_bytes = 64 * k_mib, .weight = 256, .cap = 50, .cpus = {}}));
    EXPECT_EQ(slurp(fake.file("4/memory.max")), "67108864");
    EXPECT_FALSE(fs::exists(fake.file("4/cpu.max")));  // no cpu controller: nothing written
}

TEST(ThreadAffinity, SetAndReadBack)
{
    const std::vector<int> mine = thread_affinity(0);
    ASSERT_FALSE(mine.empty());
    const pid_t child = ::fork();
    if (child == 0) {
        for (;;)
            ::pause();
    }
    ASSERT_TRUE(set_thread_affinity({child}, {mine.front()}));
    EXPECT_EQ(thread_affinity(child), (std::vector<int>{mine.front()}));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
}

}  // namespace
