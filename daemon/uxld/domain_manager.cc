#include "domain_manager.h"

#include "hook_runner.h"
#include "monitor_client.h"
#include "tap_device.h"

#include "uxl/config_file.h"
#include "uxl/config_reader.h"
#include "uxl/disk_spec.h"
#include "uxl/pci_spec.h"
#include "uxl/vdev.h"
#include "uxl/vif_spec.h"

#include "uml/uml_controller.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace uxl::daemon {
namespace {

double now_seconds()
{
    timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

bool all_digits(const std::string& s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Fields 3 (state), 14-17 (utime, stime, cutime, cstime) and 39 (processor) of /proc/PID/stat.
struct ProcStat {
    char state = '?';
    double cpu_seconds = 0;
    int processor = 0;  // field 39: the CPU it last ran on
    bool alive = false;
};

// The start of a /proc file (at most `size` bytes) in `buffer`: one read(2), no iostreams,
// for what `uxl list' reads on every call. Empty when it cannot be read.
std::string_view read_small_file(const char* path, char* buffer, size_t size)
{
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    ssize_t n = ::read(fd, buffer, size);
    ::close(fd);
    return n > 0 ? std::string_view(buffer, static_cast<size_t>(n)) : std::string_view();
}

ProcStat read_proc_stat(pid_t pid)
{
    // read(2) and from_chars, not iostreams: `uxl list' reads this for every guest.
    ProcStat st;
    if (pid <= 0)
        return st;
    char path[32];
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
    const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    std::uint64_t ticks = 0;
    for (size_t i = 11; i <= 14; ++i) {
        std::uint64_t value = 0;
        std::from_chars(f[i].data(), f[i].data() + f[i].size(), value);
        ticks += value;
    }
    st.cpu_seconds = static_cast<double>(ticks) / hz;
    if (f.size() > 36)
        std::from_chars(f[36].data(), f[36].data() + f[36].size(), st.processor);
    return st;
}

std::uint64_t meminfo_kb(std::string_view key)
{
    char buffer[4096];
    std::string_view text = read_small_file("/proc/meminfo", buffer, sizeof buffer);
    // Lines "MemTotal:       24683300 kB".
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        std::string_view line = text.substr(pos, end == std::string_view::npos ? end : end - pos);
        pos = end == std::string_view::npos ? text.size() : end + 1;
        if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
            size_t digits = line.find_first_of("0123456789", key.size());
            std::uint64_t value = 0;
            if (digits != std::string_view::npos)
                std::from_chars(line.data() + digits, line.data() + line.size(), value);
            return value;
        }
    }
    return 0;
}

// Domain-0's vCPUs are the host's CPUs: "cpuN user nice system ..." lines of /proc/stat.
// Whether one is running right now is not known here: each is shown blocked.
std::vector<protocol::VcpuInfo> host_vcpus()
{
    std::vector<protocol::VcpuInfo> out;
    char buffer[16384];
    std::string_view text = read_small_file("/proc/stat", buffer, sizeof buffer);
    const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        std::string_view line = text.substr(pos, end == std::string_view::npos ? end : end - pos);
        pos = end == std::string_view::npos ? text.size() : end + 1;
        if (line.size() < 4 || !line.starts_with("cpu") || !std::isdigit(static_cast<unsigned char>(line[3])))
            continue;
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
        vcpu.seconds = static_cast<double>(ticks) / hz;
        out.push_back(vcpu);
    }
    return out;
}

std::string utc_suffix()
{
    char buf[32];
    std::time_t now = std::time(nullptr);
    std::tm tm {};
    ::gmtime_r(&now, &tm);
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%MZ", &tm);
    return buf;
}

// Names end up in `xl list`'s first column and in file names: no blanks, no slashes.
Result<void> check_name(const std::string& name)
{
    if (name.empty())
        return fail(Errc::invalid_argument, "Domain name must be specified.");
    if (name == "Domain-0")
        return fail(Errc::already_exists, "Domain with name \"Domain-0\" already exists.");
    if (all_digits(name))
        return fail(Errc::invalid_argument, "Domain name \"" + name +
                                                "\" is all digits: it would be taken for a domain id.");
    for (unsigned char c : name) {
        if (std::isspace(c) || c == '/' || c < 0x20)
            return fail(Errc::invalid_argument,
                        "Domain name \"" + name + "\" contains a blank, a slash or a control character.");
    }
    return {};
}

void remove_tree(const std::string& dir)
{
    std::error_code ec;
    fs::remove_all(dir, ec);
}

}  // namespace

DomainManager::DomainManager(asio::any_io_executor executor, asio::thread_pool& pool,
                             DaemonPaths paths, DaemonLog& log)
    : m_executor(std::move(executor)), m_pool(pool), m_paths(std::move(paths)), m_log(log),
      m_store(m_paths.state_dir)
{
    load_global_config();
}

void DomainManager::load_global_config()
{
    std::ifstream in(m_paths.config_file, std::ios::binary);
    if (!in)
        return;  // no uxl.conf: xl's defaults
    std::ostringstream text;
    text << in.rdbuf();
    ParseOutcome parsed = parse_config(text.str(), m_paths.config_file);
    if (!parsed.ok()) {
        m_log.write("warning: " + m_paths.config_file + " does not parse; using defaults:\n" +
                    parsed.diagnostics.xl_report());
        return;
    }
    Diagnostics diagnostics;
    ConfigReader reader(parsed.config, diagnostics);
    if (auto v = reader.get_string("vif.default.script"))
        m_vif_script = *v;
    if (auto v = reader.get_string("vif.default.bridge"))
        m_vif_bridge = *v;
    if (auto v = reader.get_bounded_long("hotplug.timeout", 1, 3600))
        m_hotplug_timeout = std::chrono::seconds(*v);
    if (!diagnostics.empty())
        m_log.write("warning: " + diagnostics.xl_report());
}

std::string DomainManager::resolve_script(const std::string& script) const
{
    // As libxl (libxl__abs_path): an absolute path is used as it is, anything else is
    // relative to the scripts directory, never to the daemon's working directory.
    if (script.starts_with('/'))
        return script;
    return m_paths.scripts_dir + "/" + script;
}

// Creates each vif's tap and runs its script `up`, then each scripted disk's `add`;
// records every teardown step (persisted) as soon as the thing exists. On failure the
// caller tears down what was recorded.
asio::awaitable<Result<void>> DomainManager::set_up_devices(Domain& d, DomainSpec& launch)
{
    for (size_t i = 0; i < launch.nics.size(); ++i) {
        VifSpec& nic = launch.nics[i];
        if (nic.mac.is_zero()) {
            nic.mac = generate_xen_mac();
            d.spec.nics[i].mac = nic.mac;  // kept across restarts, as xl keeps it
        }
        auto ok = co_await set_up_nic(d.record, nic);
        if (!ok)
            co_return ok;
    }
    for (DiskSpec& disk : launch.disks) {
        auto ok = co_await set_up_disk(d.record, disk);
        if (!ok)
            co_return ok;
    }
    co_return Result<void>{};
}

// Runs `script setup args...`; once it has succeeded, records (and persists) the step
// `script teardown args...` for device `key`, with the same environment.
asio::awaitable<Result<HookOutcome>> DomainManager::run_paired_hook(DomainRecord& record, std::string key,
                                                                   std::string script, std::string setup,
                                                                   std::string teardown,
                                                                   std::vector<std::string> args,
                                                                   std::vector<std::string> env)
{
    std::vector<std::string> first = args;
    first.insert(first.begin(), setup);
    // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
    HookSpec hook{script, first, env, m_hotplug_timeout, m_paths.hotplug_log()};
    auto ran = co_await run_hook(m_executor, std::move(hook));
    if (!ran)
        co_return ran;
    args.insert(args.begin(), teardown);
    record.teardown.push_back(TeardownStep{key, {}, script, std::move(args), std::move(env)});
    (void)m_store.save(record);
    co_return ran;
}

