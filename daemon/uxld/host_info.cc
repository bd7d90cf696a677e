#include "host_info.h"

#include "uxl/backend.h"

#include <charconv>
#include <cctype>
#include <cstdio>
#include <ctime>

#include <fcntl.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace uxl::daemon {
namespace {

// The start of a /proc file (at most `size` bytes) in `buffer`: one read(2), no iostreams.
// Empty when it cannot be read.
std::string_view read_small_file(const char* path, char* buffer, size_t size)
{
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    ssize_t n = ::read(fd, buffer, size);
    ::close(fd);
    return n > 0 ? std::string_view(buffer, static_cast<size_t>(n)) : std::string_view();
}

// Calls `visit` with each line of `text` (without its newline).
template <class Visit>
void for_each_line(std::string_view text, Visit visit)
{
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        visit(text.substr(pos, end == std::string_view::npos ? end : end - pos));
        pos = end == std::string_view::npos ? text.size() : end + 1;
    }
}

double clock_ticks()
{
    return static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Domain-0's vCPUs are the host's CPUs: "cpuN user nice system ..." lines of /proc/stat.
// Whether one is running right now is not known here: each is shown blocked.
std::vector<protocol::VcpuInfo> host_vcpus()
{
    std::vector<protocol::VcpuInfo> out;
    char buffer[16384];
    for_each_line(read_small_file("/proc/stat", buffer, sizeof buffer), [&](std::string_view line) {
        if (line.size() < 4 || !line.starts_with("cpu") || !std::isdigit(static_cast<unsigned char>(line[3])))
            return;
        protocol::VcpuInfo vcpu;
        const char* p = line.data() + 3;
        const char* last = line.data() + line.size();
        p = std::from_chars(p, last, vcpu.cpu).ptr;
        std::uint64_t ticks = 0;
        for (int field = 0; field < 3 && p < last; ++field) {
            while (p < last && *p == ' ')
                ++p;
            std::uint64_t value = 0;
            p = std::from_chars(p, last, value).ptr;
            ticks += value;
        }
        vcpu.id = vcpu.cpu;
        vcpu.blocked = true;
        vcpu.seconds = static_cast<double>(ticks) / clock_ticks();
        out.push_back(vcpu);
    });
    return out;
}

// The host's CPU time: user + nice + system of the first line of /proc/stat.
double host_cpu_seconds()
{
    char buffer[512];
    std::string_view line = read_small_file("/proc/stat", buffer, sizeof buffer);
    std::uint64_t ticks = 0;
    size_t pos = line.find(' ');
    for (int field = 0; field < 3 && pos != std::string_view::npos; ++field) {
        pos = line.find_first_not_of(' ', pos);
        if (pos == std::string_view::npos)
            break;
        std::uint64_t value = 0;
        auto [end, ec] = std::from_chars(line.data() + pos, line.data() + line.size(), value);
        ticks += value;
        pos = static_cast<size_t>(end - line.data());
    }
    return static_cast<double>(ticks) / clock_ticks();
}

}  // namespace

