// Cgroups: each guest (the UML kernel and its helpers, QEMU and its threads) lives in a
// cgroup of its own, made by uxld before the guest starts and removed once it is gone.
//
// 1. At start, find_cgroup_mounts() reads the mount table: cgroup v2 when a cgroup2 mount
//    offers the cpu or memory controller (Debian 12's default), else the v1 controllers
//    (cpu, cpuacct, cpuset, memory, pids: one directory each), else none.
// 2. Cgroups::set_up() makes uxl's parent cgroup (`uxl`, or one per `--root`): v2 enables
//    +cpu +cpuset +memory +pids in the subtree_control of each level (the parent holds no
//    processes, as v2's no-internal-process rule needs); v1 fills the parent's cpuset from
//    the root. When nothing can be made (no hierarchy, read-only, not root), version() is
//    none, why_not() says why, and guests start without limits.
// 3. Per guest: create() makes the leaf (named by the caller) and writes its limits; the
//    monitor's child joins the leaf's cgroup.procs files before it execs the guest.
//    apply() changes the limits at run time; remove() kills whatever is left in the leaf
//    (v2: cgroup.kill) and removes its directories.
//
// The arithmetic (xl's weight and cap to the cgroup files) is pure and declared here for
// the tests. Calls that write files may block briefly (remove() waits for the kernel to
// empty the leaf): uxld calls remove() on its thread pool.
#pragma once

#include "uxl/domain_spec.h"
#include "uxl/result.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace uxl::daemon {

enum class CgroupVersion { none, v1, v2 };
std::string_view to_string(CgroupVersion version);

// What one guest's cgroup is set to.
struct CgroupLimits {
    std::uint64_t memory_bytes = 0;  // 0: no limit
    long weight = 256;               // xl's credit weight (1..65535; 256 is xl's default)
    long cap = 0;                    // percent of one CPU; 0: no cap
    std::vector<int> cpus;           // the cpuset (hard affinity); empty: every CPU of the parent
};

// ---- The arithmetic (pure) ----------------------------------------------------------

// The CPU period uxl's quotas are expressed in, in microseconds (the kernel's default).
constexpr long k_cpu_period_us = 100000;

// xl's weight 256 is the cgroup default; others scale linearly and are clamped to what
// the kernel accepts. v2 cpu.weight: 256 -> 100, within 1..10000.
std::uint64_t cpu_weight_v2(long xl_weight);
// v1 cpu.shares: 256 -> 1024, within 2..262144.
std::uint64_t cpu_shares_v1(long xl_weight);
// v2 cpu.max: cap 0 -> "max 100000"; cap 20 -> "20000 100000" (20% of one CPU).
std::string cpu_max_v2(long cap);
// v1 cpu.cfs_quota_us for cpu.cfs_period_us = k_cpu_period_us: cap 0 -> -1 (no quota).
long cfs_quota_v1(long cap);
// What a guest needs besides its memory, for the memory limit (doc/cgroups.md says why):
// UML 64 MiB, QEMU 256 MiB, others 64 MiB.
std::uint64_t memory_overhead_bytes(BackendKind backend);
// The kernel's CPU list format: "0-2,5"; "" for none.
std::string cpu_list_text(const std::vector<int>& cpus);
// Reads the kernel's CPU list format ("0-2,5\n"); anything unreadable is skipped.
std::vector<int> parse_kernel_cpu_list(std::string_view text);

// ---- The host's hierarchy --------------------------------------------------------------

struct CgroupMounts {
    CgroupVersion version = CgroupVersion::none;
    std::string v2_root;                      // the cgroup2 mount point
    std::map<std::string, std::string> v1;    // controller -> its mount point
    std::string why_not;                      // version none: why
};

// The controllers uxl uses.
inline constexpr std::string_view k_cgroup_controllers[] = {"cpu", "cpuset", "memory", "pids"};

// Reads a mount table (/proc/self/mounts' text). v2 is chosen when a cgroup2 mount's
// cgroup.controllers lists cpu or memory; else the v1 mounts of cpu, cpuacct, cpuset,
// memory and pids (a comounted "cpu,cpuacct" serves both).
CgroupMounts find_cgroup_mounts(std::string_view mounts_text);

// The name of uxl's parent cgroup: "uxl" for the system daemon, else "uxl-" and the
// daemon's root or user in a form a directory name can take.
std::string cgroup_parent_name(bool system_mode, const std::string& instance);

class Cgroups {
public:
    // Tries uxl's parent cgroup `parent` in the hierarchy found (and removes it again: it
    // exists only while guests do). Never fails: when nothing can be used, version() is
    // none and why_not() says why.
    static Cgroups set_up(const CgroupMounts& mounts, const std::string& parent);

    CgroupVersion version() const { return m_version; }
    bool usable() const { return m_version != CgroupVersion::none; }
    const std::string& why_not() const { return m_why_not; }
    // One line for the log and `uxl info`: which version, where, which controllers; or
    // why limits are not applied.
    std::string description() const;

    // The leaf's directory for one controller (v2: the one directory; `controller` unused).
    std::string directory(const std::string& leaf, std::string_view controller = "memory") const;
    // Every directory of the leaf, one per v1 controller (or the one of v2).
    std::vector<std::string> directories(const std::string& leaf) const;
    // The cgroup.procs files the guest's process joins.
    std::vector<std::string> procs_files(const std::string& leaf) const;

    // Makes the leaf (an existing one is reused; uxl's parent too, when it is gone) and
    // writes `limits`. On failure nothing of the leaf is left.
    Result<void> create(const std::string& leaf, const CgroupLimits& limits) const;
    // Writes `limits` to an existing leaf (at run time).
    Result<void> apply(const std::string& leaf, const CgroupLimits& limits) const;
    bool exists(const std::string& leaf) const;
    // The processes, and the threads, in the leaf.
    std::vector<pid_t> processes(const std::string& leaf) const;
    std::vector<pid_t> threads(const std::string& leaf) const;
    // The leaf's CPUs (cpuset.cpus.effective, else cpuset.cpus); empty when unknown.
    std::vector<int> cpuset(const std::string& leaf) const;
    // Kills every process in the leaf (v2: cgroup.kill when the kernel has it) and removes
    // its directories, waiting up to about 3 s for the kernel to let go. Blocks.
    Result<void> remove(const std::string& leaf) const;
    // Removes uxl's parent when nothing is left in it (no guest has a cgroup any more, a
    // clean exit); quiet otherwise.
    void remove_parent() const;

private:
    // uxl's parent (again): the directories, v2's controllers for the leaves, v1's cpuset.
    Result<void> make_parent() const;
    Result<void> write_limits(const std::string& leaf, const CgroupLimits& limits) const;
    bool has(std::string_view controller) const;

    CgroupVersion m_version = CgroupVersion::none;
    std::string m_why_not;
    std::string m_v2_root;                           // v2: the mount
    std::string m_v2_parent;                         // v2: uxl's parent directory
    std::vector<std::string> m_v2_controllers;       // v2: enabled for the leaves
    std::map<std::string, std::string> m_v1_parents; // v1: controller -> uxl's parent directory
    std::map<std::string, std::string> m_v1_mounts;  // v1: controller -> its mount
};

// Sets the CPU affinity of every thread in `threads` (sched_setaffinity); threads gone
// meanwhile are skipped. Errors name the first thread that refused.
Result<void> set_thread_affinity(const std::vector<pid_t>& threads, const std::vector<int>& cpus);
// A thread's CPU affinity, or empty when it cannot be read.
std::vector<int> thread_affinity(pid_t thread);

}  // namespace uxl::daemon