// One vif's host side: its tap (named into nic.ifname), then its script's `up`.
asio::awaitable<Result<void>> DomainManager::set_up_nic(DomainRecord& record, VifSpec& nic)
{
    const std::string domid = std::to_string(record.domid);
    const std::string devid = std::to_string(nic.devid);
    const std::string key = "vif/" + devid;
    const std::string tap = nic.ifname && !nic.ifname->empty()
                                ? *nic.ifname
                                : default_vif_name(static_cast<std::uint32_t>(record.domid),
                                                   static_cast<std::uint32_t>(nic.devid));
    if (auto ok = validate_interface_name(tap); !ok)
        co_return fail(Errc::invalid_argument, "vif " + devid + ": " + ok.error().message);
    if (auto ok = create_tap(tap, nic.mac); !ok)
        co_return fail(ok.error().code, "vif " + devid + ": " + ok.error().message);
    record.teardown.push_back(TeardownStep{key, tap, {}, {}, {}});
    (void)m_store.save(record);
    nic.ifname = tap;

    const std::string script = resolve_script(nic.script.value_or(m_vif_script));
    const std::string bridge = nic.bridge && !nic.bridge->empty() ? *nic.bridge : m_vif_bridge;
    const std::string mac = nic.mac.to_string();
    std::vector<std::string> args = {"domain=" + record.name, "vif=" + tap, "mac=" + mac,
                                     "bridge=" + bridge};
    std::vector<std::string> env = {"domain=" + record.name, "domid=" + domid, "devid=" + devid,
                                    "vif=" + tap, "mac=" + mac, "bridge=" + bridge,
                                    "XENBUS_TYPE=vif"};
    if (nic.ip && !nic.ip->empty()) {
        args.push_back("ip=" + *nic.ip);
        env.push_back("ip=" + *nic.ip);
    }
    std::string up = "up", down = "down";  // named: no temporaries inside co_await (g++ 12)
    auto ran = co_await run_paired_hook(record, key, script, std::move(up), std::move(down), std::move(args),
                                        std::move(env));
    if (!ran)
        co_return fail(ran.error().code, "vif " + devid + ": " + ran.error().message);
    co_return Result<void>{};
}

// One disk's host side: a scripted disk's `add`, whose first output line becomes the path
// the backend opens. Plain files and devices need nothing.
asio::awaitable<Result<void>> DomainManager::set_up_disk(DomainRecord& record, DiskSpec& disk)
{
    if (!disk.script || disk.script->empty())
        co_return Result<void>{};
    const std::string domid = std::to_string(record.domid);
    const std::string script = resolve_script(*disk.script);
    const std::string target = disk.pdev_path.value_or("");
    const std::string mode = disk.readwrite ? "w" : "r";
    const std::string vdev = disk.vdev.value_or("");
    const std::string key = "vbd/" + std::to_string(vdev_to_number(vdev).value_or(0));
    std::vector<std::string> args = {target, mode, vdev, record.name, domid};
    std::vector<std::string> env = {"target=" + target, "mode=" + mode, "vdev=" + vdev,
                                    "domain=" + record.name, "domid=" + domid,
                                    "XENBUS_TYPE=vbd",
                                    // Where `block' records its loop devices: per daemon,
                                    // so that two daemons' domains never share a record.
                                    "UXL_BLOCK_STATE_DIR=" +
                                        fs::path(m_paths.run_dir).parent_path().string() + "/block"};
    std::string add = "add", remove = "remove";  // named: no temporaries inside co_await
    auto ran = co_await run_paired_hook(record, key, script, std::move(add), std::move(remove), std::move(args),
                                        std::move(env));
    if (!ran)
        co_return fail(ran.error().code, "disk " + vdev + ": " + ran.error().message);
    std::string path = ran->stdout_text.substr(0, ran->stdout_text.find('\n'));
    if (path.empty())
        co_return fail(Errc::backend_failed, "disk " + vdev + ": " + script + " printed no device to use");
    disk.pdev_path = path;
    co_return Result<void>{};
}

// Runs one teardown step: its hook, then its tap. Failures are logged, never fatal, as
// with libxl.
asio::awaitable<void> DomainManager::run_teardown_step(const DomainRecord& record, TeardownStep step)
{
    if (!step.script.empty()) {
        HookSpec hook{step.script, step.args, step.env, m_hotplug_timeout, m_paths.hotplug_log()};
        auto ran = co_await run_hook(m_executor, std::move(hook));
        if (!ran)
            m_log.write("Domain " + std::to_string(record.domid) + ": " + ran.error().message);
    }
    if (!step.tap.empty()) {
        if (auto ok = delete_tap(step.tap); !ok)
            m_log.write("Domain " + std::to_string(record.domid) + ": " + ok.error().message);
    }
}

// Runs the recorded teardown steps in reverse, once: each is dropped from the record (and
// the record saved) as it is done.
asio::awaitable<void> DomainManager::tear_down_devices(DomainRecord& record)
{
    while (!record.teardown.empty()) {
        TeardownStep step = record.teardown.back();
        record.teardown.pop_back();
        co_await run_teardown_step(record, std::move(step));
        (void)m_store.save(record);
    }
}

// The same for one device's steps (a detach, or an attach that failed half-way).
asio::awaitable<void> DomainManager::tear_down_device(DomainRecord& record, const std::string& key)
{
    for (;;) {
        auto it = std::find_if(record.teardown.rbegin(), record.teardown.rend(),
                               [&](const TeardownStep& t) { return t.device == key; });
        if (it == record.teardown.rend())
            break;
        TeardownStep step = *it;
        record.teardown.erase(std::next(it).base());
        co_await run_teardown_step(record, std::move(step));
        (void)m_store.save(record);
    }
}

// ---- Lookups ------------------------------------------------------------------------

std::shared_ptr<Domain> DomainManager::find(const std::string& qualifier) const
{
    const bool by_id = all_digits(qualifier);
    for (const auto& [instance, d] : m_domains) {
        if (by_id ? std::to_string(d->record.domid) == qualifier : d->record.name == qualifier)
            return d;
    }
    return nullptr;
}

Result<std::shared_ptr<Domain>> DomainManager::find_or_fail(const std::string& qualifier) const
{
    if (qualifier == "0" || qualifier == "Domain-0")
        return fail(Errc::invalid_argument, "Domain-0 is the host: it cannot be managed by uxl.");
    auto d = find(qualifier);
    if (!d)
        return fail(Errc::not_found, qualifier + " is an invalid domain identifier (rc=-6)");
    return d;
}

Result<std::pair<int, std::string>> DomainManager::lookup(const std::string& qualifier) const
{
    if (qualifier == "0" || qualifier == "Domain-0")
        return std::pair<int, std::string>{0, "Domain-0"};
    auto d = find(qualifier);
    if (!d)
        return fail(Errc::not_found, qualifier + " is an invalid domain identifier (rc=-6)");
    return std::pair<int, std::string>{d->record.domid, d->record.name};
}

std::vector<int> DomainManager::guest_domids() const
{
    std::vector<int> ids;
    for (const auto& [instance, d] : m_domains)
        ids.push_back(d->record.domid);
    std::sort(ids.begin(), ids.end());
    return ids;
}

