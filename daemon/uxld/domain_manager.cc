#include "domain_manager.h"

#include "domain_dir.h"

#include "uxl/domain_name.h"
#include "guarded.h"
#include "host_info.h"
#include "monitor_client.h"

#include "uxl/monitor_plan.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

// g++ 12 and coroutines, two rules learnt the hard way (each crashed uxld with a double
// free): never `c ? co_await a() : co_await b()`, and never pass a braced temporary straight
// into a co_awaited call (use a named local).

namespace fs = std::filesystem;

namespace uxl::daemon {
namespace {

std::string utc_suffix()
{
    char buf[32];
    std::time_t now = std::time(nullptr);
    std::tm tm {};
    ::gmtime_r(&now, &tm);
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%MZ", &tm);
    return buf;
}

std::string read_mount_table()
{
    std::ifstream in("/proc/self/mounts");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

std::string_view to_string(DomainState state)
{
    switch (state) {
    case DomainState::starting: return "starting";
    case DomainState::running: return "running";
    case DomainState::paused: return "paused";
    case DomainState::shutdown: return "shutdown";
    case DomainState::dying: return "dying";
    case DomainState::gone: return "gone";
    }
    return "gone";
}

DomainManager::DomainManager(asio::any_io_executor executor, asio::thread_pool& pool,
                             DaemonPaths paths, DaemonLog& log)
    : m_executor(std::move(executor)), m_pool(pool), m_paths(std::move(paths)), m_log(log),
      m_store(m_paths.state_dir),
      m_conf(load_uxl_conf(m_paths.config_file, m_log)),
      m_uids(m_conf.guests),
      m_devices(m_executor, m_paths, m_log, m_store, m_conf.devices, m_uids),
      m_cgroups(Cgroups::set_up(find_cgroup_mounts(read_mount_table()), cgroup_parent_name(m_paths.system_mode,
                                                                                         cgroup_instance())))
{
}

void DomainManager::announce_backends()
{
    if (m_uids.enabled())
        m_log.write("Guests run unprivileged, each under a uid of its own from " + std::to_string(m_uids.settings().first) +
                    "-" + std::to_string(m_uids.settings().last));
    else if (m_uids.settings().as_root)
        m_log.write("warning: guests run as root (uxl.conf guest.run_as_root = 1): a guest that escapes its kernel "
                    "is root on this host");
    else
        m_log.write("Guests run as uxld's own user (uxld is not root)");
    if (m_cgroups.usable())
        m_log.write("guests get cgroups: " + m_cgroups.description());
    else
        m_log.write("warning: guests run without limits (memory, cpu_weight, cap, cpus): no usable cgroups: " +
                    m_cgroups.why_not());
    auto qemu = make_backend(BackendKind::qemu, m_conf.backends);
    if (!qemu) {
        m_log.write("warning: " + qemu.error().message + "; QEMU guests cannot be created");
        return;
    }
    for (const auto& [key, value] : (*qemu)->host_facts())
        if (key == "qemu_accelerator")
            m_log.write("QEMU guests run under " + value);
}

// ---- The table ----------------------------------------------------------------------

std::shared_ptr<Domain> DomainManager::find_by_name(const std::string& name) const
{
    // A domain that has handed its name to its successor (a restart in progress) no longer
    // answers to it.
    for (const auto& [instance, d] : m_domains)
        if (d->record.name == name && !d->successor)
            return d;
    return nullptr;
}

std::shared_ptr<Domain> DomainManager::find(const std::string& qualifier) const
{
    if (!is_domid_text(qualifier))
        return find_by_name(qualifier);
    for (const auto& [instance, d] : m_domains)
        if (std::to_string(d->record.domid) == qualifier)
            return d;
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

Result<std::shared_ptr<Domain>> DomainManager::reserve(DomainSpec spec, std::string config_json,
                                                       std::string config_path, std::optional<int> domid,
                                                       const std::shared_ptr<Domain>& replacing)
{
    if (auto other = find_by_name(spec.name); other && other != replacing)
        return fail(Errc::already_exists, "Domain with name \"" + spec.name + "\" already exists.");
    auto d = std::make_shared<Domain>();
    // The instance names the domain's directory and state file: always new, even when a
    // soft reset keeps the domid, so that the two incarnations never share them.
    d->record.instance = m_store.next_domid();
    d->record.domid = domid.value_or(d->record.instance);
    d->record.name = spec.name;
    d->record.config_json = std::move(config_json);
    d->record.config_path = std::move(config_path);
    d->spec = std::move(spec);
    d->state = DomainState::starting;
    if (replacing)
        replacing->successor = d;
    m_domains[d->record.instance] = d;
    return d;
}

void DomainManager::drop(Domain& d)
{
    d.state = DomainState::gone;
    m_domains.erase(d.record.instance);
    notify_waiters(d);
}

std::vector<int> DomainManager::guest_domids() const
{
    std::vector<int> ids;
    for (const auto& [instance, d] : m_domains)
        ids.push_back(d->record.domid);
    std::sort(ids.begin(), ids.end());
    return ids;
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
    info.weight = static_cast<int>(d.spec.cpu_weight.value_or(256));
    info.cap = static_cast<int>(d.spec.cap.value_or(0));
    if (with_config)
        info.config_json = d.record.config_json;
    if (with_vcpus) {
        // Each vCPU is a host thread the controller names, or the guest process itself when
        // it is its one vCPU. A paused guest's are neither running nor blocked; one that
        // has shut down has them offline.
        std::vector<int> threads = d.controller ? d.controller->vcpu_threads() : std::vector<int>{};
        if (threads.empty())
            threads.push_back(0);
        for (size_t i = 0; i < threads.size(); ++i) {
            const ProcStat t = threads[i] > 0 ? read_proc_stat(d.guest_pid, threads[i]) : st;
            protocol::VcpuInfo vcpu;
            vcpu.id = static_cast<int>(i);
            vcpu.cpu = t.processor;
            vcpu.online = t.alive && d.state != DomainState::shutdown;
            vcpu.running = vcpu.online && d.state == DomainState::running && t.state == 'R';
            vcpu.blocked = vcpu.online && d.state == DomainState::running && t.state != 'R';
            vcpu.seconds = t.cpu_seconds;
            const pid_t thread = threads[i] > 0 ? threads[i] : d.guest_pid;
            fill_affinity(d, vcpu.id, t.alive ? thread : 0, vcpu);
            info.vcpu_list.push_back(vcpu);
        }
    }
    return info;
}

Result<std::vector<protocol::DomainInfo>> DomainManager::list(const std::string& domain,
                                                              bool with_config, bool with_vcpus) const
{
    std::vector<protocol::DomainInfo> out;
    if (!domain.empty()) {
        if (domain == "0" || domain == "Domain-0") {
            out.push_back(host_domain_info(with_config, with_vcpus));
            return out;
        }
        auto d = find(domain);
        if (!d) {
            if (is_domid_text(domain))
                return fail(Errc::not_found, "Error: Domain '" + domain + "' does not exist.");
            return fail(Errc::not_found, domain + " is an invalid domain identifier (rc=-6)");
        }
        out.push_back(info_of(*d, with_config, with_vcpus));
        return out;
    }
    out.push_back(host_domain_info(with_config, with_vcpus));
    std::vector<protocol::DomainInfo> guests;
    guests.reserve(m_domains.size());
    for (const auto& [instance, d] : m_domains)
        guests.push_back(info_of(*d, with_config, with_vcpus));
    std::sort(guests.begin(), guests.end(), [](const auto& a, const auto& b) { return a.domid < b.domid; });
    out.insert(out.end(), guests.begin(), guests.end());
    return out;
}

std::vector<std::pair<std::string, std::string>> DomainManager::host_info() const
{
    auto lines = host_info_lines(m_paths, m_conf.backends, m_domains.size());
    const GuestUserSettings& users = m_uids.settings();
    std::string guest_users = m_uids.enabled() ? "uids " + std::to_string(users.first) + "-" + std::to_string(users.last)
                              : users.as_root  ? std::string("root (uxl.conf guest.run_as_root = 1)")
                                               : std::string("uxld's own user (uxld is not root)");
    lines.emplace_back("guest_users", guest_users);
    lines.emplace_back("cgroups", m_cgroups.description());
    return lines;
}

void DomainManager::persist_spec(Domain& d)
{
    d.record.config_json = domain_spec_to_libxl_yajl(d.spec);
    persist(d);
}

void DomainManager::persist(Domain& d)
{
    if (d.state == DomainState::gone || d.state == DomainState::starting)
        return;  // a starting domain is saved by create's last step; a gone one never again
    d.record.paused = d.state == DomainState::paused;
    d.record.shut_down = d.state == DomainState::shutdown;
    d.record.reason = d.state == DomainState::shutdown ? std::string(to_string(d.reason)) : "";
    if (auto r = m_store.save(d.record); !r)
        m_log.write("warning: " + r.error().message);
}

void DomainManager::log_domain(const Domain& d, const std::string& text)
{
    m_log.write("Domain " + d.id() + text);
}

// ---- Life ---------------------------------------------------------------------------

void DomainManager::on_controller_event(const std::shared_ptr<Domain>& d, ControllerEvent event)
{
    if (d->state == DomainState::gone)
        return;
    switch (event.kind) {
    case GuestEvent::control_ready:
        d->control = ControlState::ready;
        // Booted with maxmem: balloon down to `memory` (or the last mem-set) now.
        spawn_guarded(m_executor, m_log, "domain " + d->id() + ": balloon", apply_memory_target(d));
        if (d->after_boot == AfterBoot::pause && d->state == DomainState::running) {
            d->after_boot = AfterBoot::run;
            spawn_guarded(m_executor, m_log, "domain " + d->id() + ": pause", pause(d->id(), true));
        }
        break;
    case GuestEvent::shutdown_requested:
        d->requested_reason = event.reason;
        if (event.reason == ShutdownReason::crash)
            log_domain(*d, " panicked: " + event.text);
        else
            log_domain(*d, " is going down (" + std::string(to_string(event.reason)) + ")" +
                               (event.text.empty() ? "" : ": " + event.text));
        // A guest whose watchdog fired is hung and will not exit by itself.
        if (event.reason == ShutdownReason::watchdog)
            spawn_guarded(m_executor, m_log, "domain " + d->id() + ": watchdog", stop_guest(d));
        else if (event.reason == ShutdownReason::reboot && d->host_request)
            d->requested_reason = d->host_request;  // a reboot after `uxl shutdown` is a poweroff
        break;
    case GuestEvent::rebooted_in_place:
        spawn_guarded(m_executor, m_log, "domain " + d->id() + ": reboot", on_rebooted_in_place(d));
        break;
    case GuestEvent::paused:
    case GuestEvent::resumed:
        if (d->active()) {
            d->state = event.kind == GuestEvent::paused ? DomainState::paused : DomainState::running;
            persist(*d);
        }
        break;
    case GuestEvent::message:
        log_domain(*d, " says: " + event.text);
        break;
    }
}

void DomainManager::watch(std::shared_ptr<Domain> d)
{
    auto task = [this, d]() -> asio::awaitable<void> {
        auto status = co_await monitor_wait(d->record.dir);
        if (d->state == DomainState::gone)
            co_return;
        GuestExit exit;
        if (!status) {
            // The monitor itself is gone: the guest's fate is unknown, treat it as a crash.
            log_domain(*d, ": lost its monitor (" + status.error().message + ")");
            exit.exit_code = 255;
        } else {
            exit.exit_code = status->exit_code;
            exit.signal = status->signal;
        }
        co_await on_guest_exit(d, exit);
    };
    // The lambda itself, not a call of it: co_spawn keeps the function object (and so its
    // captures) alive for as long as the coroutine runs.
    spawn_guarded(m_executor, m_log, "domain " + d->id() + ": watch", std::move(task));
}

asio::awaitable<void> DomainManager::on_guest_exit(std::shared_ptr<Domain> d, GuestExit exit)
{
    if (d->state == DomainState::gone)
        co_return;
    d->guest_pid = 0;
    if (d->state == DomainState::dying) {
        log_domain(*d, " destroyed");
        co_await finish(d);
        co_return;
    }
    const ShutdownReason reason = d->requested_reason.value_or(d->backend->exit_reason(exit));
    d->requested_reason.reset();
    d->host_request.reset();
    const int status = exit.exit_code.value_or(128 + exit.signal.value_or(0));
    const LifecycleDecision decision = decide(reason, d->spec);
    log_domain(*d, " has shut down, reason code " + std::to_string(shutdown_reason_code(reason)) +
                       " (guest exit status " + std::to_string(status) + ")");
    m_log.write("Action for shutdown reason code " + std::to_string(shutdown_reason_code(reason)) + " is " +
                std::string(to_string(decision.action)));
    co_await carry_out(d, reason, decision);
}

asio::awaitable<void> DomainManager::on_rebooted_in_place(std::shared_ptr<Domain> d)
{
    if (!d->active())
        co_return;
    d->requested_reason.reset();
    if (d->host_request) {
        // The host asked for a poweroff, and the guest rebooted: its kernel answered
        // ctrl-alt-del itself (init had not taken it over), or its init answers it with a
        // reboot (systemd's default). Stop the new kernel before it gets far, and carry the
        // poweroff out.
        log_domain(*d, " rebooted after a shutdown request: taking it as a poweroff");
        d->requested_reason = d->host_request;
        (void)co_await stop_guest(d);
        co_return;
    }
    const LifecycleDecision decision = decide(ShutdownReason::reboot, d->spec);
    if (decision.in_place_restart_ok && !d->record.devices_changed) {
        // The backend has already restarted the guest: the restart is done, and as with
        // xl the domain comes back under a new domid (a soft reset keeps it).
        const int old = d->record.domid;
        log_domain(*d, " has shut down, reason code 1 (reboot)");
        m_log.write("Action for shutdown reason code 1 is " + std::string(to_string(decision.action)));
        // It booted with all its memory again: balloon it back to its target.
        d->record.memory_kb = d->record.boot_memory_kb;
        spawn_guarded(m_executor, m_log, "domain " + d->id() + ": balloon", apply_memory_target(d));
        if (decision.step == LifecycleStep::restart)
            d->record.domid = m_store.next_domid();
        d->record.started_at = now_seconds();
        persist(*d);
        notify_waiters(*d);
        m_log.write("Done. Rebooting now: domain " + std::to_string(old) + " is now domain " + d->id());
        co_return;
    }
    // Anything else needs the old incarnation stopped first (a restart too when devices
    // were attached or detached since: the re-executed command line no longer has them).
    // Its exit then carries the decision out, as for any guest that exits on a reboot.
    if (d->record.devices_changed && decision.in_place_restart_ok)
        log_domain(*d, ": its devices changed since it started; starting it anew");
    d->requested_reason = ShutdownReason::reboot;
    (void)co_await stop_guest(d);
}

// Kills the guest through its monitor; its exit then comes through watch(). When the
// monitor is gone, the watcher has already reported that.
asio::awaitable<Result<void>> DomainManager::stop_guest(std::shared_ptr<Domain> d)
{
    if (d->state == DomainState::gone)
        co_return Result<void>{};
    auto killed = co_await monitor_command(d->record.dir, "kill", k_monitor_timeout);
    if (!killed) {
        log_domain(*d, ": cannot stop the guest: " + killed.error().message);
        co_return std::unexpected(killed.error());
    }
    co_return Result<void>{};
}

asio::awaitable<void> DomainManager::carry_out(std::shared_ptr<Domain> d, ShutdownReason reason,
                                               LifecycleDecision decision)
{
    if (decision.dump_core && !d->backend->capabilities().core_dump)
        log_domain(*d, ": cannot dump core: the " + std::string(d->backend->name()) +
                           " backend cannot give a core of the guest");
    switch (decision.step) {
    case LifecycleStep::keep_waiting:
    case LifecycleStep::preserve:
        // keep_waiting: the guest has stopped without saying why it would come back; keep it.
        preserve(*d, reason);
        break;
    case LifecycleStep::destroy:
        log_domain(*d, " needs to be cleaned up: destroying the domain");
        co_await finish(d);
        break;
    case LifecycleStep::restart:
    case LifecycleStep::restart_same_domid:
        co_await restart(d, decision.step);
        break;
    case LifecycleStep::rename_restart:
        co_await rename_restart(d, reason);
        break;
    }
}

void DomainManager::preserve(Domain& d, ShutdownReason reason)
{
    d.state = DomainState::shutdown;
    d.reason = reason;
    persist(d);
    notify_waiters(d);
    log_domain(d, " preserved");
}

// Starts the domain anew from its stored config: the successor takes the name over before
// anything is awaited, so the name is never free in between.
asio::awaitable<void> DomainManager::restart(std::shared_ptr<Domain> d, LifecycleStep step)
{
    const std::string old = d->id();
    std::optional<int> domid;
    if (step == LifecycleStep::restart_same_domid)
        domid = d->record.domid;
    auto next = reserve(d->spec, d->record.config_json, d->record.config_path, domid, d);
    co_await finish(d);
    if (!next) {
        m_log.write("Domain " + old + ": restart failed: " + next.error().message);
        co_return;
    }
    auto started = co_await launch(*next, AfterBoot::run);
    if (!started) {
        m_log.write("Domain " + old + ": restart failed: " + started.error().message);
        co_return;
    }
    m_log.write("Done. Rebooting now: domain " + old + " is now domain " + (*next)->id());
}

// xl's rename-restart: the old domain is kept, shut down, under <name>-<UTC time> with a
// new uuid; a new one of the old name starts.
asio::awaitable<void> DomainManager::rename_restart(std::shared_ptr<Domain> d, ShutdownReason reason)
{
    const std::string old_name = d->record.name;
    DomainSpec spec = d->spec;
    d->record.name = old_name + "-" + utc_suffix();
    d->spec.name = d->record.name;
    d->spec.uuid = generate_uuid();
    d->record.config_json = domain_spec_to_libxl_yajl(d->spec);
    log_domain(*d, " renamed to " + d->record.name);
    preserve(*d, reason);
    spec.uuid = generate_uuid();
    auto next = reserve(spec, domain_spec_to_libxl_yajl(spec), d->record.config_path);
    if (!next) {
        m_log.write("Domain " + old_name + ": restart failed: " + next.error().message);
        co_return;
    }
    auto started = co_await launch(*next, AfterBoot::run);
    if (!started)
        m_log.write("Domain " + old_name + ": restart failed: " + started.error().message);
    else
        m_log.write("Done. Rebooting now: " + old_name + " is domain " + (*next)->id());
}

asio::awaitable<void> DomainManager::finish(std::shared_ptr<Domain> d)
{
    if (d->state == DomainState::gone)
        co_return;
    d->tearing_down = true;
    drop(*d);
    if (d->controller)
        d->controller->close();
    (void)co_await monitor_command(d->record.dir, "release", k_monitor_timeout);
    co_await m_devices.tear_down_all(d->record);
    // The last step: whatever the guest left in its cgroup is killed, and the cgroup goes.
    co_await remove_cgroup(d->record.cgroup);
    if (auto r = m_store.remove(d->record.instance); !r)
        m_log.write("warning: " + r.error().message);
    remove_domain_dir(d->record.dir);
    release_guest_user(*d);
    d->tearing_down = false;
    notify_waiters(*d);
}

void DomainManager::release_guest_user(Domain& d)
{
    if (d.record.guest_uid >= 0)
        m_uids.release(static_cast<uid_t>(d.record.guest_uid));
}

void DomainManager::notify_waiters(Domain& d)
{
    for (auto& timer : d.waiters)
        timer->cancel();
}

// Balloons the guest from what it has to its target, now; nothing to do when it is there.
asio::awaitable<Result<void>> DomainManager::balloon_to_target(std::shared_ptr<Domain> d)
{
    const std::uint64_t current = d->record.memory_kb;
    const std::uint64_t target = d->record.memory_target_kb;
    if (current == 0 || target == 0 || current == target)
        co_return Result<void>{};
    UXL_CO_TRY(co_await d->controller->set_memory(current, target));
    d->record.memory_kb = target;
    persist(*d);
    log_domain(*d, ": memory " + std::to_string(current / 1024) + " -> " + std::to_string(target / 1024) + " MiB");
    co_return Result<void>{};
}

// The same when the guest has just become able to take commands (boot, reboot in place,
// re-adoption): a failure is logged, there is nobody to tell.
asio::awaitable<void> DomainManager::apply_memory_target(std::shared_ptr<Domain> d)
{
    if (d->state == DomainState::gone || !d->controller || d->control != ControlState::ready)
        co_return;
    auto r = co_await balloon_to_target(d);
    if (!r)
        log_domain(*d, ": cannot balloon to " + std::to_string(d->record.memory_target_kb / 1024) +
                           " MiB: " + r.error().message);
}

}  // namespace uxl::daemon
