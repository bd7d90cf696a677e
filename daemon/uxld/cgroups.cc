#include "cgroups.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sched.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace uxl::daemon {

namespace {

std::string read_text(const std::string& path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string trimmed(std::string text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

// Writes `value` into the control file `path`: one write(2), as the kernel wants it. A
// fake tree (the tests) gets the file made.
Result<void> write_value(const std::string& path, const std::string& value)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(Errc::io, "cannot open " + path + ": " + std::strerror(errno));
    const ssize_t n = ::write(fd, value.data(), value.size());
    const int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(value.size()))
        return fail(Errc::io, "cannot write \"" + value + "\" to " + path + ": " + std::strerror(n < 0 ? err : EIO));
    return {};
}

std::vector<pid_t> read_pids(const std::string& path)
{
    std::vector<pid_t> pids;
    std::istringstream in(read_text(path));
    long pid = 0;
    while (in >> pid)
        if (pid > 0)
            pids.push_back(static_cast<pid_t>(pid));
    return pids;
}

std::vector<std::string> words(std::string_view text)
{
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    std::string w;
    while (in >> w)
        out.push_back(w);
    return out;
}

bool contains(const std::vector<std::string>& list, std::string_view word)
{
    return std::find(list.begin(), list.end(), word) != list.end();
}

// mkdir -p of `path` below `base`, which must exist. Returns what went wrong, or "".
std::string make_directory(const std::string& path)
{
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
        return "cannot create " + path + ": " + std::strerror(errno);
    return {};
}

// Whether `pid` exists and is not a zombie (which runs nothing and waits for its parent).
bool running(pid_t pid)
{
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// Whether `path` is on a cgroup file system (v1 or v2), rather than a fake tree.
bool on_cgroup_fs(const std::string& path)
{
    struct statfs st {};
    if (::statfs(path.c_str(), &st) != 0)
        return false;
    return st.f_type == CGROUP_SUPER_MAGIC || st.f_type == CGROUP2_SUPER_MAGIC;
}

// The v1 controllers uxl puts a guest into: cpuacct too, for its CPU time.
constexpr std::string_view k_v1_controllers[] = {"cpu", "cpuacct", "cpuset", "memory", "pids"};

}  // namespace

std::string_view to_string(CgroupVersion version)
{
    switch (version) {
    case CgroupVersion::v1:
        return "v1";
    case CgroupVersion::v2:
        return "v2";
    case CgroupVersion::none:
        break;
    }
    return "none";
}

// ---- The arithmetic -----------------------------------------------------------------

std::uint64_t cpu_weight_v2(long xl_weight)
{
    const long scaled = xl_weight * 100 / 256;
    return static_cast<std::uint64_t>(std::clamp(scaled, 1L, 10000L));
}

std::uint64_t cpu_shares_v1(long xl_weight)
{
    return static_cast<std::uint64_t>(std::clamp(xl_weight * 4, 2L, 262144L));
}

std::string cpu_max_v2(long cap)
{
    if (cap <= 0)
        return "max " + std::to_string(k_cpu_period_us);
    return std::to_string(cfs_quota_v1(cap)) + " " + std::to_string(k_cpu_period_us);
}

long cfs_quota_v1(long cap)
{
    if (cap <= 0)
        return -1;
    // The kernel refuses quotas under 1 ms.
    return std::max(1000L, cap * k_cpu_period_us / 100);
}

std::uint64_t memory_overhead_bytes(BackendKind backend)
{
    constexpr std::uint64_t mib = 1024 * 1024;
    switch (backend) {
    case BackendKind::qemu:
        return 256 * mib;
    case BackendKind::uml:
    default:
        return 64 * mib;
    }
}

std::string cpu_list_text(const std::vector<int>& cpus)
{
    std::vector<int> sorted = cpus;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string out;
    for (size_t i = 0; i < sorted.size();) {
        size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1)
            ++j;
        if (!out.empty())
            out += ",";
        out += std::to_string(sorted[i]);
        if (j > i)
            out += "-" + std::to_string(sorted[j]);
        i = j + 1;
    }
    return out;
}