protocol::DomainInfo DomainManager::info_of(const Domain& d, bool with_config, bool with_vcpus) const
{
    protocol::DomainInfo info;
    info.domid = d.record.domid;
    info.name = d.record.name;
    info.uuid = uuid_to_string(d.spec.uuid);
    info.backend = std::string(to_string(d.spec.backend));
    const ProcStat st = read_proc_stat(d.guest_pid);
    info.paused = d.state == DomainState::paused;
    info.shutdown = d.state == DomainState::shutdown;
    info.dying = d.state == DomainState::dying;
    if (d.state == DomainState::running) {
        info.running = st.state == 'R';
        info.blocked = !info.running;
    }
    info.reason = d.reason;
    info.memory_kb = d.record.memory_kb > 0 ? d.record.memory_kb
                                            : d.spec.target_memkb.value_or(d.spec.max_memkb.value_or(0));
    info.vcpus = d.spec.vcpus;
    info.cpu_seconds = st.cpu_seconds;
    info.started_at = d.record.started_at;
    if (with_config)
        info.config_json = d.record.config_json;
    if (with_vcpus) {
        // UML runs one virtual CPU on its main process. A paused guest's is neither
        // running nor blocked; one that has shut down is offline.
        protocol::VcpuInfo vcpu;
        vcpu.cpu = st.processor;
        vcpu.online = st.alive && d.state != DomainState::shutdown;
        vcpu.running = vcpu.online && info.running;
        vcpu.blocked = vcpu.online && info.blocked;
        vcpu.seconds = st.cpu_seconds;
        info.vcpu_list.push_back(vcpu);
    }
    return info;
}

