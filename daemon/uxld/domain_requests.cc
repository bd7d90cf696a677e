// The requests on one domain (DomainManager, domain_manager.h): shutdown, reboot, destroy,
// pause, sysrq, mem-set, rename, wait, console. Each starts with the same preamble: look
// the domain up, check what its backend can do, check where it is in its life.
#include "domain_manager.h"

#include "uxl/domain_name.h"
#include "uxl/vdev.h"
#include "monitor_client.h"

namespace uxl::daemon {
namespace {

// How long `shutdown` waits for a booting guest to become able to take a clean shutdown
// (UML: its init taking ctrl-alt-del over, about half a second after the kernel starts).
constexpr auto k_clean_shutdown_wait = std::chrono::seconds(20);

// How long `destroy` lets a machine power itself off (QEMU's quit: 10-30 ms here) before it
// kills it.
constexpr int k_power_off_grace_seconds = 5;

}  // namespace

Result<void> DomainManager::require_live(const Domain& d) const
{
    switch (d.state) {
    case DomainState::starting:
        return fail(Errc::invalid_state, "Domain " + d.id() + " is still being created.");
    case DomainState::running:
    case DomainState::paused:
        return {};
    case DomainState::shutdown:
    case DomainState::dying:
    case DomainState::gone:
        break;
    }
    return fail(Errc::invalid_state, "Domain " + d.id() + " is not running.");
}

Result<std::shared_ptr<Domain>> DomainManager::find_for(const std::string& qualifier,
                                                        bool Capabilities::*capability,
                                                        std::string_view cannot) const
{
    auto d = UXL_TRY(find_or_fail(qualifier));
    if ((capability && !(d->backend->capabilities().*capability)) || !d->controller)
        return fail(Errc::unsupported, "The " + std::string(d->backend->name()) + " backend cannot " +
                                           std::string(cannot) + ".");
    if (d->state == DomainState::starting)
        return fail(Errc::invalid_state, "Domain " + d->id() + " is still being created.");
    return d;
}

// Polls the guest until it can take a clean shutdown, within a bound.
asio::awaitable<Result<bool>> DomainManager::wait_clean_shutdown_ready(std::shared_ptr<Domain> d)
{
    const auto deadline = std::chrono::steady_clock::now() + k_clean_shutdown_wait;
    asio::steady_timer timer(m_executor);
    for (;;) {
        if (!d->active())
            co_return fail(Errc::invalid_state, "Domain " + d->id() + " is not running.");
        if (d->control == ControlState::ready && d->controller) {
            bool ready = false;
            UXL_CO_TRY_ASSIGN(ready, co_await d->controller->clean_shutdown_ready());
            if (ready)
                co_return true;
        }
        if (std::chrono::steady_clock::now() >= deadline)
            co_return false;
        timer.expires_after(std::chrono::milliseconds(200));
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<Result<void>> DomainManager::shutdown(const std::string& domain, bool reboot, bool fallback)
{
    std::shared_ptr<Domain> dom;
    if (reboot) {
        UXL_CO_TRY_ASSIGN(dom, find_for(domain, &Capabilities::reboot, "reboot a guest"));
    } else {
        UXL_CO_TRY_ASSIGN(dom, find_for(domain, nullptr, "shut a guest down: it has no control channel"));
    }
    if (dom->state == DomainState::shutdown)
        co_return fail(Errc::invalid_state, "Domain " + dom->id() + " is already shut down.");
    UXL_CO_TRY(require_live(*dom));
    if (dom->state == DomainState::paused) {
        (void)co_await dom->controller->unpause();
        if (dom->active()) {
            dom->state = DomainState::running;
            persist(*dom);
        }
    }
    if (reboot) {
        dom->host_request.reset();
        auto r = co_await dom->controller->reboot();
        if (!r && r.error().code == Errc::unsupported) {
            // A guest that cannot take a clean reboot: xl's ERROR_NOPARAVIRT, and with -F
            // its fallback, the reset trigger.
            if (!fallback)
                co_return fail(Errc::unsupported,
                               "PV control interface not available: external graceful reboot not possible.\n"
                               "Use \"-F\" to fallback to ACPI reset event.",
                               "no-pv-control");
            log_domain(*dom, " cannot take a clean reboot: resetting it (-F)");
            r = co_await dom->controller->trigger("reset");
        }
        if (!r)
            co_return fail(Errc::backend_failed, "reboot failed: " + r.error().message);
        m_log.write("Rebooting domain " + dom->id());
        co_return Result<void>{};
    }

    // A clean poweroff needs a guest that can take one: until then (a kernel still
    // booting) the request would end in a reboot, so wait for it within a bound.
    bool ready = false;
    UXL_CO_TRY_ASSIGN(ready, co_await wait_clean_shutdown_ready(dom));
    dom->host_request = ShutdownReason::poweroff;
    if (!ready) {
        if (!fallback) {
            dom->host_request.reset();
            // xl's words for a guest without a PV control interface (ERROR_NOPARAVIRT).
            co_return fail(Errc::unsupported,
                           "PV control interface not available: external graceful shutdown not possible.\n"
                           "Use \"-F\" to fallback to ACPI power event.",
                           "no-pv-control");
        }
        // -F: halt it now; the exit that follows is a poweroff.
        log_domain(*dom, " cannot take a clean shutdown yet: halting it (-F)");
        dom->requested_reason = ShutdownReason::poweroff;
        auto halted = co_await dom->controller->halt();
        if (!halted) {
            UXL_CO_TRY(co_await stop_guest(dom));
        }
        co_return Result<void>{};
    }
    auto r = co_await dom->controller->shutdown();
    if (!r) {
        dom->host_request.reset();
        co_return fail(Errc::backend_failed, "shutdown failed: " + r.error().message);
    }
    m_log.write("Shutting down domain " + dom->id());
    co_return Result<void>{};
}

asio::awaitable<Result<void>> DomainManager::destroy(const std::string& domain)
{
    std::shared_ptr<Domain> dom;
    UXL_CO_TRY_ASSIGN(dom, find_or_fail(domain));
    if (dom->state == DomainState::starting) {
        // Create is still running its steps: it sees this at its end and undoes them all.
        dom->state = DomainState::dying;
    } else if (dom->state == DomainState::shutdown && dom->guest_pid == 0) {
        co_await finish(dom);
        co_return Result<void>{};
    } else if (dom->state != DomainState::dying) {
        dom->state = DomainState::dying;
        // The machine's own power-off first (Controller::power_off), a kill when it is not
        // gone within k_power_off_grace.
        bool powering_off = false;
        if (dom->controller && dom->control == ControlState::ready) {
            auto asked = co_await dom->controller->power_off();
            powering_off = asked.has_value();
        }
        if (powering_off) {
            auto gone = co_await wait_for(dom, true, k_power_off_grace_seconds);
            if (gone || gone.error().code != Errc::timeout)
                co_return Result<void>{};  // gone (or no longer in the table: gone too)
            m_log.write("Domain " + dom->id() + " did not power off within " +
                        std::to_string(k_power_off_grace_seconds) + " s; killing it");
        }
        auto killed = co_await monitor_command(dom->record.dir, "kill", k_monitor_timeout);
        if (!killed) {
            // The monitor is gone: nothing can run the guest any more; clean up what is left.
            co_await finish(dom);
            co_return Result<void>{};
        }
    }
    // By the domain itself, not its domid: once its guest has exited it is no longer in
    // the table, but destroy must still wait until its teardown (devices, cgroup) is done.
    auto waited = co_await wait_for(dom, true, 30);
    if (!waited && waited.error().code == Errc::timeout)
        co_return fail(Errc::timeout, "destroy failed (rc=-3): the guest did not die within 30 s");
    co_return Result<void>{};
}

asio::awaitable<Result<void>> DomainManager::pause(const std::string& domain, bool pause)
{
    std::shared_ptr<Domain> dom;
    UXL_CO_TRY_ASSIGN(dom, find_for(domain, &Capabilities::pause, "pause a guest"));
    if (pause && dom->state == DomainState::paused)
        co_return fail(Errc::invalid_state, "Domain " + dom->id() + " is already paused.");
    if (!pause && dom->state != DomainState::paused)
        co_return fail(Errc::invalid_state, "Domain " + dom->id() + " is not paused.");
    UXL_CO_TRY(require_live(*dom));
    Result<void> r;  // not a conditional of two co_awaits
    if (pause)
        r = co_await dom->controller->pause();
    else
        r = co_await dom->controller->unpause();
    UXL_CO_TRY(r);
    if (dom->active()) {
        dom->state = pause ? DomainState::paused : DomainState::running;
        persist(*dom);
    }
    co_return Result<void>{};
}

asio::awaitable<Result<void>> DomainManager::sysrq(const std::string& domain, char key)
{
    std::shared_ptr<Domain> dom;
    UXL_CO_TRY_ASSIGN(dom, find_for(domain, &Capabilities::sysrq, "send a sysrq"));
    std::string output;
    UXL_CO_TRY_ASSIGN(output, co_await dom->controller->sysrq(key));
    m_log.write("sysrq " + std::string(1, key) + " to domain " + dom->id() + ": " + output);
    co_return Result<void>{};
}

asio::awaitable<Result<void>> DomainManager::trigger(const std::string& domain, const std::string& name, int vcpu)
{
    if (!protocol::is_trigger_name(name))
        co_return fail(Errc::invalid_argument, "Invalid trigger \"" + name + "\"");
    std::shared_ptr<Domain> dom;
    UXL_CO_TRY_ASSIGN(dom, find_for(domain, nullptr, "send a trigger: it has no control channel"));
    UXL_CO_TRY(require_live(*dom));
    if (vcpu < 0 || vcpu >= std::max(dom->spec.vcpus, dom->spec.max_vcpus))
        co_return fail(Errc::invalid_argument, "Domain " + dom->id() + " has no vCPU " + std::to_string(vcpu) + ".");
    auto sent = co_await dom->controller->trigger(name);
    UXL_CO_TRY(sent);
    m_log.write("Sent the " + name + " trigger to domain " + dom->id());
    co_return Result<void>{};
}

asio::awaitable<Result<void>> DomainManager::change_cdrom(const std::string& domain, const std::string& spec)
{
    std::shared_ptr<Domain> dom;
    UXL_CO_TRY_ASSIGN(dom, find_for(domain, nullptr, "change a cdrom: it has no control channel"));
    UXL_CO_TRY(require_live(*dom));
    DiskSpec wanted;
    UXL_CO_TRY_ASSIGN(wanted, parse_disk_spec(std::string_view(spec), "cd-insert"));
    // libxl_cdrom_insert: an HVM guest's drive that is a cdrom.
    if (dom->spec.type != DomainType::hvm)
        co_return fail(Errc::invalid_argument, "cdrom-insert requires an HVM domain");
    const std::string vdev = wanted.vdev.value_or("");
    auto it = std::find_if(dom->spec.disks.begin(), dom->spec.disks.end(),
                           [&](const DiskSpec& d) { return d.vdev.value_or("") == vdev; });
    if (it == dom->spec.disks.end() || !it->is_cdrom)
        co_return fail(Errc::not_found, "Virtual device " + vdev + " is not a cdrom drive of domain " + dom->id() + ".");
    const std::string path = wanted.pdev_path.value_or("");
    if (!path.empty() && ::access(path.c_str(), R_OK) != 0)
        co_return fail(Errc::invalid_argument, "Cannot stat file: " + path);
    const int slot = vdev_to_number(vdev).value_or(-1);  // a configured disk's slot is its devid
    // An unprivileged guest opens the new medium itself: lent to it, and the old one given
    // back once the drive has changed (the new one, if it has not).
    const std::string key = "vbd/" + std::to_string(slot);
    const std::string old_path = it->pdev_path.value_or("");
    UXL_CO_TRY(m_devices.lend_to_guest(dom->record, key, path, false, "cdrom " + vdev));
    auto changed = co_await dom->controller->change_cdrom(slot, vdev, path, wanted.format);
    m_devices.give_back_lent(dom->record, key, changed ? path : old_path);
    UXL_CO_TRY(changed);
    // As libxl: the domain's config names the medium now in the drive.
    it->pdev_path = wanted.pdev_path;
    it->format = wanted.format;
    persist_spec(*dom);
    log_domain(*dom, path.empty() ? ": " + vdev + " ejected" : ": " + path + " inserted into " + vdev);
    co_return Result<void>{};
}

asio::awaitable<Result<void>> DomainManager::set_vcpus(const std::string& domain, int vcpus)
{
    std::shared_ptr<Domain> dom;
    UXL_CO_TRY_ASSIGN(dom, find_for(domain, &Capabilities::vcpu_set, "change a running guest's vCPUs"));
    UXL_CO_TRY(require_live(*dom));
    const int most = std::max(dom->spec.vcpus, dom->spec.max_vcpus);
    if (vcpus < 1 || vcpus > most)
        co_return fail(Errc::invalid_argument, "Domain " + dom->id() + " can have 1 to " + std::to_string(most) +
                                                   " vCPUs (maxvcpus = " + std::to_string(most) + "), not " +
                                                   std::to_string(vcpus) + ".");
    auto set = co_await dom->controller->set_vcpus(vcpus);
    UXL_CO_TRY(set);
    dom->spec.vcpus = vcpus;
    dom->spec.libxl_avail_vcpus = vcpus;
    persist_spec(*dom);
    log_domain(*dom, ": " + std::to_string(vcpus) + " vCPUs online");
    co_return Result<void>{};
}

asio::awaitable<Result<std::string>> DomainManager::vnc_address(const std::string& domain)
{
    std::shared_ptr<Domain> dom;
    UXL_CO_TRY_ASSIGN(dom, find_for(domain, nullptr, "show a display: it has no control channel"));
    UXL_CO_TRY(require_live(*dom));
    co_return co_await dom->controller->vnc_address();
}

asio::awaitable<Result<void>> DomainManager::set_memory(const std::string& domain, std::int64_t target_kb)
{
    std::shared_ptr<Domain> dom;
    UXL_CO_TRY_ASSIGN(dom, find_for(domain, &Capabilities::balloon, "change a running guest's memory"));
    UXL_CO_TRY(require_live(*dom));
    const std::string id = dom->id();
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
    if (dom->control != ControlState::ready)
        co_return Result<void>{};  // applied once the guest can take commands
    co_return co_await balloon_to_target(dom);
}

Result<void> DomainManager::rename(const std::string& domain, const std::string& new_name)
{
    auto d = UXL_TRY(find_or_fail(domain));
    UXL_TRY(check_domain_name(new_name));
    // A domain being created holds its name already, so this also refuses a name that a
    // create in progress has taken.
    if (auto other = find_by_name(new_name); other && other != d)
        return fail(Errc::already_exists, "Domain with name \"" + new_name + "\" already exists.");
    d->record.name = new_name;
    d->spec.name = new_name;
    // The stored config says the new name too: `list -l` shows it, and xendomains acts on it.
    persist_spec(*d);
    return {};
}

asio::awaitable<Result<protocol::DomainInfo>> DomainManager::wait(const std::string& domain,
                                                                 bool death_only, int timeout_seconds)
{
    std::shared_ptr<Domain> dom;
    UXL_CO_TRY_ASSIGN(dom, find_or_fail(domain));
    co_return co_await wait_for(dom, death_only, timeout_seconds);
}

asio::awaitable<Result<protocol::DomainInfo>> DomainManager::wait_for(std::shared_ptr<Domain> dom, bool death_only,
                                                                     int timeout_seconds)
{
    const int domid = dom->record.domid;
    const auto deadline = timeout_seconds > 0
                              ? std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds)
                              : std::chrono::steady_clock::time_point::max();
    for (;;) {
        const bool gone =
            (dom->state == DomainState::gone && !dom->tearing_down) || dom->record.domid != domid;
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

asio::awaitable<Result<asio::local::stream_protocol::socket>> DomainManager::console(const std::string& domain,
                                                                                     const std::string& type)
{
    std::shared_ptr<Domain> dom;
    UXL_CO_TRY_ASSIGN(dom, find_or_fail(domain));
    // Every domain has one console; xl's xenconsole cannot find the tty of another type.
    if (!type.empty() && dom->backend) {
        const std::string_view have = to_string(dom->backend->console_type(dom->spec));
        if (type != have)
            co_return fail(Errc::not_found,
                           "Could not read tty from store: domain " + dom->id() + " has a " + std::string(have) +
                               " console, and no " + type + " one (use -t " + std::string(have) + ").",
                           "console type");
    }
    if (dom->record.dir.empty())
        co_return fail(Errc::invalid_state, "Domain " + dom->id() + " is still being created.");
    co_return co_await monitor_console(dom->record.dir);
}

}  // namespace uxl::daemon