std::vector<int> parse_kernel_cpu_list(std::string_view text)
{
    std::vector<int> cpus;
    std::string item;
    std::istringstream in{std::string(text)};
    while (std::getline(in, item, ',')) {
        item = trimmed(item);
        int first = 0, last = 0;
        char dash = 0;
        std::istringstream range(item);
        if (!(range >> first))
            continue;
        last = first;
        if (range >> dash && dash == '-' && !(range >> last))
            continue;
        for (int cpu = first; cpu <= last && cpu - first < 65536; ++cpu)
            cpus.push_back(cpu);
    }
    return cpus;
}

// ---- The host's hierarchy -------------------------------------------------------------

CgroupMounts find_cgroup_mounts(std::string_view mounts_text)
{
    CgroupMounts found;
    std::istringstream in{std::string(mounts_text)};
    std::string line;
    std::string v2_candidate;
    while (std::getline(in, line)) {
        std::vector<std::string> fields = words(line);
        if (fields.size() < 4)
            continue;
        const std::string& dir = fields[1];
        const std::string& type = fields[2];
        if (type == "cgroup2") {
            const auto controllers = words(read_text(dir + "/cgroup.controllers"));
            if (v2_candidate.empty() && (contains(controllers, "cpu") || contains(controllers, "memory")))
                v2_candidate = dir;
        } else if (type == "cgroup") {
            std::vector<std::string> options;
            std::istringstream opts(fields[3]);
            std::string opt;
            while (std::getline(opts, opt, ','))
                options.push_back(opt);
            for (std::string_view controller : k_v1_controllers)
                if (contains(options, controller) && !found.v1.contains(std::string(controller)))
                    found.v1[std::string(controller)] = dir;
        }
    }
    if (!v2_candidate.empty()) {
        found.version = CgroupVersion::v2;
        found.v2_root = v2_candidate;
        found.v1.clear();
    } else if (found.v1.contains("cpu") || found.v1.contains("memory")) {
        found.version = CgroupVersion::v1;
    } else {
        found.v1.clear();
        found.why_not = "no cgroup hierarchy with the cpu or memory controller is mounted";
    }
    return found;
}

std::string cgroup_parent_name(bool system_mode, const std::string& instance)
{
    if (system_mode && instance.empty())
        return "uxl";
    std::string name = "uxl-";
    for (char c : instance) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                           c == '_' || c == '-';
        if (!plain && name.back() == '-')
            continue;
        name += plain ? c : '-';
    }
    while (name.size() > 4 && name.back() == '-')
        name.pop_back();
    if (name.size() > 200)
        name.erase(200);
    return name;
}

namespace {

// v2: uxl's parent `dir` with the `wanted` controllers the root offers enabled for its
// children (in the root first, then in the parent). The root may hold processes (it is
// exempt from the no-internal-process rule); uxl's parent holds none, so it may hand
// controllers down. Returns the problem, or "" and the controllers enabled.
std::string make_v2_parent(const std::string& root, const std::string& dir, std::vector<std::string>& enabled)
{
    if (std::string problem = make_directory(dir); !problem.empty())
        return problem;
    const auto offered = words(read_text(root + "/cgroup.controllers"));
    enabled.clear();
    for (std::string_view controller : k_cgroup_controllers) {
        if (!contains(offered, controller))
            continue;
        (void)write_value(root + "/cgroup.subtree_control", "+" + std::string(controller));
        if (write_value(dir + "/cgroup.subtree_control", "+" + std::string(controller)))
            enabled.emplace_back(controller);
    }
    return {};
}

// v1: uxl's parent `dir` in one controller's hierarchy. A v1 cpuset starts empty, and no
// process may join it until it has CPUs and memory nodes: uxl's parent gets all of the
// root's. Returns the problem, or "".
std::string make_v1_parent(const std::string& mount, const std::string& dir, std::string_view controller)
{
    if (std::string problem = make_directory(dir); !problem.empty())
        return problem;
    if (controller != "cpuset")
        return {};
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
        if (auto r = write_value(dir + "/" + file, trimmed(read_text(mount + "/" + file))); !r) {
            ::rmdir(dir.c_str());
            return r.error().message;
        }
    }
    return {};
}

}  // namespace