Result<std::vector<protocol::DomainInfo>> DomainManager::list(const std::string& domain,
                                                              bool with_config, bool with_vcpus) const
{
    std::vector<protocol::DomainInfo> out;
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
    {
        // "cpu  user nice system ..." (ticks), the first line of /proc/stat.
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
        host.cpu_seconds = static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    if (with_config) {
        host.config_json = "{\"c_info\":{\"name\":\"Domain-0\",\"uuid\":\"" + host.uuid + "\"}}";
    }
    if (with_vcpus)
        host.vcpu_list = host_vcpus();

    if (!domain.empty()) {
        if (domain == "0" || domain == "Domain-0") {
            out.push_back(host);
            return out;
        }
        auto d = find(domain);
        if (!d) {
            if (all_digits(domain))
                return fail(Errc::not_found, "Error: Domain '" + domain + "' does not exist.");
            return fail(Errc::not_found, domain + " is an invalid domain identifier (rc=-6)");
        }
        out.push_back(info_of(*d, with_config, with_vcpus));
        return out;
    }
    out.push_back(host);
    std::vector<protocol::DomainInfo> guests;
    for (const auto& [instance, d] : m_domains)
        guests.push_back(info_of(*d, with_config, with_vcpus));
    std::sort(guests.begin(), guests.end(), [](const auto& a, const auto& b) { return a.domid < b.domid; });
    out.insert(out.end(), guests.begin(), guests.end());
    return out;
}

std::vector<std::pair<std::string, std::string>> DomainManager::host_info() const
{
    std::vector<std::pair<std::string, std::string>> info;
    struct utsname u {};
    ::uname(&u);
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    info.emplace_back("host", u.nodename);
    info.emplace_back("release", u.release);
    info.emplace_back("version", u.version);
    info.emplace_back("machine", u.machine);
    info.emplace_back("nr_cpus", std::to_string(cpus));
    info.emplace_back("max_cpu_id", std::to_string(::sysconf(_SC_NPROCESSORS_CONF) - 1));
    info.emplace_back("nr_nodes", "1");
    info.emplace_back("total_memory", std::to_string(meminfo_kb("MemTotal") / 1024));
    info.emplace_back("free_memory", std::to_string(meminfo_kb("MemAvailable") / 1024));
    info.emplace_back("free_cpus", "0");
    info.emplace_back("virt_caps", "uml");
    info.emplace_back("uxl_version", UXL_VERSION);
    info.emplace_back("uxl_mode", m_paths.system_mode ? "system" : "session");
    std::error_code ec;
    info.emplace_back("uml_kernel", fs::exists("/usr/bin/linux", ec) ? "/usr/bin/linux" : "(not installed)");
    info.emplace_back("uml_memory_dir", m_paths.mem_dir);
    info.emplace_back("domains", std::to_string(m_domains.size()));
    info.emplace_back("xend_config_format", "4");
    return info;
}

// ---- Create -------------------------------------------------------------------------

void DomainManager::persist(Domain& d)
{
    d.record.paused = d.state == DomainState::paused;
    d.record.shut_down = d.state == DomainState::shutdown;
    d.record.reason = d.state == DomainState::shutdown ? std::string(protocol::to_string(d.reason)) : "";
    if (auto r = m_store.save(d.record); !r)
        m_log.write("warning: " + r.error().message);
}

asio::awaitable<Result<int>> DomainManager::create(const protocol::CreateRequest& request)
{
    auto spec = domain_spec_from_libxl_json(request.config_json);
    if (!spec)
        co_return fail(Errc::invalid_argument, "the domain config is not valid: " + spec.error().message);
    if (auto ok = check_name(spec->name); !ok)
        co_return std::unexpected(ok.error());
    if (find(spec->name))
        co_return fail(Errc::already_exists, "Domain with name \"" + spec->name + "\" already exists.");
    auto d = co_await start(std::move(*spec), request.config_json, request.config_path, request.paused);
    if (!d)
        co_return std::unexpected(d.error());
    co_return (*d)->record.domid;
}

asio::awaitable<Result<std::shared_ptr<Domain>>> DomainManager::start(DomainSpec spec,
                                                                     std::string config_json,
                                                                     std::string config_path,
                                                                     bool paused)
{
    // Undo steps, run in reverse when a later step fails.
    auto d = std::make_shared<Domain>();
    std::vector<std::function<void()>> undo;
    bool monitor_started = false;
    std::string dir;
    auto rollback = [&]() -> asio::awaitable<void> {
        if (monitor_started) {
            (void)co_await monitor_command(dir, "kill", std::chrono::seconds(5));
            (void)co_await monitor_command(dir, "wait", std::chrono::seconds(10));
            (void)co_await monitor_command(dir, "release", std::chrono::seconds(5));
        }
        co_await tear_down_devices(d->record);
        (void)m_store.remove(d->record.instance);
        for (auto it = undo.rbegin(); it != undo.rend(); ++it)
            (*it)();
    };

    // 1. name and domid (the name was checked by the caller; a restart reuses it).
    const int domid = m_store.next_domid();
    d->record.instance = domid;
    d->record.domid = domid;
    d->record.name = spec.name;
    d->record.config_json = std::move(config_json);
    d->record.config_path = std::move(config_path);

    // 2. backend and its limits.
    auto backend = make_backend(spec.backend);
    if (!backend)
        co_return std::unexpected(backend.error());
    d->backend = std::move(*backend);
    if (spec.backend == BackendKind::vkernel) {
        co_return fail(Errc::unsupported,
                       "The vkernel backend runs DragonFly BSD virtual kernels, which need a DragonFly host; "
                       "on Linux uxl can only plan them (uxl create -n).");
    }
    if (auto ok = d->backend->validate(spec); !ok)
        co_return std::unexpected(ok.error());
    // The files the guest needs must be there: a missing initramfs would only show up as a
    // guest that cannot boot.
    for (const auto& [what, path] : {std::pair<const char*, std::string>{"kernel", spec.kernel},
                                     {"ramdisk", spec.ramdisk}}) {
        if (!path.empty() && ::access(path.c_str(), R_OK) != 0)
            co_return fail(Errc::invalid_argument,
                           std::string(what) + " " + path + ": " + std::strerror(errno));
    }

    // 3. the per-domain directory.
    dir = m_paths.run_dir + "/" + std::to_string(domid);
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    if (ec)
        co_return fail(Errc::io, "cannot create " + dir + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
    undo.push_back([dir] { remove_tree(dir); });
    d->record.dir = dir;

    DomainPaths paths;
    paths.run_dir = dir;
    paths.uml_dir = dir + "/uml";
    paths.mem_dir = m_paths.mem_dir;
    paths.notify_socket = dir + "/notify";
    paths.control_socket = monitor_socket(dir);

    // 3b. devices: taps and vif scripts, scripted disks. The launch spec gets the host-side
    // names and paths; the domain keeps its configured spec (plus generated MACs).
    d->spec = spec;
    DomainSpec launch = spec;
    if (auto ok = co_await set_up_devices(*d, launch); !ok) {
        co_await rollback();
        co_return std::unexpected(ok.error());
    }
    if (!d->spec.nics.empty()) {
        // As libxl does, the stored config carries the MACs generated for this domain, so
        // that `list -l' shows them and a restart keeps them.
        d->record.config_json = domain_spec_to_libxl_yajl(d->spec);
    }

    // 4. the launch plan (pure).
    auto plan = d->backend->plan_launch(launch, paths, domid);
    if (!plan) {
        co_await rollback();
        co_return std::unexpected(plan.error());
    }
    d->record.control_endpoint = plan->control_endpoint;
    d->record.devices.clear();
    for (const PlannedDevice& planned : plan->devices)
        d->record.devices.push_back(DeviceEntry{planned.kind == PlannedDevice::Kind::disk ? "vbd" : "vif",
                                                planned.devid, planned.slot, planned.host, 4,
                                                planned.guest_name});
    d->record.reserved_disk_slots = plan->reserved_disk_slots;
    d->record.boot_memory_kb = plan->boot_memory_kb;
    d->record.memory_kb = plan->boot_memory_kb;
    d->record.memory_target_kb = plan->balloon_target_kb > 0 ? plan->balloon_target_kb : plan->boot_memory_kb;
    d->record.devices_changed = false;
    d->record.notify_socket = paths.notify_socket;
    for (const auto& extra : plan->directories) {
        fs::create_directories(extra, ec);
        ::chmod(extra.c_str(), 0700);
    }

    // 5. the controller's notify socket, bound before the guest can send to it.
    attach_controller(d, false);
    d->pause_when_ready = paused;
    undo.push_back([d] {
        if (d->controller)
            d->controller->close();
    });

    // 6. the monitor, which starts the guest.
    {
        nlohmann::json j;
        std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir, "LANG=C"};
        env.insert(env.end(), plan->env.begin(), plan->env.end());
        j["argv"] = plan->argv;
        j["env"] = env;
        j["disable_aslr"] = plan->disable_aslr;
        j["working_dir"] = plan->working_dir.empty() ? dir : plan->working_dir;
        j["console_log"] = m_paths.console_log(d->record.name);
        j["ring_bytes"] = 65536;
        std::ofstream out(dir + "/plan.json", std::ios::trunc);
        out << j.dump(2) << "\n";
        if (!out) {
            co_await rollback();
            co_return fail(Errc::io, "cannot write " + dir + "/plan.json");
        }
    }
    co_await asio::post(m_pool, asio::use_awaitable);
    Result<void> spawned = spawn_monitor(m_paths.monitor_binary, dir);
    co_await asio::post(m_executor, asio::use_awaitable);
    if (!spawned) {
        co_await rollback();
        co_return std::unexpected(spawned.error());
    }
    monitor_started = true;
    auto status = co_await monitor_status(dir);
    if (!status) {
        co_await rollback();
        co_return std::unexpected(status.error());
    }
    d->guest_pid = status->guest_pid;
    d->record.started_at = status->started_at > 0 ? status->started_at : now_seconds();

    // 7. persist, then watch.
    d->state = DomainState::running;
    if (auto saved = m_store.save(d->record); !saved) {
        co_await rollback();
        co_return std::unexpected(saved.error());
    }
    m_domains[d->record.instance] = d;
    m_log.write("Domain " + std::to_string(domid) + " (" + d->record.name + ") created: " +
                std::string(d->backend->name()) + " guest pid " + std::to_string(d->guest_pid));
    watch(d);
    co_return d;
}

void DomainManager::attach_controller(const std::shared_ptr<Domain>& d, bool adopting)
{
    if (d->spec.backend != BackendKind::uml)
        return;
    ::unlink(d->record.notify_socket.c_str());
    // A new guest announces its control socket at boot; an adopted one is already up, so
    // the controller is told where the socket is.
    auto controller = make_uml_controller(m_executor, d->record.notify_socket,
                                          adopting ? d->record.control_endpoint : std::string());
    if (!controller) {
        m_log.write("Domain " + std::to_string(d->record.domid) + ": no control channel: " +
                    controller.error().message);
        return;
    }
    d->controller = std::move(*controller);
    std::weak_ptr<Domain> weak = d;
    d->controller->on_event([this, weak](ControllerEvent event) {
        auto d = weak.lock();
        if (!d || d->gone)
            return;
        switch (event.kind) {
        case GuestEvent::control_ready:
            d->booted = true;
            // Booted with maxmem: balloon down to `memory` (or the last mem-set) now.
            asio::co_spawn(m_executor, apply_memory_target(d), asio::detached);
            if (d->pause_when_ready) {
                d->pause_when_ready = false;
                asio::co_spawn(m_executor, pause(std::to_string(d->record.domid), true), asio::detached);
            }
            break;
        case GuestEvent::rebooted:
            // UML re-execs itself in place on a reboot and announces its socket again.
            asio::co_spawn(m_executor, on_reboot(d), asio::detached);
            break;
        case GuestEvent::panicked:
            m_log.write("Domain " + std::to_string(d->record.domid) + " panicked: " + event.text);
            break;
        case GuestEvent::user_notify:
            m_log.write("Domain " + std::to_string(d->record.domid) + " says: " + event.text);
            break;
        case GuestEvent::hung:
            m_log.write("Domain " + std::to_string(d->record.domid) + " is hung");
            break;
        }
    });
}

// ---- Life ---------------------------------------------------------------------------

void DomainManager::watch(std::shared_ptr<Domain> d)
{
    asio::co_spawn(
        m_executor,
        [this, d]() -> asio::awaitable<void> {
            auto status = co_await monitor_wait(d->record.dir);
            if (d->gone)
                co_return;
            if (!status) {
                // The monitor itself is gone: the guest's fate is unknown, treat it as a crash.
                m_log.write("Domain " + std::to_string(d->record.domid) + ": lost its monitor (" +
                            status.error().message + ")");
                co_await on_guest_exit(d, 255, false);
                co_return;
            }
            const bool killed = status->signal.has_value();
            const int code = status->exit_code.value_or(128 + status->signal.value_or(0));
            co_await on_guest_exit(d, code, killed);
        },
        asio::detached);
}

asio::awaitable<void> DomainManager::on_guest_exit(std::shared_ptr<Domain> d, int exit_code, bool killed)
{
    if (d->gone)
        co_return;
    const int domid = d->record.domid;
    if (d->destroy_requested) {
        if (d->restart_requested) {
            co_await restart(d);
            co_return;
        }
        m_log.write("Domain " + std::to_string(domid) + " destroyed");
        co_await finish(d);
        co_return;
    }
    // UML: 0 is a clean halt or poweroff; 134 a panic (SIGABRT); anything else a crash.
    const auto reason = exit_code == 0 && !killed ? protocol::ShutdownReason::poweroff
                                                  : protocol::ShutdownReason::crash;
    const ShutdownAction action = reason == protocol::ShutdownReason::poweroff ? d->spec.on_poweroff
                                                                               : d->spec.on_crash;
    m_log.write("Domain " + std::to_string(domid) + " has shut down, reason code " +
                std::to_string(reason == protocol::ShutdownReason::poweroff ? 0 : 3) +
                " (guest exit status " + std::to_string(exit_code) + ")");
    m_log.write("Action for shutdown reason code " +
                std::to_string(reason == protocol::ShutdownReason::poweroff ? 0 : 3) + " is " +
                std::string(to_string(action)));
    d->guest_pid = 0;
    co_await apply_action(d, action, reason);
}

asio::awaitable<void> DomainManager::apply_action(std::shared_ptr<Domain> d, ShutdownAction action,
                                                  protocol::ShutdownReason reason)
{
    const std::string id = std::to_string(d->record.domid);
    switch (action) {
    case ShutdownAction::coredump_destroy:
    case ShutdownAction::coredump_restart:
        m_log.write("Domain " + id + ": cannot dump core: the " + std::string(d->backend->name()) +
                    " backend cannot give a core of the guest");
        break;
    default:
        break;
    }
    switch (action) {
    case ShutdownAction::destroy:
    case ShutdownAction::coredump_destroy:
    case ShutdownAction::soft_reset:
        m_log.write("Domain " + id + " needs to be cleaned up: destroying the domain");
        co_await finish(d);
        break;
    case ShutdownAction::restart:
    case ShutdownAction::coredump_restart:
        co_await restart(d);
        break;
    case ShutdownAction::rename_restart: {
        const std::string old_name = d->record.name;
        d->record.name = old_name + "-" + utc_suffix();
        d->spec.uuid = generate_uuid();
        d->state = DomainState::shutdown;
        d->reason = reason;
        persist(*d);
        notify_waiters(*d);
        m_log.write("Domain " + id + " renamed to " + d->record.name + " and preserved");
        DomainSpec spec = d->spec;
        spec.name = old_name;
        spec.uuid = generate_uuid();
        auto again = co_await start(std::move(spec), d->record.config_json, d->record.config_path, false);
        if (!again)
            m_log.write("Domain " + old_name + ": restart failed: " + again.error().message);
        else
            m_log.write("Done. Rebooting now: " + old_name + " is domain " +
                        std::to_string((*again)->record.domid));
        break;
    }
    case ShutdownAction::preserve:
        d->state = DomainState::shutdown;
        d->reason = reason;
        persist(*d);
        notify_waiters(*d);
        m_log.write("Domain " + id + " preserved");
        break;
    }
}

asio::awaitable<void> DomainManager::restart(std::shared_ptr<Domain> d)
{
    DomainSpec spec = d->spec;
    const std::string config_json = d->record.config_json;
    const std::string config_path = d->record.config_path;
    const std::string old = std::to_string(d->record.domid);
    co_await finish(d);
    auto again = co_await start(std::move(spec), config_json, config_path, false);
    if (!again) {
        m_log.write("Domain " + old + ": restart failed: " + again.error().message);
        co_return;
    }
    m_log.write("Done. Rebooting now: domain " + old + " is now domain " +
                std::to_string((*again)->record.domid));
}

asio::awaitable<void> DomainManager::on_reboot(std::shared_ptr<Domain> d)
{
    if (d->gone || d->destroy_requested)
        co_return;
    const int old = d->record.domid;
    const ShutdownAction action = d->spec.on_reboot;
    m_log.write("Domain " + std::to_string(old) + " has shut down, reason code 1 (reboot)");
    m_log.write("Action for shutdown reason code 1 is " + std::string(to_string(action)));
    switch (action) {
    case ShutdownAction::restart:
    case ShutdownAction::rename_restart:
    case ShutdownAction::coredump_restart:
    case ShutdownAction::soft_reset: {
        if (d->record.devices_changed) {
            // UML re-executed its original command line, which no longer has the devices
            // attached or detached since: start the domain anew from its current config,
            // as xl does.
            m_log.write("Domain " + std::to_string(old) +
                        ": its devices changed since it started; starting it anew");
            d->destroy_requested = true;
            d->restart_requested = true;
            d->state = DomainState::dying;
            if (auto killed = co_await monitor_command(d->record.dir, "kill", std::chrono::seconds(5)); !killed)
                co_await restart(d);
            break;
        }
        // UML has already re-executed itself in place: the restart is done, and as with xl
        // the domain comes back under a new domid.
        // It booted with all its memory again: balloon it back to its target.
        d->record.memory_kb = d->record.boot_memory_kb;
        asio::co_spawn(m_executor, apply_memory_target(d), asio::detached);
        d->record.domid = m_store.next_domid();
        d->record.started_at = now_seconds();
        persist(*d);
        notify_waiters(*d);
        m_log.write("Done. Rebooting now: domain " + std::to_string(old) + " is now domain " +
                    std::to_string(d->record.domid));
        break;
    }
    case ShutdownAction::destroy:
    case ShutdownAction::coredump_destroy:
        m_log.write("Domain " + std::to_string(old) + " needs to be cleaned up: destroying the domain");
        (void)co_await destroy(std::to_string(old));
        break;
    case ShutdownAction::preserve:
        if (d->controller)
            (void)co_await d->controller->pause();
        d->state = DomainState::shutdown;
        d->reason = protocol::ShutdownReason::reboot;
        persist(*d);
        notify_waiters(*d);
        break;
    }
}

asio::awaitable<void> DomainManager::finish(std::shared_ptr<Domain> d)
{
    if (d->gone)
        co_return;
    d->gone = true;
    m_domains.erase(d->record.instance);
    if (d->controller)
        d->controller->close();
    (void)co_await monitor_command(d->record.dir, "release", std::chrono::seconds(5));
    co_await tear_down_devices(d->record);
    if (auto r = m_store.remove(d->record.instance); !r)
        m_log.write("warning: " + r.error().message);
    remove_tree(d->record.dir);
    notify_waiters(*d);
}

void DomainManager::notify_waiters(Domain& d)
{
    for (auto& timer : d.waiters)
        timer->cancel();
}

// ---- Requests -----------------------------------------------------------------------

asio::awaitable<Result<void>> DomainManager::shutdown(const std::string& domain, bool reboot)
{
    auto d = find_or_fail(domain);
    if (!d)
        co_return std::unexpected(d.error());
    auto dom = *d;
    if (dom->state == DomainState::shutdown)
        co_return fail(Errc::invalid_state, "Domain " + std::to_string(dom->record.domid) + " is already shut down.");
    if (reboot && !dom->backend->capabilities().reboot)
        co_return fail(Errc::unsupported, "The " + std::string(dom->backend->name()) + " backend cannot reboot a guest.");
    if (!dom->controller)
        co_return fail(Errc::unsupported, "The " + std::string(dom->backend->name()) + " backend has no control channel.");
    if (dom->state == DomainState::paused)
        (void)co_await dom->controller->unpause();
    // Never `c ? co_await a() : co_await b()`: g++ 12 destroys the chosen result twice,
    // which is a double free as soon as it holds an error.
    Result<void> r;
    if (reboot)
        r = co_await dom->controller->reboot();
    else
        r = co_await dom->controller->shutdown();
    if (!r)
        co_return fail(Errc::backend_failed, std::string(reboot ? "reboot" : "shutdown") + " failed: " + r.error().message);
    if (dom->state == DomainState::paused) {
        dom->state = DomainState::running;
        persist(*dom);
    }
    m_log.write(std::string(reboot ? "Rebooting" : "Shutting down") + " domain " +
                std::to_string(dom->record.domid));
    co_return Result<void>{};
}

asio::awaitable<Result<void>> DomainManager::destroy(const std::string& domain)
{
    auto d = find_or_fail(domain);
    if (!d)
        co_return std::unexpected(d.error());
    auto dom = *d;
    if (dom->state == DomainState::shutdown && dom->guest_pid == 0) {
        co_await finish(dom);
        co_return Result<void>{};
    }
    dom->destroy_requested = true;
    dom->state = DomainState::dying;
    auto killed = co_await monitor_command(dom->record.dir, "kill", std::chrono::seconds(5));
    if (!killed) {
        // The monitor is gone: nothing can run the guest any more; clean up what is left.
        co_await finish(dom);
        co_return Result<void>{};
    }
    auto waited = co_await wait(std::to_string(dom->record.domid), true, 30);
    if (!waited && waited.error().code == Errc::timeout)
        co_return fail(Errc::timeout, "destroy failed (rc=-3): the guest did not die within 30 s");
    co_return Result<void>{};
}

asio::awaitable<Result<void>> DomainManager::pause(const std::string& domain, bool pause)
{
    auto d = find_or_fail(domain);
    if (!d)
        co_return std::unexpected(d.error());
    auto dom = *d;
    if (!dom->backend->capabilities().pause || !dom->controller)
        co_return fail(Errc::unsupported, "The " + std::string(dom->backend->name()) + " backend cannot pause a guest.");
    if (pause && dom->state == DomainState::paused)
        co_return fail(Errc::invalid_state, "Domain " + std::to_string(dom->record.domid) + " is already paused.");
    if (!pause && dom->state != DomainState::paused)
        co_return fail(Errc::invalid_state, "Domain " + std::to_string(dom->record.domid) + " is not paused.");
    if (dom->state == DomainState::shutdown || dom->state == DomainState::dying)
        co_return fail(Errc::invalid_state, "Domain " + std::to_string(dom->record.domid) + " is not running.");
    Result<void> r;  // not a conditional of two co_awaits: see shutdown()
    if (pause)
        r = co_await dom->controller->pause();
    else
        r = co_await dom->controller->unpause();
    if (!r)
        co_return std::unexpected(r.error());
    dom->state = pause ? DomainState::paused : DomainState::running;
    persist(*dom);
    co_return Result<void>{};
}

asio::awaitable<Result<void>> DomainManager::sysrq(const std::string& domain, char key)
{
    auto d = find_or_fail(domain);
    if (!d)
        co_return std::unexpected(d.error());
    auto dom = *d;
    if (!dom->backend->capabilities().sysrq || !dom->controller)
        co_return fail(Errc::unsupported, "The " + std::string(dom->backend->name()) + " backend cannot send a sysrq.");
    auto r = co_await dom->controller->sysrq(key);
    if (!r)
        co_return std::unexpected(r.error());
    m_log.write("sysrq " + std::string(1, key) + " to domain " + std::to_string(dom->record.domid) + ": " + *r);
    co_return Result<void>{};
}

// Balloons the guest from what it has to its target, now; nothing to do when it is there.
asio::awaitable<Result<void>> DomainManager::balloon_to_target(std::shared_ptr<Domain> d)
{
    const std::uint64_t current = d->record.memory_kb;
    const std::uint64_t target = d->record.memory_target_kb;
    if (current == 0 || target == 0 || current == target)
        co_return Result<void>{};
    auto r = co_await d->controller->set_memory(current, target);
    if (!r)
        co_return r;
    if (!d->gone) {
        d->record.memory_kb = target;
        persist(*d);
    }
    m_log.write("Domain " + std::to_string(d->record.domid) + ": memory " + std::to_string(current / 1024) +
                " -> " + std::to_string(target / 1024) + " MiB");
    co_return Result<void>{};
}

// The same when the guest has just become able to take commands (boot, reboot in place,
// re-adoption): a failure is logged, there is nobody to tell.
asio::awaitable<void> DomainManager::apply_memory_target(std::shared_ptr<Domain> d)
{
    if (d->gone || !d->controller || !d->booted)
        co_return;
    auto r = co_await balloon_to_target(d);
    if (!r)
        m_log.write("Domain " + std::to_string(d->record.domid) + ": cannot balloon to " +
                    std::to_string(d->record.memory_target_kb / 1024) + " MiB: " + r.error().message);
}

asio::awaitable<Result<void>> DomainManager::set_memory(const std::string& domain, std::int64_t target_kb)
{
    auto d = find_or_fail(domain);
    if (!d)
        co_return std::unexpected(d.error());
    auto dom = *d;
    const std::string id = std::to_string(dom->record.domid);
    if (!dom->backend->capabilities().balloon || !dom->controller)
        co_return fail(Errc::unsupported, "The " + std::string(dom->backend->name()) +
                                              " backend cannot change a running guest's memory.");
    if (dom->state == DomainState::shutdown || dom->state == DomainState::dying)
        co_return fail(Errc::invalid_state, "Domain " + id + " is not running.");
    if (target_kb <= 0)
        co_return fail(Errc::invalid_argument, "A memory target must be more than 0.");
    const std::uint64_t boot = dom->record.boot_memory_kb;
    if (boot == 0)
        co_return fail(Errc::unsupported, "Domain " + id + " was started by an older uxld, which did not "
                                                           "record its boot memory; restart it to use mem-set.");
    if (static_cast<std::uint64_t>(target_kb) > boot)
        co_return fail(Errc::invalid_argument,
                       "Domain " + id + " booted with " + std::to_string(boot / 1024) + " MiB, and a " +
                           std::string(dom->backend->name()) +
                           " guest can be given back at most what it booted with; "
                           "set maxmem in its config to leave room.");
    dom->record.memory_target_kb = static_cast<std::uint64_t>(target_kb);
    persist(*dom);
    if (!dom->booted)
        co_return Result<void>{};  // applied once the guest can take commands
    co_return co_await balloon_to_target(dom);
}

Result<void> DomainManager::rename(const std::string& domain, const std::string& new_name)
{
    auto d = find_or_fail(domain);
    if (!d)
        return std::unexpected(d.error());
    if (auto ok = check_name(new_name); !ok)
        return ok;
    if (auto other = find(new_name); other && other != *d)
        return fail(Errc::already_exists, "Domain with name \"" + new_name + "\" already exists.");
    (*d)->record.name = new_name;
    (*d)->spec.name = new_name;
    persist(**d);
    return {};
}

asio::awaitable<Result<protocol::DomainInfo>> DomainManager::wait(const std::string& domain,
                                                                 bool death_only, int timeout_seconds)
{
    auto d = find_or_fail(domain);
    if (!d)
        co_return std::unexpected(d.error());
    auto dom = *d;
    const int domid = dom->record.domid;
    const auto deadline = timeout_seconds > 0
                              ? std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds)
                              : std::chrono::steady_clock::time_point::max();
    for (;;) {
        const bool gone = dom->gone || dom->record.domid != domid;
        if (gone || (!death_only && dom->state == DomainState::shutdown)) {
            protocol::DomainInfo info = info_of(*dom, false);
            info.domid = domid;
            info.dying = gone;
            co_return info;
        }
        if (std::chrono::steady_clock::now() >= deadline)
            co_return fail(Errc::timeout, "Domain " + std::to_string(domid) + " did not shut down in time.");
        auto timer = std::make_shared<asio::steady_timer>(m_executor);
        timer->expires_at(deadline == std::chrono::steady_clock::time_point::max()
                              ? std::chrono::steady_clock::now() + std::chrono::hours(24 * 365)
                              : deadline);
        dom->waiters.push_back(timer);
        boost::system::error_code ec;
        co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        std::erase(dom->waiters, timer);
    }
}

