// The guest's cgroup and CPU affinity (DomainManager, domain_manager.h; the files in
// cgroups.h; doc/cgroups.md):
//
// 1. create: after the plan (which knows the guest's memory), make_cgroup() makes the leaf
//    (named by the domain's instance, kept in its record) with the limits of its config;
//    the monitor's child joins it before it execs the guest; once the guest runs, its
//    threads get their soft affinity.
// 2. run time: sched-credit (weight, cap) and vcpu-pin (hard: the cpuset; soft: the
//    threads' affinity) change the cgroup and the stored config, as vcpu-set does.
// 3. the end: finish() (and re-adoption's clean-ups) call remove_cgroup(), which kills
//    whatever is left in the leaf and removes it, on the thread pool.
#include "domain_manager.h"

#include "uxl/cpu_list.h"

#include <algorithm>
#include <set>
#include <utility>

#include <unistd.h>

namespace uxl::daemon {

namespace {

// The host's CPUs, as the parent cgroup (or this process) may use them.
std::vector<int> host_cpus()
{
    std::vector<int> cpus = thread_affinity(0);
    if (cpus.empty())
        for (long i = 0; i < ::sysconf(_SC_NPROCESSORS_ONLN); ++i)
            cpus.push_back(static_cast<int>(i));
    return cpus;
}

int host_cpu_count()
{
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
}

std::vector<int> intersect(const std::vector<int>& a, const std::vector<int>& b)
{
    std::vector<int> out;
    for (int cpu : a)
        if (std::find(b.begin(), b.end(), cpu) != b.end())
            out.push_back(cpu);
    return out;
}

// The union of the per-vCPU sets of `sets` (a guest has one cgroup for all its vCPUs),
// within the host's CPUs; empty when that is every host CPU or nothing is set.
std::vector<int> union_within_host(const std::vector<std::vector<int>>& sets, int vcpus)
{
    if (sets.empty())
        return {};
    std::set<int> all;
    for (int i = 0; i < vcpus && i < static_cast<int>(sets.size()); ++i)
        all.insert(sets[static_cast<size_t>(i)].begin(), sets[static_cast<size_t>(i)].end());
    const std::vector<int> host = host_cpus();
    std::vector<int> out = intersect(host, std::vector<int>(all.begin(), all.end()));
    if (out.size() == host.size())
        return {};
    return out;
}

}  // namespace

std::string DomainManager::cgroup_instance() const
{
    if (!m_paths.root.empty())
        return m_paths.root;
    return m_paths.system_mode ? std::string() : "user-" + std::to_string(::geteuid());
}

CgroupLimits DomainManager::cgroup_limits(const Domain& d) const
{
    CgroupLimits limits;
    std::uint64_t memory_kb = d.record.boot_memory_kb;
    if (memory_kb == 0)
        memory_kb = d.spec.max_memkb.value_or(d.spec.target_memkb.value_or(0));
    if (memory_kb > 0)
        limits.memory_bytes = memory_kb * 1024 + memory_overhead_bytes(d.spec.backend);
    limits.weight = d.spec.cpu_weight.value_or(256);
    limits.cap = d.spec.cap.value_or(0);
    limits.cpus = union_within_host(d.spec.vcpu_hard_affinity, std::max(d.spec.max_vcpus, d.spec.vcpus));
    return limits;
}

Result<void> DomainManager::make_cgroup(const std::shared_ptr<Domain>& owner, UndoList& undo)
{
    Domain& d = *owner;
    if (!m_cgroups.usable())
        return {};  // said once at start: guests run without limits
    const std::string leaf = std::to_string(d.record.instance);
    const CgroupLimits limits = cgroup_limits(d);
    // An empty cpuset is no pinning: `cpus` naming only CPUs this host lacks is refused.
    bool any = d.spec.vcpu_hard_affinity.empty();
    for (const auto& set : d.spec.vcpu_hard_affinity)
        any = any || !intersect(set, host_cpus()).empty();
    if (!any)
        return fail(Errc::invalid_argument,
                    "cpus names no CPU of this host (it has " + cpu_list_text(host_cpus()) + ")");
    if (auto made = m_cgroups.create(leaf, limits); !made) {
        release_cgroups_if_unused();
        return fail(made.error().code, "cannot make the guest's cgroup: " + made.error().message);
    }
    d.record.cgroup = leaf;
    undo.push([this, owner]() -> asio::awaitable<void> {
        // Forgotten first, so that the domain (still in the table) does not keep uxl's
        // parent alive.
        std::string made = std::exchange(owner->record.cgroup, std::string());
        co_await remove_cgroup(made);
    });
    return {};
}

std::vector<std::string> DomainManager::cgroup_procs(const Domain& d) const
{
    if (d.record.cgroup.empty() || !m_cgroups.usable())
        return {};
    return m_cgroups.procs_files(d.record.cgroup);
}

// Every thread of the guest: those of its cgroup, or of its main process when it has none.
std::vector<pid_t> DomainManager::guest_threads(const Domain& d) const
{
    if (!d.record.cgroup.empty() && m_cgroups.usable())
        return m_cgroups.threads(d.record.cgroup);
    std::vector<pid_t> tids;
    if (d.guest_pid > 0)
        tids.push_back(d.guest_pid);
    return tids;
}

Result<void> DomainManager::apply_affinity(Domain& d, bool at_start)
{
    const int vcpus = std::max(d.spec.max_vcpus, d.spec.vcpus);
    if (at_start && d.spec.vcpu_soft_affinity.empty())
        return {};  // the guest's threads keep the cpuset they were born into
    const std::vector<int> host = host_cpus();
    std::vector<int> hard = cgroup_limits(d).cpus;
    if (hard.empty())
        hard = host;
    auto mask_of = [&](int vcpu) {
        std::vector<int> soft;
        if (vcpu < static_cast<int>(d.spec.vcpu_soft_affinity.size()))
            soft = intersect(d.spec.vcpu_soft_affinity[static_cast<size_t>(vcpu)], hard);
        // As xl does with a soft affinity outside the hard one: the hard one alone.
        return soft.empty() ? hard : soft;
    };
    std::vector<int> all;
    for (int i = 0; i < vcpus; ++i) {
        auto mask = mask_of(i);
        all.insert(all.end(), mask.begin(), mask.end());
    }
    // Every thread gets the union (the main process, helpers, I/O threads); a vCPU the
    // controller names as a thread of its own gets its own set.
    UXL_TRY(set_thread_affinity(guest_threads(d), all));
    const std::vector<int> threads = d.controller ? d.controller->vcpu_threads() : std::vector<int>{};
    for (size_t i = 0; i < threads.size(); ++i)
        if (threads[i] > 0)
            UXL_TRY(set_thread_affinity({static_cast<pid_t>(threads[i])}, mask_of(static_cast<int>(i))));
    return {};
}

asio::awaitable<void> DomainManager::remove_cgroup(std::string leaf)
{
    if (leaf.empty() || !m_cgroups.usable())
        co_return;
    co_await asio::post(m_pool, asio::use_awaitable);
    Result<void> removed = m_cgroups.remove(leaf);
    co_await asio::post(m_executor, asio::use_awaitable);
    if (!removed)
        m_log.write("warning: " + removed.error().message);
    release_cgroups_if_unused();
}

void DomainManager::release_cgroups_if_unused()
{
    for (const auto& [instance, d] : m_domains)
        if (!d->record.cgroup.empty())
            return;
    m_cgroups.remove_parent();
}

void DomainManager::release_cgroups()
{
    m_cgroups.remove_parent();
}

void DomainManager::fill_affinity(const Domain& d, int vcpu, pid_t thread, protocol::VcpuInfo& info) const
{
    const int nr_cpus = host_cpu_count();
    std::vector<int> hard;
    if (!d.record.cgroup.empty() && m_cgroups.usable())
        hard = m_cgroups.cpuset(d.record.cgroup);
    std::vector<int> soft = thread > 0 ? thread_affinity(thread) : std::vector<int>{};
    if (hard.empty())
        hard = soft;
    // A guest that does not run has no threads: its config says what it would get.
    if (hard.empty() && vcpu < static_cast<int>(d.spec.vcpu_hard_affinity.size()))
        hard = d.spec.vcpu_hard_affinity[static_cast<size_t>(vcpu)];
    if (soft.empty() && vcpu < static_cast<int>(d.spec.vcpu_soft_affinity.size()))
        soft = d.spec.vcpu_soft_affinity[static_cast<size_t>(vcpu)];
    info.hard_affinity = hard.empty() ? "all" : format_cpu_bitmap(hard, nr_cpus);
    info.soft_affinity = soft.empty() ? "all" : format_cpu_bitmap(soft, nr_cpus);
}

// ---- Requests ------------------------------------------------------------------------

Result<void> DomainManager::set_sched_credit(const protocol::SchedCreditRequest& request)
{
    auto d = UXL_TRY(find_or_fail(request.domain));
    if (d->state == DomainState::starting || d->state == DomainState::dying || d->state == DomainState::gone)
        return fail(Errc::invalid_state, "Domain " + d->id() + " is not running.");
    if (request.weight && (*request.weight < 1 || *request.weight > 65535))
        return fail(Errc::invalid_argument, "Cpu weight out of range, valid values are within range from 1 to 65535");
    const int most_cap = 100 * std::max(d->spec.max_vcpus, d->spec.vcpus);
    if (request.cap && (*request.cap < 0 || *request.cap > most_cap))
        return fail(Errc::invalid_argument, "Cpu cap out of range, valid range is from 0 to " +
                                                std::to_string(most_cap) + " for specified number of vcpus");
    DomainSpec before = d->spec;
    if (request.weight)
        d->spec.cpu_weight = *request.weight;
    if (request.cap)
        d->spec.cap = *request.cap;
    if (!d->record.cgroup.empty() && m_cgroups.usable()) {
        if (auto applied = m_cgroups.apply(d->record.cgroup, cgroup_limits(*d)); !applied) {
            d->spec = std::move(before);
            return applied;
        }
    } else {
        m_log.write("warning: domain " + d->id() + " has no cgroup (" + m_cgroups.description() +
                    "): its weight and cap are kept in its config only");
    }
    persist_spec(*d);
    log_domain(*d, ": weight " + std::to_string(d->spec.cpu_weight.value_or(256)) + ", cap " +
                       std::to_string(d->spec.cap.value_or(0)));
    return {};
}

Result<void> DomainManager::pin_vcpus(const protocol::VcpuPinRequest& request)
{
    auto d = UXL_TRY(find_or_fail(request.domain));
    UXL_TRY(require_live(*d));
    const int vcpus = std::max(d->spec.max_vcpus, d->spec.vcpus);
    if (request.vcpu < -1 || request.vcpu >= vcpus)
        return fail(Errc::invalid_argument, "Domain " + d->id() + " has no vCPU " + std::to_string(request.vcpu) +
                                                " (it has " + std::to_string(vcpus) + ")");
    std::vector<int> host;
    for (int i = 0; i < host_cpu_count(); ++i)
        host.push_back(i);
    auto pin = [&](std::vector<std::vector<int>>& sets, const std::vector<int>& cpus) {
        if (sets.size() < static_cast<size_t>(vcpus))
            sets.resize(static_cast<size_t>(vcpus), host);
        for (int i = 0; i < vcpus; ++i)
            if (request.vcpu == -1 || request.vcpu == i)
                sets[static_cast<size_t>(i)] = cpus;
    };
    if (request.hard) {
        std::vector<int> usable = intersect(*request.hard, host_cpus());
        if (usable.empty())
            return fail(Errc::invalid_argument, "none of the CPUs " + cpu_list_text(*request.hard) +
                                                    " can be used here (the host has " + cpu_list_text(host_cpus()) + ")");
    }
    DomainSpec before = d->spec;
    if (request.hard)
        pin(d->spec.vcpu_hard_affinity, *request.hard);
    if (request.soft)
        pin(d->spec.vcpu_soft_affinity, *request.soft);
    if (!d->record.cgroup.empty() && m_cgroups.usable()) {
        if (auto applied = m_cgroups.apply(d->record.cgroup, cgroup_limits(*d)); !applied) {
            d->spec = std::move(before);
            return applied;
        }
    }
    // A v1 cpuset change resets the threads to the new set: the soft affinity goes on top.
    if (auto applied = apply_affinity(*d, false); !applied) {
        d->spec = std::move(before);
        return applied;
    }
    persist_spec(*d);
    log_domain(*d, ": vCPU " + (request.vcpu < 0 ? std::string("all") : std::to_string(request.vcpu)) +
                       " pinned (hard " + (request.hard ? cpu_list_text(*request.hard) : std::string("unchanged")) +
                       ", soft " + (request.soft ? cpu_list_text(*request.soft) : std::string("unchanged")) + ")");
    return {};
}

}  // namespace uxl::daemon
