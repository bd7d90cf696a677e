// create's steps (DomainManager, domain_manager.h): a table of contents and one function
// per step, each pushing its undo on the create's UndoList.
#include "domain_manager.h"

#include "domain_dir.h"

#include "uxl/domain_name.h"
#include "guarded.h"
#include "host_info.h"
#include "monitor_client.h"

#include "uxl/monitor_plan.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

// g++ 12 and coroutines: never `c ? co_await a() : co_await b()`, and never a braced
// temporary straight into a co_awaited call (both crashed uxld with a double free).

namespace fs = std::filesystem;

namespace uxl::daemon {

// ---- Create -------------------------------------------------------------------------

asio::awaitable<Result<int>> DomainManager::create(const protocol::CreateRequest& request, bool root_client)
{
    auto spec = domain_spec_from_libxl_json(request.config_json);
    if (!spec)
        co_return fail(Errc::invalid_argument, "the domain config is not valid: " + spec.error().message);
    UXL_CO_TRY(check_domain_name(spec->name));
    if (!root_client) {
        UXL_CO_TRY(check_client_scripts(*spec));
        if (!m_uids.enabled())
            co_return fail(Errc::invalid_argument,
                           "Only root may create domains while guests run as root (uxl.conf guest.run_as_root = 1): "
                           "a guest's kernel would run as root.");
    }
    // 1. the name and a domid, taken now: from here on the name is not free.
    std::shared_ptr<Domain> d;
    UXL_CO_TRY_ASSIGN(d, reserve(std::move(*spec), request.config_json, request.config_path));
    // 2-8.
    UXL_CO_TRY(co_await launch(d, request.paused ? AfterBoot::pause : AfterBoot::run));
    co_return d->record.domid;
}

// Runs create's steps on a reserved domain; on failure undoes them and drops it.
asio::awaitable<Result<void>> DomainManager::launch(std::shared_ptr<Domain> d, AfterBoot after)
{
    UndoList undo;
    auto done = co_await run_create_steps(d, after, undo);
    if (!done) {
        co_await undo.run();
        drop(*d);
        release_guest_user(*d);
        co_return done;
    }
    undo.dismiss();
    co_return done;
}

asio::awaitable<Result<void>> DomainManager::run_create_steps(std::shared_ptr<Domain> d, AfterBoot after,
                                                              UndoList& undo)
{
    // 2. the backend: this build has it, it runs here, it accepts the spec; the guest's uid.
    UXL_CO_TRY(pick_guest_user(*d));
    UXL_CO_TRY(pick_backend(*d));
    // 3. the domain's private directory (the monitor's and the backend's files).
    UXL_CO_TRY(make_domain_dir(*d, undo));
    // 4. devices: taps and vif scripts, scripted disks.
    DomainSpec launch;
    UXL_CO_TRY_ASSIGN(launch, co_await set_up_devices(d, undo));
    // 5. the launch plan (pure).
    LaunchPlan plan;
    UXL_CO_TRY_ASSIGN(plan, plan_launch(*d, launch));
    // 5b. the guest's cgroup, with the limits of its config (domain_cgroup.cc).
    UXL_CO_TRY(make_cgroup(d, undo));
    // 6. the controller, listening before the guest can announce itself.
    UXL_CO_TRY(connect_controller(d, ControllerSetup::Start::new_guest));
    d->after_boot = after;
    undo.push([d]() -> asio::awaitable<void> {
        if (d->controller)
            d->controller->close();
        co_return;
    });
    // 7. the monitor, which starts the guest.
    UXL_CO_TRY(co_await start_monitor(d, plan, undo));
    if (auto pinned = apply_affinity(*d, true); !pinned)
        log_domain(*d, ": warning: " + pinned.error().message);
    // 8. persist, then watch.
    if (d->state == DomainState::dying)
        co_return fail(Errc::invalid_state, "Domain " + d->id() + " was destroyed while it was being created.");
    UXL_CO_TRY(m_store.save(d->record));
    d->state = DomainState::running;
    log_domain(*d, " (" + d->record.name + ") created: " + std::string(d->backend->name()) + " guest pid " +
                       std::to_string(d->guest_pid));
    watch(d);
    if (d->control == ControlState::ready && d->after_boot == AfterBoot::pause) {
        // The guest announced itself while create was finishing: pause it now.
        d->after_boot = AfterBoot::run;
        spawn_guarded(m_executor, m_log, "domain " + d->id() + ": pause", pause(d->id(), true));
    }
    co_return Result<void>{};
}

Result<void> DomainManager::pick_backend(Domain& d)
{
    auto backend = make_backend(d.spec.backend, m_conf.backends);
    if (!backend)
        return std::unexpected(backend.error());
    d.backend = std::move(*backend);
    UXL_TRY(d.backend->check_host(d.spec));
    UXL_TRY(d.backend->validate(d.spec));
    // The files the guest needs must be there: a missing initramfs would only show up as a
    // guest that cannot boot.
    for (const auto& [what, path] : {std::pair<const char*, std::string>{"kernel", d.spec.kernel},
                                     {"ramdisk", d.spec.ramdisk}}) {
        if (path.empty())
            continue;
        if (::access(path.c_str(), R_OK) != 0)
            return fail(Errc::invalid_argument, std::string(what) + " " + path + ": " + std::strerror(errno));
        // An unprivileged guest reads (UML: runs) them itself.
        if (d.record.guest_uid >= 0) {
            const auto uid = static_cast<uid_t>(d.record.guest_uid);
            UXL_TRY(check_reachable(path, uid, what));
            if (!accessible_as(path, uid, false))
                return fail(Errc::invalid_argument,
                            std::string(what) + " " + path + " is not readable by the guest's uid " +
                                std::to_string(uid) + " (uxl runs guests unprivileged): make it readable by others "
                                "(chmod o+r " + path + ").",
                            path);
        }
    }
    return {};
}

Result<void> DomainManager::check_client_scripts(const DomainSpec& spec) const
{
    std::error_code ec;
    const fs::path dir = fs::weakly_canonical(m_paths.scripts_dir, ec);
    auto check = [&](const std::optional<std::string>& script, const std::string& what) -> Result<void> {
        if (!script || script->empty())
            return {};
        const fs::path path = script->starts_with('/') ? fs::path(*script) : fs::path(m_paths.scripts_dir) / *script;
        std::error_code ignored;
        const fs::path resolved = fs::weakly_canonical(path, ignored);
        if (resolved.parent_path() == dir && !resolved.filename().empty())
            return {};
        return fail(Errc::invalid_argument,
                    what + ": script=" + *script + " is not in uxld's scripts directory " + m_paths.scripts_dir +
                        "; only root may name other hook scripts (members of group uxl use the installed ones).",
                    *script);
    };
    for (const VifSpec& nic : spec.nics)
        UXL_TRY(check(nic.script, "vif " + std::to_string(nic.devid)));
    for (const DiskSpec& disk : spec.disks)
        UXL_TRY(check(disk.script, "disk " + disk.vdev.value_or("")));
    return {};
}

Result<void> DomainManager::pick_guest_user(Domain& d)
{
    if (!m_uids.enabled())
        return {};
    const uid_t uid = UXL_TRY(m_uids.allocate());
    d.record.guest_uid = uid;
    d.record.guest_gid = uid;
    return {};
}

Result<void> DomainManager::make_domain_dir(Domain& d, UndoList& undo)
{
    const std::string dir = m_paths.run_dir + "/" + std::to_string(d.record.instance);
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    if (ec)
        return fail(Errc::io, "cannot create " + dir + ": " + ec.message());
    // The monitor's files are root's; the guest's own directory inside is its uid's, and
    // the guest may pass through (not list) the domain's to reach it.
    const bool own_uid = d.record.guest_uid >= 0;
    ::chmod(dir.c_str(), own_uid ? 0711 : 0700);
    d.record.dir = dir;
    d.record.guest_dir = dir + "/guest";
    fs::create_directory(d.record.guest_dir, ec);
    if (ec)
        return fail(Errc::io, "cannot create " + d.record.guest_dir + ": " + ec.message());
    ::chmod(d.record.guest_dir.c_str(), 0700);
    // Device setup saves the record as it goes (so that a restarted uxld can undo it), so
    // the state file goes with the directory.
    const int instance = d.record.instance;
    undo.push([this, dir, instance]() -> asio::awaitable<void> {
        (void)m_store.remove(instance);
        remove_domain_dir(dir);
        co_return;
    });
    if (own_uid) {
        const auto uid = static_cast<uid_t>(d.record.guest_uid);
        if (::chown(d.record.guest_dir.c_str(), uid, static_cast<gid_t>(d.record.guest_gid)) != 0)
            return fail(Errc::io, "cannot give " + d.record.guest_dir + " to the guest's uid: " + std::strerror(errno));
        UXL_TRY(check_reachable(d.record.guest_dir + "/.", uid, "the guest's directory"));
    }
    return {};
}

asio::awaitable<Result<DomainSpec>> DomainManager::set_up_devices(std::shared_ptr<Domain> d, UndoList& undo)
{
    // The launch spec gets the host-side names and paths; the domain keeps its configured
    // spec (plus the MACs generated for it).
    DomainSpec launch = d->spec;
    undo.push([this, d]() -> asio::awaitable<void> { co_await m_devices.tear_down_all(d->record); });
    UXL_CO_TRY(co_await m_devices.set_up_all(d->record, d->spec, launch));
    if (!d->spec.nics.empty()) {
        // As libxl does, the stored config carries the MACs generated for this domain, so
        // that `list -l' shows them and a restart keeps them.
        d->record.config_json = domain_spec_to_libxl_yajl(d->spec);
    }
    co_return launch;
}

Result<LaunchPlan> DomainManager::plan_launch(Domain& d, const DomainSpec& launch)
{
    DomainPaths paths;
    paths.run_dir = d.record.backend_dir();
    paths.memory_dir = m_paths.mem_dir;
    auto plan = UXL_TRY(d.backend->plan_launch(launch, paths, d.record.domid));
    d.record.control_endpoint = plan.control_endpoint;
    d.record.devices.clear();
    for (const PlannedDevice& planned : plan.devices)
        d.record.devices.push_back(DeviceEntry{planned.kind == PlannedDevice::Kind::disk ? DeviceClass::vbd
                                                                                         : DeviceClass::vif,
                                               planned.devid, planned.slot, planned.host,
                                               DeviceState::connected, planned.guest_name});
    d.record.reserved_disk_slots = plan.reserved_disk_slots;
    d.record.boot_memory_kb = plan.boot_memory_kb;
    d.record.memory_kb = plan.boot_memory_kb;
    d.record.memory_target_kb = plan.balloon_target_kb > 0 ? plan.balloon_target_kb : plan.boot_memory_kb;
    d.record.devices_changed = false;
    // What the plan makes for the guest is the guest's (its uid's, when it has one).
    auto give = [&d](const std::string& path) {
        if (d.record.guest_uid >= 0)
            (void)!::chown(path.c_str(), static_cast<uid_t>(d.record.guest_uid), static_cast<gid_t>(d.record.guest_gid));
    };
    for (const auto& extra : plan.directories) {
        std::error_code ec;
        fs::create_directories(extra, ec);
        ::chmod(extra.c_str(), 0700);
        give(extra);
    }
    // A copy already there is the domain's own (OVMF's variables after a reboot): kept.
    for (const LaunchPlan::FileCopy& copy : plan.file_copies) {
        std::error_code ec;
        if (fs::copy_file(copy.source, copy.destination, fs::copy_options::skip_existing, ec))
            ::chmod(copy.destination.c_str(), 0600);
        if (ec)
            return fail(Errc::io, "cannot copy " + copy.source + " to " + copy.destination + ": " + ec.message());
        give(copy.destination);
    }
    return plan;
}

Result<void> DomainManager::connect_controller(const std::shared_ptr<Domain>& d, ControllerSetup::Start start)
{
    ControllerSetup setup{m_executor, d->record.backend_dir(), d->record.control_endpoint, start};
    auto controller = d->backend->make_controller(setup);
    if (!controller) {
        if (controller.error().code == Errc::unsupported)
            return {};  // a backend without a control channel: requests that need one say so
        return std::unexpected(controller.error());
    }
    d->controller = std::move(*controller);
    std::weak_ptr<Domain> weak = d;
    d->controller->on_event([this, weak](ControllerEvent event) {
        if (auto locked = weak.lock())
            on_controller_event(locked, std::move(event));
    });
    return {};
}

asio::awaitable<Result<void>> DomainManager::start_monitor(std::shared_ptr<Domain> d, const LaunchPlan& plan,
                                                           UndoList& undo)
{
    const std::string dir = d->record.dir;
    MonitorPlan monitor_plan;
    monitor_plan.argv = plan.argv;
    monitor_plan.working_dir = plan.working_dir.empty() ? d->record.backend_dir() : plan.working_dir;
    monitor_plan.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + monitor_plan.working_dir, "LANG=C"};
    monitor_plan.env.insert(monitor_plan.env.end(), plan.env.begin(), plan.env.end());
    monitor_plan.disable_aslr = plan.disable_aslr;
    if (d->record.guest_uid >= 0) {
        monitor_plan.uid = d->record.guest_uid;
        monitor_plan.gid = d->record.guest_gid;
        // QEMU under KVM opens /dev/kvm, which is group kvm's.
        if (d->backend->kind() == BackendKind::qemu)
            if (const group* kvm = ::getgrnam("kvm"))
                monitor_plan.groups.push_back(static_cast<long>(kvm->gr_gid));
    }
    monitor_plan.console_log = m_paths.console_log(d->record.name);
    monitor_plan.cgroup_procs = cgroup_procs(*d);
    {
        errno = 0;
        std::ofstream out(dir + "/plan.json", std::ios::trunc);
        out << encode_monitor_plan(monitor_plan);
        out.flush();
        if (!out)
            co_return fail(Errc::io, "cannot write " + dir + "/plan.json" +
                                         (errno ? std::string(": ") + std::strerror(errno) : std::string()));
    }
    co_await asio::post(m_pool, asio::use_awaitable);
    Result<void> spawned = spawn_monitor(m_paths.monitor_binary, dir);
    co_await asio::post(m_executor, asio::use_awaitable);
    UXL_CO_TRY(spawned);
    undo.push([dir]() -> asio::awaitable<void> {
        (void)co_await monitor_command(dir, "kill", k_monitor_timeout);
        (void)co_await monitor_command(dir, "wait", std::chrono::seconds(10));
        (void)co_await monitor_command(dir, "release", k_monitor_timeout);
    });
    MonitorStatus status;
    UXL_CO_TRY_ASSIGN(status, co_await monitor_status(dir));
    d->guest_pid = status.guest_pid;
    d->record.started_at = status.started_at > 0 ? status.started_at : now_seconds();
    co_return Result<void>{};
}

}  // namespace uxl::daemon