asio::awaitable<Result<asio::local::stream_protocol::socket>> DomainManager::console(const std::string& domain)
{
    auto d = find_or_fail(domain);
    if (!d)
        co_return std::unexpected(d.error());
    co_return co_await monitor_console((*d)->record.dir);
}

// ---- Devices ------------------------------------------------------------------------

namespace {

std::string_view xenstore_kind(protocol::DeviceKind kind)
{
    return kind == protocol::DeviceKind::nic ? "vif" : "vbd";
}

DeviceEntry* find_entry(DomainRecord& record, std::string_view kind, int devid)
{
    auto it = std::find_if(record.devices.begin(), record.devices.end(), [&](const DeviceEntry& e) {
        return e.kind == kind && e.devid == devid;
    });
    return it == record.devices.end() ? nullptr : &*it;
}

void erase_entry(DomainRecord& record, const std::string& key)
{
    std::erase_if(record.devices, [&](const DeviceEntry& e) { return e.key() == key; });
}

}  // namespace

Result<void> DomainManager::check_hotplug(const Domain& d, protocol::DeviceKind kind) const
{
    const std::string id = std::to_string(d.record.domid);
    const Capabilities caps = d.backend->capabilities();
    if (kind == protocol::DeviceKind::pci)
        return fail(Errc::unsupported, "The " + std::string(d.backend->name()) +
                                           " backend has no PCI passthrough.");
    if (!(kind == protocol::DeviceKind::disk ? caps.hotplug_disk : caps.hotplug_nic) || !d.controller)
        return fail(Errc::unsupported, "The " + std::string(d.backend->name()) + " backend cannot hot-plug " +
                                           (kind == protocol::DeviceKind::disk ? "disks." : "network devices."));
    if (d.gone || d.destroy_requested || d.state == DomainState::dying)
        return fail(Errc::invalid_state, "Domain " + id + " is being destroyed.");
    if (d.state == DomainState::shutdown)
        return fail(Errc::invalid_state, "Domain " + id + " has shut down.");
    if (!d.booted)
        return fail(Errc::invalid_state, "Domain " + id +
                                             " is still starting: devices can be attached once its kernel is up.");
    return {};
}

