// Re-adoption (DomainManager, domain_manager.h): a uxld started after another one (killed,
// crashed, upgraded) takes over the domains of the state files without touching running
// guests (ARCHITECTURE.md, "State and crash safety").
//
// For each record: 1. its spec and backend, else it is stale and removed; 2. attaches or
// detaches the old daemon left half done are settled; 3. its monitor says whether the guest
// runs: running guests get their controller (told the endpoint: they are up) and a watcher;
// guests that exited meanwhile get their on_* action now; a domain without a monitor has
// nothing left to run and is removed.
#include "domain_manager.h"

#include "domain_dir.h"

#include "monitor_client.h"

#include <filesystem>

namespace uxl::daemon {

asio::awaitable<void> DomainManager::adopt_existing()
{
    std::vector<std::string> problems;
    auto records = m_store.load_all(problems);
    for (const auto& p : problems)
        m_log.write("warning: " + p);
    for (auto& record : records)
        co_await adopt(std::move(record));
    release_cgroups_if_unused();
}

asio::awaitable<void> DomainManager::forget_stale(const DomainRecord& record, const std::string& why)
{
    m_log.write("Domain " + std::to_string(record.domid) + ": stale state, removed (" + why + ")");
    (void)co_await monitor_command(record.dir, "kill", k_monitor_timeout);
    (void)co_await monitor_command(record.dir, "release", k_monitor_timeout);
    co_await remove_cgroup(record.cgroup);
    (void)m_store.remove(record.instance);
    remove_domain_dir(record.dir);
}

asio::awaitable<void> DomainManager::adopt(DomainRecord record)
{
    auto d = std::make_shared<Domain>();
    d->record = std::move(record);
    const std::string label = "Domain " + d->id() + " (" + d->record.name + ")";

    // 1. spec and backend.
    auto spec = domain_spec_from_libxl_json(d->record.config_json);
    if (!spec) {
        co_await forget_stale(d->record, spec.error().message);
        co_return;
    }
    auto backend = make_backend(spec->backend, m_conf.backends);
    if (!backend) {
        co_await forget_stale(d->record, backend.error().message);
        co_return;
    }
    d->spec = std::move(*spec);
    d->backend = std::move(*backend);

    // 2. An attach or detach the old daemon did not finish: the device was not in the
    // config yet (attach) or still is (detach). Undo the half attach's host side; a half
    // detach stays attached, since the guest may still use it.
    for (const DeviceEntry& entry : std::vector<DeviceEntry>(d->record.devices)) {
        if (entry.state == DeviceState::attaching) {
            m_log.write("Domain " + d->id() + ": undoing the unfinished attach of " + entry.key());
            co_await m_devices.tear_down(d->record, entry.key());
            std::erase_if(d->record.devices, [&](const DeviceEntry& e) { return e.key() == entry.key(); });
        } else if (entry.state == DeviceState::detaching) {
            for (DeviceEntry& again : d->record.devices)
                if (again.key() == entry.key())
                    again.state = DeviceState::connected;
        }
    }

    // 3. The monitor.
    auto status = co_await monitor_status(d->record.dir);
    if (!status) {
        m_log.write(label + ": its monitor is gone; removing what is left");
        co_await m_devices.tear_down_all(d->record);
        co_await remove_cgroup(d->record.cgroup);
        (void)m_store.remove(d->record.instance);
        remove_domain_dir(d->record.dir);
        co_return;
    }
    d->guest_pid = status->running ? status->guest_pid : 0;
    d->state = d->record.shut_down ? DomainState::shutdown
               : d->record.paused  ? DomainState::paused
                                   : DomainState::running;
    d->reason = parse_shutdown_reason(d->record.reason).value_or(ShutdownReason::none);
    d->control = ControlState::ready;
    if (d->record.guest_uid >= 0)
        m_uids.mark(static_cast<uid_t>(d->record.guest_uid));
    m_domains[d->record.instance] = d;
    if (status->running) {
        if (auto connected = connect_controller(d, ControllerSetup::Start::adopted); !connected)
            m_log.write(label + ": no control channel: " + connected.error().message);
        m_log.write(label + " re-adopted" +
                    (d->record.cgroup.empty() ? std::string() : ", in its cgroup " + d->record.cgroup));
        watch(d);
    } else if (d->state == DomainState::shutdown) {
        m_log.write(label + " re-adopted, shut down");
    } else {
        m_log.write(label + " exited while uxld was down; applying its action now");
        GuestExit exit{status->exit_code, status->signal};
        co_await on_guest_exit(d, exit);
    }
}

}  // namespace uxl::daemon