Cgroups Cgroups::set_up(const CgroupMounts& mounts, const std::string& parent)
{
    Cgroups c;
    c.m_why_not = mounts.why_not;
    if (mounts.version == CgroupVersion::v2) {
        const std::string dir = mounts.v2_root + "/" + parent;
        if (std::string problem = make_v2_parent(mounts.v2_root, dir, c.m_v2_controllers); !problem.empty()) {
            c.m_why_not = problem;
            return c;
        }
        c.m_v2_root = mounts.v2_root;
        c.m_v2_parent = dir;
        c.m_version = CgroupVersion::v2;
    } else if (mounts.version == CgroupVersion::v1) {
        std::string problems;
        for (const auto& [controller, mount] : mounts.v1) {
            const std::string dir = mount + "/" + parent;
            if (std::string problem = make_v1_parent(mount, dir, controller); !problem.empty()) {
                problems += (problems.empty() ? "" : "; ") + problem;
                continue;
            }
            c.m_v1_parents[controller] = dir;
            c.m_v1_mounts[controller] = mount;
        }
        c.m_why_not = problems;
        if (!c.m_v1_parents.empty())
            c.m_version = CgroupVersion::v1;
    }
    // It is made again for the first guest (make_parent): uxl leaves no empty cgroup
    // behind while it has no guest, even when it is killed.
    c.remove_parent();
    return c;
}

Result<void> Cgroups::make_parent() const
{
    if (m_version == CgroupVersion::v2) {
        std::vector<std::string> enabled;
        if (std::string problem = make_v2_parent(m_v2_root, m_v2_parent, enabled); !problem.empty())
            return fail(Errc::io, problem);
        for (const std::string& controller : m_v2_controllers)
            if (!contains(enabled, controller))
                return fail(Errc::io, "cannot enable the " + controller + " controller in " + m_v2_parent +
                                          "/cgroup.subtree_control");
        return {};
    }
    for (const auto& [controller, dir] : m_v1_parents)
        if (std::string problem = make_v1_parent(m_v1_mounts.at(controller), dir, controller); !problem.empty())
            return fail(Errc::io, problem);
    return {};
}

std::string Cgroups::description() const
{
    std::string controllers;
    auto add = [&](const std::string& name) { controllers += (controllers.empty() ? "" : " ") + name; };
    switch (m_version) {
    case CgroupVersion::v2:
        for (const auto& name : m_v2_controllers)
            add(name);
        return "cgroup v2 at " + m_v2_parent + " (" + controllers + ")";
    case CgroupVersion::v1: {
        std::string where;
        for (const auto& [name, dir] : m_v1_parents) {
            add(name);
            if (where.empty())
                where = dir;
        }
        std::string text = "cgroup v1 (" + controllers + "), e.g. " + where;
        if (!m_why_not.empty())
            text += "; not used: " + m_why_not;
        return text;
    }
    case CgroupVersion::none:
        break;
    }
    return "none: guests run without limits (" + m_why_not + ")";
}

bool Cgroups::has(std::string_view controller) const
{
    if (m_version == CgroupVersion::v2)
        return contains(m_v2_controllers, controller);
    return m_v1_parents.contains(std::string(controller));
}

std::string Cgroups::directory(const std::string& leaf, std::string_view controller) const
{
    if (m_version == CgroupVersion::v2)
        return m_v2_parent + "/" + leaf;
    auto it = m_v1_parents.find(std::string(controller));
    return it == m_v1_parents.end() ? std::string() : it->second + "/" + leaf;
}