protocol::DeviceInfo DomainManager::device_info(const Domain& d, const DeviceEntry& entry) const
{
    protocol::DeviceInfo info;
    info.kind = entry.kind == "vif" ? protocol::DeviceKind::nic : protocol::DeviceKind::disk;
    info.devid = entry.devid;
    info.frontend_domid = d.record.domid;
    info.state = entry.state;
    info.backend = entry.backend;
    info.guest_device = entry.guest_name;
    if (info.kind == protocol::DeviceKind::nic) {
        for (const VifSpec& nic : d.spec.nics)
            if (nic.devid == entry.devid)
                info.mac = nic.mac.to_string();
    } else {
        info.vdev = number_to_vdev(entry.devid);
        for (const DiskSpec& disk : d.spec.disks)
            if (disk.vdev && vdev_to_number(*disk.vdev) == entry.devid)
                info.vdev = *disk.vdev;
    }
    return info;
}

Result<std::vector<protocol::DeviceInfo>> DomainManager::devices(const std::string& domain,
                                                                 protocol::DeviceKind kind) const
{
    auto found = find_or_fail(domain);
    if (!found)
        return std::unexpected(found.error());
    const Domain& d = **found;
    std::vector<protocol::DeviceInfo> out;
    if (kind == protocol::DeviceKind::pci) {
        for (const PciSpec& pci : d.spec.pcidevs) {
            protocol::DeviceInfo info;
            info.kind = kind;
            info.devid = static_cast<int>(pci.vdevfn);
            info.frontend_domid = d.record.domid;
            info.bdf = pci_spec_to_bdf(pci);
            out.push_back(std::move(info));
        }
        return out;
    }
    for (const DeviceEntry& entry : d.record.devices)
        if (entry.kind == xenstore_kind(kind))
            out.push_back(device_info(d, entry));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.devid < b.devid; });
    return out;
}

