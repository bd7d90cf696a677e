// Integration tests of the guests' cgroups (doc/cgroups.md) with real UML guests: the
// memory limit, the cpuset, the CPU cap measured on a busy guest, sched-credit and vcpu-pin
// at run time, re-adoption by a restarted uxld, and nothing left after destroy or a failed
// create. The files are read where the kernel keeps them (v1: one directory per controller;
// v2: one). On a host without usable cgroups every test is skipped.
//
// Each test runs its own uxld in a fresh root, so its cgroups sit under a parent of their
// own (uxl-<root>); TearDown destroys the guests, stops uxld (which removes that parent)
// and removes whatever a failed test still left there.
#include "integration_support.h"

#include <gtest/gtest.h>

#include <iostream>
#include <map>

namespace {

using namespace uxl_integration;

std::string trim(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

// The cgroup mounts of this host: v1 controller -> mount point, or the v2 mount.
struct Hierarchy {
    bool v2 = false;
    std::string v2_root;
    std::map<std::string, std::string> v1;

    static Hierarchy of_host()
    {
        Hierarchy h;
        std::istringstream in(slurp("/proc/self/mounts"));
        std::string dev, dir, type, opts;
        std::string rest;
        while (in >> dev >> dir >> type >> opts) {
            std::getline(in, rest);
            if (type == "cgroup2" && slurp(dir + "/cgroup.controllers").find("memory") != std::string::npos) {
                h.v2 = true;
                h.v2_root = dir;
            } else if (type == "cgroup") {
                std::istringstream o(opts);
                std::string opt;
                while (std::getline(o, opt, ','))
                    if (opt == "cpu" || opt == "cpuacct" || opt == "cpuset" || opt == "memory" || opt == "pids")
                        h.v1.emplace(opt, dir);
            }
        }
        if (h.v2)
            h.v1.clear();
        return h;
    }

    // The directory of `pid`'s cgroup for `controller`, from /proc/PID/cgroup.
    std::string dir_of(pid_t pid, const std::string& controller) const
    {
        std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/cgroup"));
        std::string line;
        while (std::getline(in, line)) {
            const auto first = line.find(':');
            const auto second = line.find(':', first + 1);
            if (first == std::string::npos || second == std::string::npos)
                continue;
            const std::string controllers = "," + line.substr(first + 1, second - first - 1) + ",";
            const std::string path = line.substr(second + 1);
            if (v2 && line.rfind("0::", 0) == 0)
                return v2_root + path;
            if (!v2 && controllers.find("," + controller + ",") != std::string::npos && v1.contains(controller))
                return v1.at(controller) + path;
        }
        return {};
    }

    // Every directory the parent `name` has (one per v1 controller, or v2's one).
    std::vector<std::string> parents(const std::string& name) const
    {
        std::vector<std::string> out;
        if (v2)
            out.push_back(v2_root + "/" + name);
        for (const auto& [controller, mount] : v1)
            out.push_back(mount + "/" + name);
        return out;
    }
};

class CgroupsIntegration : public ::testing::Test {
protected:
    static inline GuestImage s_image;

    static void SetUpTestSuite()
    {
        if (::access(kLinux, X_OK) == 0)
            s_image.prepare("uxlcg");
    }
    static void TearDownTestSuite() { s_image.remove(); }

    void SetUp() override
    {
        if (::access(kLinux, X_OK) != 0)
            GTEST_SKIP() << kLinux << " is absent (install user-mode-linux)";
        ASSERT_TRUE(s_image.error.empty()) << s_image.error;
        m_host = Hierarchy::of_host();
        char tmpl[] = "/tmp/uxlcg.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_root = tmpl;
        // uxld runs each guest under a uid of its own, which must pass through to its files.
        ::chmod(m_root.c_str(), 0711);
        m_socket = m_root + "/uxld.sock";
        fs::create_directories(m_root + "/cfg");
        ASSERT_TRUE(m_daemon.start(UXLD_BINARY, m_root, m_socket).empty());
        m_info = uxl({"info"}).out;
        if (m_info.find("cgroups                : cgroup v") == std::string::npos)
            GTEST_SKIP() << "no usable cgroups here:\n" << m_info;
        // uxld's parent for this root: "uxl-" and the root's path, '/' made '-'.
        m_parent = "uxl" + m_root;
        std::replace(m_parent.begin(), m_parent.end(), '/', '-');
    }

    void TearDown() override
    {
        if (m_root.empty())
            return;
        if (HasFailure())
            std::cerr << "=== uxld.log ===\n" << slurp(m_root + "/log/uxld.log") << "\n";
        if (m_daemon.alive())
            for (const auto& row : parse_list_rows(uxl({"list"}).out))
                if (row.domid != 0)
                    (void)uxl({"destroy", row.name}, 30s);
        EXPECT_TRUE(m_daemon.stop(SIGTERM));
        wait_until([&] {
            auto left = procs_mentioning(m_root);
            for (const auto& p : left)
                ::kill(p.pid, SIGKILL);
            return left.empty();
        }, 20s);
        // uxld removed its parent at exit; a failed test may have left leaves behind.
        if (!m_parent.empty()) {
            for (const std::string& parent : m_host.parents(m_parent)) {
                std::error_code ec;
                for (const auto& entry : fs::directory_iterator(parent, ec))
                    if (entry.is_directory())
                        ::rmdir(entry.path().c_str());
                ::rmdir(parent.c_str());
                EXPECT_FALSE(fs::exists(parent)) << parent << " is left behind";
            }
        }
        std::error_code ec;
        fs::remove_all(m_root, ec);
    }

    RunResult uxl(std::vector<std::string> args, Clock::duration timeout = kCommandTimeout)
    {
        args.insert(args.begin(), UXL_BINARY);
        return run(args, {"UXL_SOCKET=" + m_socket}, "", timeout);
    }

    // Creates NAME (memory = 64 MiB and `extra`), waits for its banner and returns the UML
    // main process, or -1 after a test failure.
    pid_t boot(const std::string& name, const std::string& extra = "")
    {
        const std::string path = m_root + "/cfg/" + name + ".cfg";
        spit(path, "name=\"" + name + "\"\nkernel=\"" + std::string(kLinux) + "\"\nramdisk=\"" + s_image.path +
                       "\"\nmemory=64\n" + extra);
        RunResult r = uxl({"create", path});
        EXPECT_EQ(r.exit_code, 0) << show(r);
        if (r.exit_code != 0)
            return -1;
        const std::string log = m_root + "/log/console/" + name + ".log";
        bool up = wait_until([&] { return slurp(log).find(kBanner) != std::string::npos; }, kBootTimeout);
        EXPECT_TRUE(up) << no_banner_report(name, slurp(log), m_root);
        if (!up)
            return -1;
        for (const auto& p : procs_mentioning(" umid=" + name + " ")) {
            auto parent = read_proc(p.ppid);
            if (parent && parent->cmdline.find("uxl-monitor") != std::string::npos)
                return p.pid;
        }
        ADD_FAILURE() << "no UML main process for " << name << "\n" << describe(procs_mentioning(m_root));
        return -1;
    }

    std::string file(pid_t pid, const std::string& controller, const std::string& name)
    {
        return trim(slurp(m_host.dir_of(pid, controller) + "/" + name));
    }

    // Nanoseconds of CPU the cgroup of `pid` has used.
    std::uint64_t cpu_used_ns(pid_t pid)
    {
        if (m_host.v2) {
            std::istringstream in(slurp(m_host.dir_of(pid, "cpu") + "/cpu.stat"));
            std::string key;
            std::uint64_t value = 0;
            while (in >> key >> value)
                if (key == "usage_usec")
                    return value * 1000;
            return 0;
        }
        return std::strtoull(file(pid, "cpuacct", "cpuacct.usage").c_str(), nullptr, 10);
    }

    // The guest's share of one CPU over `seconds`, from its cgroup's CPU time.
    double cpu_share(pid_t pid, int seconds)
    {
        const auto start = Clock::now();
        const std::uint64_t before = cpu_used_ns(pid);
        std::this_thread::sleep_for(std::chrono::seconds(seconds));
        const std::uint64_t after = cpu_used_ns(pid);
        const double wall_ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
        return static_cast<double>(after - before) / wall_ns;
    }

    // Types `command` into NAME's console and waits for `marker` in its output.
    bool type_into(const std::string& name, const std::string& command, const std::string& marker)
    {
        ConsoleSession console(name, {"UXL_SOCKET=" + m_socket});
        console.send("\n");
        console.send(command + "\n");
        return console.wait_for(marker, 20s);
    }

    Hierarchy m_host;
    std::string m_root;
    std::string m_socket;
    std::string m_info;
    std::string m_parent;
    DaemonProcess m_daemon;
};

constexpr std::uint64_t kMiB = 1024 * 1024;

// `uxl info` says which cgroups hold the guests; a guest with maxmem = 64 (and its UML
// helpers) is in a cgroup limited to 64 MiB plus UML's overhead (64 MiB).
TEST_F(CgroupsIntegration, MaxmemIsTheMemoryLimitPlusOverhead)
{
    EXPECT_NE(m_info.find(m_host.v2 ? "cgroups                : cgroup v2 at "
                                    : "cgroups                : cgroup v1 (cpu cpuacct cpuset memory pids)"),
              std::string::npos) << m_info;
    const pid_t guest = boot("mx", "maxmem=64\n");
    ASSERT_GT(guest, 0);
    const std::string dir = m_host.dir_of(guest, "memory");
    EXPECT_NE(dir.find("/" + m_parent + "/"), std::string::npos) << dir;
    const std::string limit = file(guest, "memory", m_host.v2 ? "memory.max" : "memory.limit_in_bytes");
    EXPECT_EQ(limit, std::to_string((64 + 64) * kMiB)) << dir;
    // Every UML process of the guest is in it.
    const std::string procs = slurp(dir + "/cgroup.procs");
    const auto umls = procs_mentioning(" umid=mx ");
    ASSERT_GE(umls.size(), 2u);
    for (const auto& p : umls)
        EXPECT_NE(("\n" + procs).find("\n" + std::to_string(p.pid) + "\n"), std::string::npos)
            << p.pid << " is not in " << dir << ":\n" << procs;
}

// cpus = "1" pins the guest: its cpuset, the kernel's view of its main process, and the
// hard affinity vcpu-list shows; vcpu-pin moves it at run time.
TEST_F(CgroupsIntegration, CpusPinsTheGuestAndVcpuPinMovesIt)
{
    if (::sysconf(_SC_NPROCESSORS_ONLN) < 2)
        GTEST_SKIP() << "needs two CPUs";
    const pid_t guest = boot("pn", "vcpus=1\ncpus=\"1\"\n");
    ASSERT_GT(guest, 0);
    EXPECT_EQ(file(guest, "cpuset", "cpuset.cpus"), "1");
    auto allowed = [&] {
        std::istringstream in(slurp("/proc/" + std::to_string(guest) + "/status"));
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("Cpus_allowed_list:", 0) == 0)
                return trim(line.substr(line.find_first_not_of(" \t", line.find(':') + 1)));
        return std::string();
    };
    EXPECT_EQ(allowed(), "1");
    RunResult list = uxl({"vcpu-list", "pn"});
    EXPECT_NE(list.out.find("  1 / 1\n"), std::string::npos) << list.out;

    RunResult pin = uxl({"vcpu-pin", "pn", "0", "0"});
    ASSERT_EQ(pin.exit_code, 0) << show(pin);
    EXPECT_EQ(file(guest, "cpuset", "cpuset.cpus"), "0");
    EXPECT_EQ(allowed(), "0");
    list = uxl({"vcpu-list", "pn"});
    EXPECT_NE(list.out.find("  0 / 0\n"), std::string::npos) << list.out;

    pin = uxl({"vcpu-pin", "pn", "all", "all"});
    ASSERT_EQ(pin.exit_code, 0) << show(pin);
    list = uxl({"vcpu-list", "pn"});
    EXPECT_NE(list.out.find("  all / all\n"), std::string::npos) << list.out;

    // A soft set alone: the cpuset stays, the threads' affinity follows.
    pin = uxl({"vcpu-pin", "pn", "0", "-", "1"});
    ASSERT_EQ(pin.exit_code, 0) << show(pin);
    // Unpinned: v2 empties the leaf's cpuset (the parent's), v1 writes the root's CPUs.
    EXPECT_EQ(file(guest, "cpuset", "cpuset.cpus"),
              m_host.v2 ? "" : trim(slurp(m_host.v1.at("cpuset") + "/cpuset.cpus")));
    EXPECT_EQ(allowed(), "1");
    list = uxl({"vcpu-list", "pn"});
    EXPECT_NE(list.out.find("  all / 1\n"), std::string::npos) << list.out;
    EXPECT_EQ(uxl({"-N", "vcpu-pin", "pn", "0", "1", "0-1"}).out, "cpumap: 1 all\n");
    // The stored config follows (as xl keeps it for a restart).
    EXPECT_NE(uxl({"list", "-l", "pn"}).out.find("\"vcpu_hard_affinity\""), std::string::npos);

    // xl's refusals.
    pin = uxl({"vcpu-pin", "pn", "3", "0"});
    EXPECT_EQ(pin.exit_code, 1) << show(pin);
    EXPECT_NE(pin.err.find("Could not set affinity for vcpu `3'."), std::string::npos) << show(pin);
    pin = uxl({"vcpu-pin", "-f", "pn", "all", "0"});
    EXPECT_EQ(pin.exit_code, 1) << show(pin);
    EXPECT_EQ(pin.err, "Error: --force and 'all' as VCPU not allowed.\n") << show(pin);
    pin = uxl({"vcpu-pin", "pn", "x", "0"});
    EXPECT_EQ(pin.err, "Error: Invalid argument x as VCPU.\n") << show(pin);
}

// cap = 20 keeps a guest that loops at about a fifth of one CPU, measured from its
// cgroup's CPU time over a few seconds (a generous bound: the host is shared).
TEST_F(CgroupsIntegration, CapKeepsABusyGuestNearItsShare)
{
    const pid_t guest = boot("cap", "cap=20\n");
    ASSERT_GT(guest, 0);
    EXPECT_EQ(file(guest, "cpu", m_host.v2 ? "cpu.max" : "cpu.cfs_quota_us"), m_host.v2 ? "20000 100000" : "20000");
    ASSERT_TRUE(type_into("cap", "(while :; do :; done) & echo busy-$((6*7))-loop", "busy-42-loop"));
    std::this_thread::sleep_for(1s);
    const double share = cpu_share(guest, 5);
    std::cout << "[ measured ] cap=20: the busy guest used " << share * 100 << "% of one CPU\n";
    EXPECT_LT(share, 0.45);
    EXPECT_GT(share, 0.02) << "the guest's loop does not seem to run";
}

// sched-credit shows and changes the weight and cap: the cgroup and the stored config
// follow; out-of-range values are refused as libxl refuses them.
TEST_F(CgroupsIntegration, SchedCreditChangesWeightAndCap)
{
    const pid_t guest = boot("sc", "cpu_weight=512\n");
    ASSERT_GT(guest, 0);
    const std::string domid = trim(uxl({"domid", "sc"}).out);
    EXPECT_EQ(file(guest, "cpu", m_host.v2 ? "cpu.weight" : "cpu.shares"), m_host.v2 ? "200" : "2048");

    RunResult show_one = uxl({"sched-credit", "-d", "sc"});
    EXPECT_EQ(show_one.exit_code, 0) << show(show_one);
    char row[128];
    std::snprintf(row, sizeof row, "%-33s %4s %6d %4d\n", "sc", domid.c_str(), 512, 0);
    EXPECT_EQ(show_one.out, "Name                                ID Weight  Cap\n" + std::string(row)) << show_one.out;

    RunResult set = uxl({"sched-credit", "-d", "sc", "-w", "128", "-c", "30"});
    ASSERT_EQ(set.exit_code, 0) << show(set);
    EXPECT_EQ(set.out, "");
    EXPECT_EQ(file(guest, "cpu", m_host.v2 ? "cpu.weight" : "cpu.shares"), m_host.v2 ? "50" : "512");
    EXPECT_EQ(file(guest, "cpu", m_host.v2 ? "cpu.max" : "cpu.cfs_quota_us"), m_host.v2 ? "30000 100000" : "30000");
    RunResult all = uxl({"sched-credit"});
    EXPECT_EQ(all.out.rfind("Cpupool Pool-0: tslice=30ms ratelimit=1000us migration-delay=0us\n"
                            "Name                                ID Weight  Cap\n"
                            "Domain-0                             0    256    0\n", 0), 0u) << all.out;
    std::snprintf(row, sizeof row, "%-33s %4s %6d %4d\n", "sc", domid.c_str(), 128, 30);
    EXPECT_NE(all.out.find(row), std::string::npos) << all.out;
    const std::string config = uxl({"list", "-l", "sc"}).out;
    EXPECT_NE(config.find("\"weight\": 128"), std::string::npos) << config;
    EXPECT_NE(config.find("\"cap\": 30"), std::string::npos) << config;

    set = uxl({"sched-credit", "-d", "sc", "-w", "0"});
    EXPECT_EQ(set.exit_code, 1) << show(set);
    EXPECT_NE(set.err.find("Cpu weight out of range"), std::string::npos) << show(set);
    EXPECT_NE(set.err.find("libxl_domain_sched_params_set failed."), std::string::npos) << show(set);
    set = uxl({"sched-credit", "-w", "300"});
    EXPECT_EQ(set.exit_code, 1) << show(set);
    EXPECT_EQ(set.err, "Must specify a domain.\n");
}

// kill -9 uxld and start it again: the guest is still in the same cgroup, and the new
// uxld changes and finally removes it.
TEST_F(CgroupsIntegration, RestartedDaemonKeepsTheGuestsCgroup)
{
    const pid_t guest = boot("ra", "cap=20\n");
    ASSERT_GT(guest, 0);
    const std::string before = m_host.dir_of(guest, "cpu");
    ASSERT_NE(before.find("/" + m_parent + "/"), std::string::npos) << before;
    ASSERT_TRUE(m_daemon.stop(SIGKILL));
    ASSERT_TRUE(m_daemon.start(UXLD_BINARY, m_root, m_socket).empty());
    ASSERT_TRUE(wait_until([&] { return uxl({"domid", "ra"}).exit_code == 0; }, 20s));
    EXPECT_EQ(m_host.dir_of(guest, "cpu"), before);
    EXPECT_NE(slurp(m_root + "/log/uxld.log").find("re-adopted, in its cgroup"), std::string::npos);
    RunResult set = uxl({"sched-credit", "-d", "ra", "-c", "40"});
    ASSERT_EQ(set.exit_code, 0) << show(set);
    EXPECT_EQ(trim(slurp(before + (m_host.v2 ? "/cpu.max" : "/cpu.cfs_quota_us"))), m_host.v2 ? "40000 100000" : "40000");
    RunResult destroy = uxl({"destroy", "ra"});
    EXPECT_EQ(destroy.exit_code, 0) << show(destroy);
    EXPECT_FALSE(fs::exists(before));
}

// destroy leaves no cgroup directory in any controller; neither does a create that fails
// after its cgroup was made (a kernel that cannot be executed); and with no guest left,
// uxl's parent cgroup is gone as well.
TEST_F(CgroupsIntegration, DestroyAndFailedCreateLeaveNoCgroup)
{
    const pid_t guest = boot("dl");
    ASSERT_GT(guest, 0);
    std::vector<std::string> dirs;
    for (const auto& [controller, mount] : m_host.v1)
        dirs.push_back(m_host.dir_of(guest, controller));
    if (m_host.v2)
        dirs.push_back(m_host.dir_of(guest, "memory"));
    for (const auto& dir : dirs)
        ASSERT_TRUE(fs::is_directory(dir)) << dir;
    RunResult destroy = uxl({"destroy", "dl"});
    EXPECT_EQ(destroy.exit_code, 0) << show(destroy);
    for (const auto& dir : dirs)
        EXPECT_FALSE(fs::exists(dir)) << dir;

    const std::string not_a_program = m_root + "/cfg/not-a-program";
    spit(not_a_program, "not an executable\n");
    ::chmod(not_a_program.c_str(), 0644);
    spit(m_root + "/cfg/bad.cfg", "name=\"bad\"\nbackend=\"uml\"\nkernel=\"" + not_a_program + "\"\nmemory=64\n");
    RunResult bad = uxl({"create", m_root + "/cfg/bad.cfg"});
    EXPECT_NE(bad.exit_code, 0) << show(bad);
    // No guest has a cgroup any more: uxl's parent is gone too.
    for (const std::string& parent : m_host.parents(m_parent))
        EXPECT_FALSE(fs::exists(parent)) << parent << " is left behind";
}

}  // namespace