double now_seconds()
{
    timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

ProcStat read_proc_stat(pid_t pid, pid_t tid)
{
    ProcStat st;
    if (pid <= 0)
        return st;
    char path[64];
    if (tid > 0)
        std::snprintf(path, sizeof path, "/proc/%d/task/%d/stat", static_cast<int>(pid), static_cast<int>(tid));
    else
        std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    char buffer[1024];
    std::string_view text = read_small_file(path, buffer, sizeof buffer);
    size_t close = text.rfind(')');
    if (close == std::string_view::npos || close + 2 >= text.size())
        return st;
    // Fields from 3 on, blank-separated: state is field 3, utime..cstime fields 14-17.
    std::vector<std::string_view> f;
    size_t pos = close + 2;
    while (pos < text.size() && f.size() < 37) {
        size_t end = text.find(' ', pos);
        if (end == std::string_view::npos)
            end = text.size();
        f.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    if (f.size() < 15 || f[0].empty())
        return st;
    st.alive = true;
    st.state = f[0][0];
    std::uint64_t ticks = 0;
    for (size_t i = 11; i <= 14; ++i) {
        std::uint64_t value = 0;
        std::from_chars(f[i].data(), f[i].data() + f[i].size(), value);
        ticks += value;
    }
    st.cpu_seconds = static_cast<double>(ticks) / clock_ticks();
    if (f.size() > 36)
        std::from_chars(f[36].data(), f[36].data() + f[36].size(), st.processor);
    return st;
}

std::uint64_t meminfo_kb(std::string_view key)
{
    char buffer[4096];
    // Lines "MemTotal:       24683300 kB".
    std::uint64_t value = 0;
    for_each_line(read_small_file("/proc/meminfo", buffer, sizeof buffer), [&](std::string_view line) {
        if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
            size_t digits = line.find_first_of("0123456789", key.size());
            if (digits != std::string_view::npos)
                std::from_chars(line.data() + digits, line.data() + line.size(), value);
        }
    });
    return value;
}

protocol::DomainInfo host_domain_info(bool with_config, bool with_vcpus)
{
    protocol::DomainInfo host;
    host.domid = 0;
    host.name = "Domain-0";
    host.uuid = "00000000-0000-0000-0000-000000000000";
    host.backend = "host";
    host.running = true;
    host.memory_kb = meminfo_kb("MemTotal");
    host.vcpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    struct sysinfo si {};
    if (::sysinfo(&si) == 0)
        host.started_at = now_seconds() - static_cast<double>(si.uptime);
    host.cpu_seconds = host_cpu_seconds();
    if (with_config)
        host.config_json = "{\"c_info\":{\"name\":\"Domain-0\",\"uuid\":\"" + host.uuid + "\"}}";
    if (with_vcpus)
        host.vcpu_list = host_vcpus();
    return host;
}

std::vector<std::pair<std::string, std::string>> host_info_lines(const DaemonPaths& paths,
                                                                 const BackendSettings& settings,
                                                                 std::size_t domain_count)
{
    std::vector<std::pair<std::string, std::string>> info;
    struct utsname u {};
    ::uname(&u);
    info.emplace_back("host", u.nodename);
    info.emplace_back("release", u.release);
    info.emplace_back("version", u.version);
    info.emplace_back("machine", u.machine);
    info.emplace_back("nr_cpus", std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)));
    info.emplace_back("max_cpu_id", std::to_string(::sysconf(_SC_NPROCESSORS_CONF) - 1));
    info.emplace_back("nr_nodes", "1");
    info.emplace_back("total_memory", std::to_string(meminfo_kb("MemTotal") / 1024));
    info.emplace_back("free_memory", std::to_string(meminfo_kb("MemAvailable") / 1024));
    info.emplace_back("free_cpus", "0");
    // Xen lists its guest types here ("xen-3.0-x86_64 hvm-3.0-x86_32 ..."); uxl lists the
    // backends that can run a domain on this host, and each backend's own facts follow.
    std::string caps;
    std::vector<std::pair<std::string, std::string>> facts;
    DomainSpec probe;
    for (BackendKind kind : known_backends()) {
        auto backend = make_backend(kind, settings);
        if (!backend)
            continue;
        probe.backend = kind;
        if ((*backend)->check_host(probe))
            caps += (caps.empty() ? "" : " ") + (*backend)->virt_cap();
        for (auto& fact : (*backend)->host_facts())
            facts.push_back(std::move(fact));
    }
    info.emplace_back("virt_caps", caps);
    info.emplace_back("uxl_version", UXL_VERSION);
    info.emplace_back("uxl_mode", paths.system_mode ? "system" : "session");
    info.insert(info.end(), facts.begin(), facts.end());
    info.emplace_back("guest_memory_dir", paths.mem_dir);
    info.emplace_back("domains", std::to_string(domain_count));
    info.emplace_back("xend_config_format", "4");
    return info;
}

}  // namespace uxl::daemon