asio::awaitable<Result<protocol::DeviceInfo>> DomainManager::attach_device(const protocol::DeviceAttachRequest& request)
{
    auto found = find_or_fail(request.domain);
    if (!found)
        co_return std::unexpected(found.error());
    if (auto ok = check_hotplug(**found, request.kind); !ok)
        co_return std::unexpected(ok.error());
    if (request.kind == protocol::DeviceKind::disk)
        co_return co_await attach_disk(*found, request.spec);
    co_return co_await attach_nic(*found, request.spec);
}

asio::awaitable<Result<protocol::DeviceInfo>> DomainManager::attach_disk(std::shared_ptr<Domain> d,
                                                                        std::vector<std::string> words)
{
    const std::string id = std::to_string(d->record.domid);
    auto disk = parse_disk_spec(words, "command line");
    if (!disk)
        co_return fail(Errc::invalid_argument, disk.error().message);
    if (!disk->vdev || !vdev_to_number(*disk->vdev))
        co_return fail(Errc::invalid_argument, "The disk has no virtual device name (vdev=xvdb, ...).");
    const std::string vdev = *disk->vdev;
    const int devid = *vdev_to_number(vdev);
    if (find_entry(d->record, "vbd", devid))
        co_return fail(Errc::already_exists, "Domain " + id + " already has a disk " + vdev + ".");
    DomainSpec candidate = d->spec;
    candidate.disks.push_back(*disk);
    if (auto ok = d->backend->validate(candidate); !ok)
        co_return std::unexpected(ok.error());

    // The lowest free slot, reserved at once: another attach may run while this one waits.
    int slot = 0;
    const auto& reserved = d->record.reserved_disk_slots;
    while (std::find(reserved.begin(), reserved.end(), slot) != reserved.end() ||
           std::any_of(d->record.devices.begin(), d->record.devices.end(),
                       [&](const DeviceEntry& e) { return e.kind == "vbd" && e.slot == slot; }))
        ++slot;
    const std::string key = "vbd/" + std::to_string(devid);
    d->record.devices.push_back(DeviceEntry{"vbd", devid, slot, disk->pdev_path.value_or(""), 1, {}});
    persist(*d);

    DiskSpec launch = *disk;
    auto ready = co_await set_up_disk(d->record, launch);
    Result<std::string> attached = std::unexpected(Error{Errc::invalid_state, "Domain " + id + " went away.", {}});
    if (ready && !d->gone && d->controller) {
        const bool read_only = !launch.readwrite || launch.is_cdrom;
        std::string path = launch.pdev_path.value_or("");  // named: see set_up_nic
        attached = co_await d->controller->attach_disk(slot, std::move(path), read_only);
    } else if (!ready) {
        attached = std::unexpected(ready.error());
    }
    std::string what = "disk " + vdev, host = launch.pdev_path.value_or("");  // named: see set_up_nic
    std::function<void(DomainSpec&)> add = [&disk](DomainSpec& spec) { spec.disks.push_back(*disk); };
    co_return co_await finish_attach(d, key, std::move(what), std::move(host), std::move(add), std::move(attached));
}

asio::awaitable<Result<protocol::DeviceInfo>> DomainManager::attach_nic(std::shared_ptr<Domain> d,
                                                                       std::vector<std::string> words)
{
    const std::string id = std::to_string(d->record.domid);
    std::vector<std::string> warnings;
    auto nic = parse_network_attach_tokens(words, &warnings);
    if (!nic)
        co_return fail(Errc::invalid_argument, nic.error().message);
    for (const auto& w : warnings)
        m_log.write("Domain " + id + ": network-attach: " + w);
    if (nic->devid < 0) {
        // As libxl: one more than the highest devid in use.
        int next = 0;
        for (const DeviceEntry& e : d->record.devices)
            if (e.kind == "vif")
                next = std::max(next, e.devid + 1);
        for (const VifSpec& other : d->spec.nics)
            next = std::max(next, other.devid + 1);
        nic->devid = next;
    }
    if (find_entry(d->record, "vif", nic->devid))
        co_return fail(Errc::already_exists, "Domain " + id + " already has a vif " + std::to_string(nic->devid) + ".");
    if (nic->mac.is_zero())
        nic->mac = generate_xen_mac();
    DomainSpec candidate = d->spec;
    candidate.nics.push_back(*nic);
    if (auto ok = d->backend->validate(candidate); !ok)
        co_return std::unexpected(ok.error());

    const std::string key = "vif/" + std::to_string(nic->devid);
    d->record.devices.push_back(DeviceEntry{"vif", nic->devid, nic->devid, {}, 1, {}});
    persist(*d);

    VifSpec launch = *nic;
    auto ready = co_await set_up_nic(d->record, launch);
    Result<std::string> attached = std::unexpected(Error{Errc::invalid_state, "Domain " + id + " went away.", {}});
    if (ready && !d->gone && d->controller) {
        std::string tap = launch.ifname.value_or("");  // named: see set_up_nic
        std::string mac = nic->mac.to_string();
        attached = co_await d->controller->attach_nic(nic->devid, std::move(tap), std::move(mac));
    } else if (!ready)
        attached = std::unexpected(ready.error());
    std::string what = "vif " + std::to_string(nic->devid), host = launch.ifname.value_or("");  // named
    std::function<void(DomainSpec&)> add = [&nic](DomainSpec& spec) { spec.nics.push_back(*nic); };
    co_return co_await finish_attach(d, key, std::move(what), std::move(host), std::move(add), std::move(attached));
}