std::vector<std::string> Cgroups::directories(const std::string& leaf) const
{
    std::vector<std::string> dirs;
    if (m_version == CgroupVersion::v2)
        dirs.push_back(m_v2_parent + "/" + leaf);
    else if (m_version == CgroupVersion::v1)
        for (const auto& [controller, parent] : m_v1_parents)
            dirs.push_back(parent + "/" + leaf);
    return dirs;
}

std::vector<std::string> Cgroups::procs_files(const std::string& leaf) const
{
    std::vector<std::string> files;
    for (const std::string& dir : directories(leaf))
        files.push_back(dir + "/cgroup.procs");
    return files;
}

bool Cgroups::exists(const std::string& leaf) const
{
    const auto dirs = directories(leaf);
    return !dirs.empty() && fs::is_directory(dirs.front());
}

Result<void> Cgroups::create(const std::string& leaf, const CgroupLimits& limits) const
{
    if (!usable())
        return fail(Errc::unsupported, "no cgroups: " + m_why_not);
    UXL_TRY(make_parent());
    for (const std::string& dir : directories(leaf)) {
        if (std::string problem = make_directory(dir); !problem.empty()) {
            (void)remove(leaf);
            return fail(Errc::io, problem);
        }
    }
    if (m_version == CgroupVersion::v1 && has("cpuset")) {
        // As for the parent: a v1 cpuset needs its memory nodes before anyone may join.
        const std::string dir = directory(leaf, "cpuset");
        auto r = write_value(dir + "/cpuset.mems", trimmed(read_text(m_v1_parents.at("cpuset") + "/cpuset.mems")));
        if (!r) {
            (void)remove(leaf);
            return r;
        }
    }
    if (auto r = write_limits(leaf, limits); !r) {
        (void)remove(leaf);
        return r;
    }
    return {};
}

Result<void> Cgroups::apply(const std::string& leaf, const CgroupLimits& limits) const
{
    if (!usable())
        return fail(Errc::unsupported, "no cgroups: " + m_why_not);
    if (!exists(leaf))
        return fail(Errc::not_found, "the guest's cgroup " + directory(leaf) + " is gone");
    return write_limits(leaf, limits);
}

Result<void> Cgroups::write_limits(const std::string& leaf, const CgroupLimits& limits) const
{
    const std::string cpus = cpu_list_text(limits.cpus);
    if (m_version == CgroupVersion::v2) {
        const std::string dir = directory(leaf);
        if (has("memory"))
            UXL_TRY(write_value(dir + "/memory.max",
                                limits.memory_bytes ? std::to_string(limits.memory_bytes) : "max"));
        if (has("cpu")) {
            UXL_TRY(write_value(dir + "/cpu.weight", std::to_string(cpu_weight_v2(limits.weight))));
            UXL_TRY(write_value(dir + "/cpu.max", cpu_max_v2(limits.cap)));
        }
        // An empty cpuset.cpus in v2 means the parent's: just what "no pinning" is. It is
        // written as a newline, since a write of no bytes never reaches the kernel's handler.
        if (has("cpuset"))
            UXL_TRY(write_value(dir + "/cpuset.cpus", cpus.empty() ? std::string("\n") : cpus));
        return {};
    }
    if (has("memory"))
        UXL_TRY(write_value(directory(leaf, "memory") + "/memory.limit_in_bytes",
                            limits.memory_bytes ? std::to_string(limits.memory_bytes) : "-1"));
    if (has("cpu")) {
        const std::string dir = directory(leaf, "cpu");
        UXL_TRY(write_value(dir + "/cpu.shares", std::to_string(cpu_shares_v1(limits.weight))));
        UXL_TRY(write_value(dir + "/cpu.cfs_period_us", std::to_string(k_cpu_period_us)));
        UXL_TRY(write_value(dir + "/cpu.cfs_quota_us", std::to_string(cfs_quota_v1(limits.cap))));
    }
    if (has("cpuset")) {
        // v1 has no "inherit": no pinning is every CPU of the parent.
        const std::string all = trimmed(read_text(m_v1_parents.at("cpuset") + "/cpuset.cpus"));
        UXL_TRY(write_value(directory(leaf, "cpuset") + "/cpuset.cpus", cpus.empty() ? all : cpus));
    }
    return {};
}

