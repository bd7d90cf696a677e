#include "device_setup.h"

#include "tap_device.h"
#include "undo_list.h"

#include "uxl/vdev.h"

#include <algorithm>
#include <filesystem>

#include <unistd.h>

namespace fs = std::filesystem;

namespace uxl::daemon {

DeviceSetup::DeviceSetup(asio::any_io_executor executor, const DaemonPaths& paths, DaemonLog& log,
                         StateStore& store, DeviceDefaults defaults, const GuestUidPool& uids)
    : m_executor(std::move(executor)), m_paths(paths), m_log(log), m_store(store), m_defaults(std::move(defaults)),
      m_uids(uids)
{
}

std::string DeviceSetup::resolve_script(const std::string& script) const
{
    // As libxl (libxl__abs_path): an absolute path is used as it is, anything else is
    // relative to the scripts directory, never to the daemon's working directory.
    if (script.starts_with('/'))
        return script;
    return m_paths.scripts_dir + "/" + script;
}

asio::awaitable<Result<void>> DeviceSetup::set_up_all(DomainRecord& record, DomainSpec& configured,
                                                      DomainSpec& launch)
{
    for (size_t i = 0; i < launch.nics.size(); ++i) {
        VifSpec& nic = launch.nics[i];
        if (nic.mac.is_zero()) {
            nic.mac = generate_xen_mac();
            configured.nics[i].mac = nic.mac;
        }
        auto ok = co_await set_up_nic(record, nic);
        if (!ok)
            co_return ok;
    }
    for (DiskSpec& disk : launch.disks) {
        auto ok = co_await set_up_disk(record, disk);
        if (!ok)
            co_return ok;
    }
    co_return Result<void>{};
}

// Runs `script setup args...`; once it has succeeded, records (and persists) the step
// `script teardown args...` for device `key`, with the same environment.
asio::awaitable<Result<HookOutcome>> DeviceSetup::run_paired_hook(DomainRecord& record, std::string key,
                                                                 std::string script, std::string setup,
                                                                 std::string teardown,
                                                                 std::vector<std::string> args,
                                                                 std::vector<std::string> env)
{
    std::vector<std::string> first = args;
    first.insert(first.begin(), setup);
    // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
    HookSpec hook{script, first, env, m_defaults.hotplug_timeout, m_paths.hotplug_log()};
    auto ran = co_await run_hook(m_executor, std::move(hook));
    if (!ran) {
        // A script missing from the scripts directory means the scripts were never
        // installed where this uxld looks: say where that is and what goes there.
        if (ran.error().code == Errc::not_found && script.starts_with(m_paths.scripts_dir + "/"))
            ran.error().message += "; uxld's hook scripts directory is " + m_paths.scripts_dir +
                                   " (uxld --print-paths): install uxl's scripts there with `cmake --install "
                                   "BUILD_DIR', or copy share/scripts/" +
                                   fs::path(script).filename().string() + " from the source tree";
        co_return ran;
    }
    args.insert(args.begin(), teardown);
    record.teardown.push_back(TeardownStep{key, {}, script, std::move(args), std::move(env)});
    (void)m_store.save(record);
    co_return ran;
}

asio::awaitable<Result<void>> DeviceSetup::set_up_nic(DomainRecord& record, VifSpec& nic)
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
    // An unprivileged guest opens its tap itself: the tap is its uid's.
    const uid_t owner = record.guest_uid >= 0 ? static_cast<uid_t>(record.guest_uid) : 0;
    if (auto ok = create_tap(tap, nic.mac, owner); !ok)
        co_return fail(ok.error().code, "vif " + devid + ": " + ok.error().message);
    record.teardown.push_back(TeardownStep{key, tap, {}, {}, {}});
    (void)m_store.save(record);
    nic.ifname = tap;
    if (nic.rate_bytes_per_interval > 0) {
        auto limited = co_await limit_rate(record, key, tap, nic);
        if (!limited)
            co_return fail(limited.error().code, "vif " + devid + ": " + limited.error().message);
    }