// The end of every attach. When the guest refused, a step failed or the domain went away
// meanwhile, the device's host side is torn down and its reservation dropped. Otherwise
// it is connected: its host side and guest name recorded, and `add_to_spec` puts it in
// the stored config, as libxl does.
asio::awaitable<Result<protocol::DeviceInfo>> DomainManager::finish_attach(std::shared_ptr<Domain> d, std::string key,
                                                                          std::string what, std::string host,
                                                                          std::function<void(DomainSpec&)> add_to_spec,
                                                                          Result<std::string> attached)
{
    const std::string id = std::to_string(d->record.domid);
    if (!attached || d->gone) {
        co_await tear_down_device(d->record, key);
        erase_entry(d->record, key);
        if (d->gone)
            (void)m_store.remove(d->record.instance);
        else
            persist(*d);
        co_return fail(attached ? Errc::invalid_state : attached.error().code,
                       "Cannot attach " + what + " to domain " + id + ": " +
                           (attached ? "the domain went away" : attached.error().message));
    }
    auto it = std::find_if(d->record.devices.begin(), d->record.devices.end(),
                           [&](const DeviceEntry& e) { return e.key() == key; });
    it->state = 4;
    it->backend = std::move(host);
    it->guest_name = *attached;
    add_to_spec(d->spec);
    d->record.config_json = domain_spec_to_libxl_yajl(d->spec);
    d->record.devices_changed = true;
    persist(*d);
    m_log.write("Domain " + id + ": " + what + " attached as " + *attached + " (" + it->backend + ")");
    co_return device_info(*d, *it);
}

asio::awaitable<Result<void>> DomainManager::detach_device(const protocol::DeviceDetachRequest& request)
{
    auto found = find_or_fail(request.domain);
    if (!found)
        co_return std::unexpected(found.error());
    std::shared_ptr<Domain> d = *found;
    if (auto ok = check_hotplug(*d, request.kind); !ok)
        co_return std::unexpected(ok.error());
    const std::string id = std::to_string(d->record.domid);
    const bool is_disk = request.kind == protocol::DeviceKind::disk;

    // xl: a disk by vdev name or number; a nic by MAC (it has a ':') or by devid (atoi).
    std::optional<int> devid;
    if (is_disk) {
        devid = all_digits(request.device) ? std::optional<int>(std::atoi(request.device.c_str()))
                                           : vdev_to_number(request.device);
    } else if (request.device.find(':') != std::string::npos) {
        auto mac = parse_mac(request.device);
        for (const VifSpec& nic : d->spec.nics)
            if (mac && nic.mac == *mac)
                devid = nic.devid;
    } else {
        devid = std::atoi(request.device.c_str());
    }
    DeviceEntry* entry = devid ? find_entry(d->record, is_disk ? "vbd" : "vif", *devid) : nullptr;
    if (!entry)
        co_return fail(Errc::not_found, (is_disk ? "Error: Device " + request.device + " not connected."
                                                 : "Unknown device " + request.device + "."));
    if (entry->state != 4)
        co_return fail(Errc::invalid_state, "Device " + request.device + " of domain " + id +
                                                " is being attached or detached.");
    const std::string key = entry->key();
    const std::string guest_name = entry->guest_name;
    const int slot = entry->slot;
    const bool empty_drive = is_disk && entry->backend.empty();  // nothing in the guest
    entry->state = 5;
    Result<void> detached;  // not a conditional of two co_awaits: see shutdown()
    if (empty_drive)
        detached = {};
    else if (is_disk)
        detached = co_await d->controller->detach_disk(slot);
    else
        detached = co_await d->controller->detach_nic(slot);
    if (d->gone)
        co_return fail(Errc::invalid_state, "Domain " + id + " went away.");
    if (!detached) {
        if (DeviceEntry* again = find_entry(d->record, is_disk ? "vbd" : "vif", *devid))
            again->state = 4;
        std::string advice = is_disk ? "unmount or close it inside the guest first"
                                     : "bring " + guest_name + " down inside the guest first";
        if (is_disk && request.force)
            advice += "; UML cannot take a disk from a guest that has it open, even with -f";
        co_return fail(detached.error().code, "Domain " + id + " still uses " + request.device +
                                                  (guest_name.empty() ? "" : " (" + guest_name + ")") +
                                                  ": " + detached.error().message + "; " + advice + ".");
    }
    co_await tear_down_device(d->record, key);
    erase_entry(d->record, key);
    if (is_disk)
        std::erase_if(d->spec.disks, [&](const DiskSpec& disk) { return disk.vdev && vdev_to_number(*disk.vdev) == devid; });
    else
        std::erase_if(d->spec.nics, [&](const VifSpec& nic) { return nic.devid == *devid; });
    d->record.config_json = domain_spec_to_libxl_yajl(d->spec);
    d->record.devices_changed = true;
    if (!d->gone)
        persist(*d);
    m_log.write("Domain " + id + ": " + key + " (" + guest_name + ") detached");
    co_return Result<void>{};
}

// ---- Re-adoption --------------------------------------------------------------------

asio::awaitable<void> DomainManager::adopt_existing()
{
    std::vector<std::string> problems;
    auto records = m_store.load_all(problems);
    for (const auto& p : problems)
        m_log.write("warning: " + p);
    for (auto& record : records) {
        auto d = std::make_shared<Domain>();
        d->record = record;
        auto spec = domain_spec_from_libxl_json(record.config_json);
        auto backend = spec ? make_backend(spec->backend) : Result<std::unique_ptr<Backend>>(std::unexpected(spec.error()));
        if (!spec || !backend) {
            m_log.write("Domain " + std::to_string(record.domid) + ": stale state, removed (" +
                        (spec ? backend.error().message : spec.error().message) + ")");
            (void)co_await monitor_command(record.dir, "kill", std::chrono::seconds(5));
            (void)co_await monitor_command(record.dir, "release", std::chrono::seconds(5));
            (void)m_store.remove(record.instance);
            remove_tree(record.dir);
            continue;
        }
        d->spec = std::move(*spec);
        d->backend = std::move(*backend);
        // An attach or detach the old daemon did not finish: the device was not in the
        // config yet (attach) or still is (detach). Undo the half attach's host side; a
        // half detach stays attached, since the guest may still use it.
        for (DeviceEntry& entry : std::vector<DeviceEntry>(d->record.devices)) {
            if (entry.state == 1) {
                m_log.write("Domain " + std::to_string(record.domid) + ": undoing the unfinished attach of " +
                            entry.key());
                co_await tear_down_device(d->record, entry.key());
                erase_entry(d->record, entry.key());
            } else if (entry.state == 5) {
                if (DeviceEntry* again = find_entry(d->record, entry.kind, entry.devid))
                    again->state = 4;
            }
        }
        auto status = co_await monitor_status(record.dir);
        if (!status) {
            m_log.write("Domain " + std::to_string(record.domid) + " (" + record.name +
                        "): its monitor is gone; removing what is left");
            co_await tear_down_devices(record);
            (void)m_store.remove(record.instance);
            remove_tree(record.dir);
            continue;
        }
        d->guest_pid = status->running ? status->guest_pid : 0;
        d->state = record.shut_down ? DomainState::shutdown
                   : record.paused  ? DomainState::paused
                                    : DomainState::running;
        d->reason = protocol::parse_shutdown_reason(record.reason).value_or(protocol::ShutdownReason::none);
        d->booted = true;
        m_domains[record.instance] = d;
        if (status->running) {
            attach_controller(d, true);
            m_log.write("Domain " + std::to_string(record.domid) + " (" + record.name + ") re-adopted");
            watch(d);
        } else if (d->state == DomainState::shutdown) {
            m_log.write("Domain " + std::to_string(record.domid) + " (" + record.name + ") re-adopted, shut down");
        } else {
            const bool killed = status->signal.has_value();
            const int code = status->exit_code.value_or(128 + status->signal.value_or(0));
            m_log.write("Domain " + std::to_string(record.domid) + " (" + record.name +
                        ") exited while uxld was down; applying its action now");
            co_await on_guest_exit(d, code, killed);
        }
    }
}

}  // namespace uxl::daemon