std::vector<pid_t> Cgroups::processes(const std::string& leaf) const
{
    const auto dirs = directories(leaf);
    return dirs.empty() ? std::vector<pid_t>{} : read_pids(dirs.front() + "/cgroup.procs");
}

std::vector<pid_t> Cgroups::threads(const std::string& leaf) const
{
    const auto dirs = directories(leaf);
    if (dirs.empty())
        return {};
    return read_pids(dirs.front() + (m_version == CgroupVersion::v2 ? "/cgroup.threads" : "/tasks"));
}

std::vector<int> Cgroups::cpuset(const std::string& leaf) const
{
    if (!has("cpuset"))
        return {};
    const std::string dir = directory(leaf, "cpuset");
    std::string text = trimmed(read_text(dir + "/cpuset.cpus.effective"));
    if (text.empty())
        text = trimmed(read_text(dir + "/cpuset.cpus"));
    return parse_kernel_cpu_list(text);
}

Result<void> Cgroups::remove(const std::string& leaf) const
{
    const auto dirs = directories(leaf);
    if (dirs.empty() || leaf.empty())
        return {};
    using namespace std::chrono_literals;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    // 1. Kill what is left: v2's cgroup.kill takes the whole cgroup at once (forks
    //    included); otherwise SIGKILL every process listed, until none is.
    if (m_version == CgroupVersion::v2 && fs::exists(dirs.front() + "/cgroup.kill"))
        (void)write_value(dirs.front() + "/cgroup.kill", "1");
    for (;;) {
        bool any = false;
        for (const std::string& dir : dirs) {
            for (pid_t pid : read_pids(dir + "/cgroup.procs")) {
                if (pid == 1 || pid == ::getpid() || !running(pid))
                    continue;
                any = true;
                ::kill(pid, SIGKILL);
            }
        }
        if (!any || std::chrono::steady_clock::now() > deadline)
            break;
        std::this_thread::sleep_for(20ms);
    }
    // 2. Remove the directories; the kernel lets go of a cgroup once its dead processes
    //    are reaped (by their monitor), so a busy one is tried again for a while. A tree
    //    that is not a cgroup file system (the tests' fake one) holds plain files: it is
    //    removed as any directory.
    std::string problems;
    for (const std::string& dir : dirs) {
        if (!on_cgroup_fs(dir)) {
            std::error_code ec;
            fs::remove_all(dir, ec);
            if (ec)
                problems += (problems.empty() ? "" : "; ") + ("cannot remove " + dir + ": " + ec.message());
            continue;
        }
        while (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
            if (std::chrono::steady_clock::now() > deadline) {
                problems += (problems.empty() ? "" : "; ") + ("cannot remove " + dir + ": " + std::strerror(errno));
                break;
            }
            std::this_thread::sleep_for(20ms);
        }
    }
    if (!problems.empty())
        return fail(Errc::io, problems);
    return {};
}

void Cgroups::remove_parent() const
{
    if (m_version == CgroupVersion::v2)
        ::rmdir(m_v2_parent.c_str());
    for (const auto& [controller, dir] : m_v1_parents)
        ::rmdir(dir.c_str());
}

Result<void> set_thread_affinity(const std::vector<pid_t>& threads, const std::vector<int>& cpus)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus)
        if (cpu >= 0 && cpu < CPU_SETSIZE)
            CPU_SET(cpu, &set);
    for (pid_t tid : threads) {
        if (::sched_setaffinity(tid, sizeof set, &set) != 0 && errno != ESRCH)
            return fail(Errc::io, "cannot set the CPU affinity of thread " + std::to_string(tid) + " to " +
                                      cpu_list_text(cpus) + ": " + std::strerror(errno));
    }
    return {};
}

std::vector<int> thread_affinity(pid_t thread)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(thread, sizeof set, &set) != 0)
        return {};
    std::vector<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set))
            cpus.push_back(cpu);
    return cpus;
}

}  // namespace uxl::daemon