    const std::string script = resolve_script(nic.script.value_or(m_defaults.vif_script));
    const std::string bridge = nic.bridge && !nic.bridge->empty() ? *nic.bridge : m_defaults.vif_bridge;
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

// xl's rate= limits what the guest sends (netback's credit: so many bytes each interval).
// What the guest sends arrives on the host tap's ingress, where only policing is possible,
// and many kernels (this project's CI hosts among them) lack tc's police action. So the
// tap's ingress is redirected (u32 match-all, mirred) to an ifb device of its own, whose
// tbf qdisc sends it on at the same bytes per second, with one interval's credit (at least
// a full frame) as its burst. The ifb has its own teardown step; the qdiscs go with the
// devices.
asio::awaitable<Result<void>> DeviceSetup::limit_rate(DomainRecord& record, const std::string& key,
                                                      const std::string& tap, const VifSpec& nic)
{
    const std::uint64_t interval = nic.rate_interval_usecs ? nic.rate_interval_usecs : 50000;
    const std::uint64_t bytes_per_second = std::max<std::uint64_t>(nic.rate_bytes_per_interval * 1000000 / interval, 1);
    const std::uint64_t burst = std::max<std::uint64_t>(nic.rate_bytes_per_interval, 1600);
    const std::string ifb = "ifb" + std::to_string(record.domid) + "." + std::to_string(nic.devid);
    if (auto ok = validate_interface_name(ifb); !ok)
        co_return fail(Errc::invalid_argument, "cannot name the rate limiter of " + tap + ": " + ok.error().message);
    // iproute2's programs, wherever this Debian keeps them (/usr/sbin with merged /usr).
    auto program = [](std::string_view name) {
        for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"})
            if (std::string path = dir + std::string(name); ::access(path.c_str(), X_OK) == 0)
                return path;
        return "/usr/sbin/" + std::string(name);  // missing: run_hook says so
    };
    const std::string ip = program("ip");
    const std::string tc = program("tc");
    auto run = [this](std::string program, std::vector<std::string> args) -> asio::awaitable<Result<HookOutcome>> {
        HookSpec hook{std::move(program), std::move(args), {}, m_defaults.hotplug_timeout, m_paths.hotplug_log()};
        co_return co_await run_hook(m_executor, std::move(hook));
    };
    std::vector<std::string> add_ifb = {"link", "add", ifb, "type", "ifb"};
    auto made = co_await run(ip, std::move(add_ifb));
    if (!made)
        co_return fail(made.error().code, "cannot limit " + tap + " to rate=: " + made.error().message);
    record.teardown.push_back(TeardownStep{key, {}, ip, {"link", "delete", ifb}, {}});
    (void)m_store.save(record);
    const std::vector<std::pair<std::string, std::vector<std::string>>> steps = {
        {ip, {"link", "set", ifb, "up"}},
        {tc, {"qdisc", "add", "dev", ifb, "root", "tbf", "rate", std::to_string(bytes_per_second) + "bps", "burst",
              std::to_string(burst), "latency", "50ms"}},
        {tc, {"qdisc", "add", "dev", tap, "handle", "ffff:", "ingress"}},
        {tc, {"filter", "add", "dev", tap, "parent", "ffff:", "protocol", "all", "prio", "1", "u32", "match", "u32", "0",
              "0", "action", "mirred", "egress", "redirect", "dev", ifb}}};
    for (const auto& [program, args] : steps) {
        auto ran = co_await run(program, args);
        if (!ran)
            co_return fail(ran.error().code, "cannot limit " + tap + " to rate=: " + ran.error().message);
    }
    co_return Result<void>{};
}

Result<void> DeviceSetup::lend_to_guest(DomainRecord& record, const std::string& key, const std::string& path,
                                        bool write, const std::string& what)
{
    if (record.guest_uid < 0 || path.empty())
        return {};
    const auto uid = static_cast<uid_t>(record.guest_uid);
    const auto gid = static_cast<gid_t>(record.guest_gid);
    auto lent = UXL_TRY(lend(path, uid, gid, write, m_uids, what));
    if (!lent)
        return {};
    TeardownStep step;
    step.device = key;
    step.lent_path = lent->path;
    step.lent_uid = lent->uid;
    step.lent_gid = lent->gid;
    step.lent_mode = lent->mode;
    record.teardown.push_back(std::move(step));
    (void)m_store.save(record);
    return {};
}

asio::awaitable<Result<void>> DeviceSetup::set_up_disk(DomainRecord& record, DiskSpec& disk)
{
    const std::string vdev = disk.vdev.value_or("");
    const std::string key = "vbd/" + std::to_string(vdev_to_number(vdev).value_or(0));
    if (!disk.script || disk.script->empty()) {
        UXL_CO_TRY(lend_to_guest(record, key, disk.pdev_path.value_or(""), disk.readwrite, "disk " + vdev));
        co_return Result<void>{};
    }
    const std::string domid = std::to_string(record.domid);
    const std::string script = resolve_script(*disk.script);
    const std::string target = disk.pdev_path.value_or("");
    const std::string mode = disk.readwrite ? "w" : "r";
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
    UXL_CO_TRY(lend_to_guest(record, key, path, disk.readwrite, "disk " + vdev));
    co_return Result<void>{};
}

void DeviceSetup::give_back_lent(DomainRecord& record, const std::string& key, const std::string& keep)
{
    auto lent_here = [&](const TeardownStep& t) {
        return t.device == key && !t.lent_path.empty() && t.lent_path != keep && t.script.empty() && t.tap.empty();
    };
    for (const TeardownStep& step : record.teardown)
        if (lent_here(step))
            give_back_step(record, step);
    std::erase_if(record.teardown, lent_here);
    (void)m_store.save(record);
}

// Runs one teardown step: its hook, then its tap, then the file it gives back.
asio::awaitable<void> DeviceSetup::run_teardown_step(const DomainRecord& record, TeardownStep step)
{
    if (!step.script.empty()) {
        HookSpec hook{step.script, step.args, step.env, m_defaults.hotplug_timeout, m_paths.hotplug_log()};
        auto ran = co_await run_hook(m_executor, std::move(hook));
        if (!ran)
            m_log.write("Domain " + std::to_string(record.domid) + ": " + ran.error().message);
    }
    if (!step.tap.empty()) {
        if (auto ok = delete_tap(step.tap); !ok)
            m_log.write("Domain " + std::to_string(record.domid) + ": " + ok.error().message);
    }
    give_back_step(record, step);
}

void DeviceSetup::give_back_step(const DomainRecord& record, const TeardownStep& step)
{
    if (step.lent_path.empty() || record.guest_uid < 0)
        return;
    Lent lent{step.lent_path, step.lent_uid, step.lent_gid, static_cast<mode_t>(step.lent_mode)};
    if (auto ok = give_back(lent, static_cast<uid_t>(record.guest_uid)); !ok)
        m_log.write("Domain " + std::to_string(record.domid) + ": " + ok.error().message);
}

asio::awaitable<void> DeviceSetup::tear_down_all(DomainRecord& record)
{
    while (!record.teardown.empty()) {
        TeardownStep step = record.teardown.back();
        record.teardown.pop_back();
        co_await run_teardown_step(record, std::move(step));
        (void)m_store.save(record);
    }
}

asio::awaitable<void> DeviceSetup::tear_down(DomainRecord& record, std::string key)
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

}  // namespace uxl::daemon
