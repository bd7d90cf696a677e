// DomainManager: the table of every domain, and their life, owned by the event loop
// thread alone (no locks: only the loop touches it).
//
// 1. create is a table of contents (domain_manager.cc): reserve the name and domid (the
//    domain is in the table, `starting`, from the first step, so a second create of the
//    name fails at once), pick the backend, make its directory, set up devices, plan,
//    listen with the controller, start the monitor, persist. Each step pushes its undo on
//    one UndoList; a failure runs it in reverse and drops the reservation.
// 2. life: the controller's events (GuestEvent) and the monitor's report of the guest's
//    exit go through one pure policy (lifecycle_policy.h) to one of destroy, restart,
//    rename-restart, preserve, soft reset; carried out here.
// 3. requests (domain_requests.cc), hot-plug and device lists (hotplug.cc), re-adoption
//    at start (adoption.cc); devices' host side in DeviceSetup (device_setup.h), host
//    facts in host_info.h.
#pragma once

#include "cgroups.h"
#include "daemon_log.h"
#include "device_setup.h"
#include "domain.h"
#include "lifecycle_policy.h"
#include "uxl_conf.h"
#include "paths.h"
#include "state_store.h"
#include "undo_list.h"

#include "uxl/asio.h"
#include "uxl/backend.h"
#include "uxl/controller.h"
#include "uxl/domain_spec.h"
#include "uxl/protocol.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace uxl::daemon {

class DomainManager {
public:
    DomainManager(asio::any_io_executor executor, asio::thread_pool& pool, DaemonPaths paths,
                  DaemonLog& log);

    // Says in the log, once at start, how QEMU guests will run (probing KVM now rather than
    // at the first create).
    void announce_backends();

    // Re-adopts the domains of the state files (at start, before serving clients).
    asio::awaitable<void> adopt_existing();

    // Requests, each called from a control session on the loop thread.
    // `root_client`: the request came from root (or uxld's own user); other clients, members
    // of group uxl, may only name hook scripts from the scripts directory.
    asio::awaitable<Result<int>> create(const protocol::CreateRequest& request, bool root_client = true);
    // shutdown: asks the guest to power off cleanly, once it can take that (waiting for it
    // within a bound); `fallback` (-F) halts a guest that cannot. A reboot in place that
    // follows is taken as the poweroff that was asked for. reboot: a host-initiated reboot.
    asio::awaitable<Result<void>> shutdown(const std::string& domain, bool reboot, bool fallback = false);
    asio::awaitable<Result<void>> destroy(const std::string& domain);
    asio::awaitable<Result<void>> pause(const std::string& domain, bool pause);
    asio::awaitable<Result<void>> sysrq(const std::string& domain, char key);
    // cd-insert / cd-eject: `spec` is the disk spec xl builds (an empty target ejects).
    asio::awaitable<Result<void>> change_cdrom(const std::string& domain, const std::string& spec);
    // vcpu-set: `vcpus` online from now on; the stored config follows (a restart keeps it).
    asio::awaitable<Result<void>> set_vcpus(const std::string& domain, int vcpus);
    // Where the guest's VNC server listens, "HOST:PORT" (`uxl vncviewer`).
    asio::awaitable<Result<std::string>> vnc_address(const std::string& domain);
    // xl's trigger: power, sleep, nmi, init, reset or s3resume, for vCPU `vcpu`.
    asio::awaitable<Result<void>> trigger(const std::string& domain, const std::string& name, int vcpu);
    // mem-set: balloons the guest to `target_kb` (within what it booted with).
    asio::awaitable<Result<void>> set_memory(const std::string& domain, std::int64_t target_kb);
    Result<void> rename(const std::string& domain, const std::string& new_name);
    // Waits until the domain (as it is now: by domid) has shut down or is gone.
    asio::awaitable<Result<protocol::DomainInfo>> wait(const std::string& domain, bool death_only,
                                                      int timeout_seconds);
    // `type`: the console type asked for (xl's console -t), empty for the domain's one
    // console; any other type than the one it has is Errc::not_found, context "console type".
    asio::awaitable<Result<asio::local::stream_protocol::socket>> console(const std::string& domain,
                                                                           const std::string& type = {});

    // Hot-plug (block-attach, network-attach, ...-detach) and the device lists.
    asio::awaitable<Result<protocol::DeviceInfo>> attach_device(const protocol::DeviceAttachRequest& request,
                                                               bool root_client = true);
    asio::awaitable<Result<void>> detach_device(const protocol::DeviceDetachRequest& request);
    Result<std::vector<protocol::DeviceInfo>> devices(const std::string& domain,
                                                      protocol::DeviceKind kind) const;

    // sched-credit -d DOM -w W -c C: the weight and/or cap, into the guest's cgroup and its
    // stored config (list() shows them).
    Result<void> set_sched_credit(const protocol::SchedCreditRequest& request);
    // vcpu-pin: the hard set into the guest's cpuset, the soft one as its threads'
    // affinity, and both into its stored config.
    Result<void> pin_vcpus(const protocol::VcpuPinRequest& request);
    // At a clean exit: uxl's parent cgroup goes when no guest is left in it.
    void release_cgroups();

    Result<std::vector<protocol::DomainInfo>> list(const std::string& domain, bool with_config,
                                                   bool with_vcpus = false) const;
    Result<std::pair<int, std::string>> lookup(const std::string& domain) const;
    std::vector<std::pair<std::string, std::string>> host_info() const;
    std::vector<int> guest_domids() const;

private:
    // ---- The table (domain_manager.cc)
    std::shared_ptr<Domain> find(const std::string& qualifier) const;
    std::shared_ptr<Domain> find_by_name(const std::string& name) const;
    Result<std::shared_ptr<Domain>> find_or_fail(const std::string& qualifier) const;
    // Step 1 of create: a new domain in the table, `starting`, with its name and a domid
    // (a new one, or `domid` for a soft reset). Synchronous, so no other request can take
    // the name in between. `replacing`: a restart's predecessor, which hands its name over.
    Result<std::shared_ptr<Domain>> reserve(DomainSpec spec, std::string config_json, std::string config_path,
                                            std::optional<int> domid = std::nullopt,
                                            const std::shared_ptr<Domain>& replacing = nullptr);
    void drop(Domain& d);
    protocol::DomainInfo info_of(const Domain& d, bool with_config, bool with_vcpus = false) const;
    void persist(Domain& d);
    // persist() after a change to a running domain's spec (rename, devices, vCPUs, a
    // cdrom): the stored config follows first, as libxl keeps it, so `list -l` and a
    // restart see the change.
    void persist_spec(Domain& d);
    void log_domain(const Domain& d, const std::string& text);

    // ---- Create's steps (domain_manager.cc)
    asio::awaitable<Result<void>> launch(std::shared_ptr<Domain> d, AfterBoot after);
    asio::awaitable<Result<void>> run_create_steps(std::shared_ptr<Domain> d, AfterBoot after, UndoList& undo);
    Result<void> pick_backend(Domain& d);
    Result<void> make_domain_dir(Domain& d, UndoList& undo);
    asio::awaitable<Result<DomainSpec>> set_up_devices(std::shared_ptr<Domain> d, UndoList& undo);
    Result<LaunchPlan> plan_launch(Domain& d, const DomainSpec& launch);
    Result<void> connect_controller(const std::shared_ptr<Domain>& d, ControllerSetup::Start start);
    asio::awaitable<Result<void>> start_monitor(std::shared_ptr<Domain> d, const LaunchPlan& plan, UndoList& undo);

    // ---- Life (domain_manager.cc)
    void on_controller_event(const std::shared_ptr<Domain>& d, ControllerEvent event);
    void watch(std::shared_ptr<Domain> d);
    asio::awaitable<void> on_guest_exit(std::shared_ptr<Domain> d, GuestExit exit);
    asio::awaitable<void> on_rebooted_in_place(std::shared_ptr<Domain> d);
    asio::awaitable<void> carry_out(std::shared_ptr<Domain> d, ShutdownReason reason, LifecycleDecision decision);
    asio::awaitable<void> restart(std::shared_ptr<Domain> d, LifecycleStep step);
    asio::awaitable<void> rename_restart(std::shared_ptr<Domain> d, ShutdownReason reason);
    void preserve(Domain& d, ShutdownReason reason);
    asio::awaitable<Result<void>> stop_guest(std::shared_ptr<Domain> d);
    asio::awaitable<Result<bool>> wait_clean_shutdown_ready(std::shared_ptr<Domain> d);
    asio::awaitable<void> finish(std::shared_ptr<Domain> d);
    void notify_waiters(Domain& d);
    // wait() on a domain already found: it may be gone from the table meanwhile.
    asio::awaitable<Result<protocol::DomainInfo>> wait_for(std::shared_ptr<Domain> d, bool death_only,
                                                          int timeout_seconds);
    asio::awaitable<Result<void>> balloon_to_target(std::shared_ptr<Domain> d);
    asio::awaitable<void> apply_memory_target(std::shared_ptr<Domain> d);

    // ---- Request preambles (domain_requests.cc)
    // The domain for a request that needs `capability` of its backend and a controller
    // (refused as "The <backend> backend cannot <cannot>."), and a guest that has been
    // created (not `starting`).
    Result<std::shared_ptr<Domain>> find_for(const std::string& qualifier, bool Capabilities::*capability,
                                             std::string_view cannot) const;
    Result<void> require_live(const Domain& d) const;

    // ---- Hot-plug (hotplug.cc)
    Result<void> check_hotplug(const Domain& d, protocol::DeviceKind kind) const;
    asio::awaitable<Result<protocol::DeviceInfo>> attach_disk(std::shared_ptr<Domain> d,
                                                             std::vector<std::string> words);
    asio::awaitable<Result<protocol::DeviceInfo>> attach_nic(std::shared_ptr<Domain> d,
                                                            std::vector<std::string> words);
    asio::awaitable<Result<protocol::DeviceInfo>> finish_attach(std::shared_ptr<Domain> d, std::string key,
                                                               std::string what, std::string host,
                                                               std::function<void(DomainSpec&)> add_to_spec,
                                                               Result<std::string> attached);
    protocol::DeviceInfo device_info(const Domain& d, const DeviceEntry& entry) const;

    // Step 2: the guest's uid (guest_users.h), when guests run unprivileged.
    Result<void> pick_guest_user(Domain& d);
    // A client that is not root names hook scripts from the scripts directory only: every
    // script= of `spec` (the path it would run, resolved as DeviceSetup does) must be a file
    // directly in it. Errc::invalid_argument naming the script otherwise.
    Result<void> check_client_scripts(const DomainSpec& spec) const;
    // The guest's uid back to the pool, once everything lent to it has been given back.
    void release_guest_user(Domain& d);
    // ---- Cgroups and affinity (domain_cgroup.cc)
    std::string cgroup_instance() const;
    CgroupLimits cgroup_limits(const Domain& d) const;
    // After the plan: the guest's cgroup, made with its limits (nothing without cgroups).
    Result<void> make_cgroup(const std::shared_ptr<Domain>& d, UndoList& undo);
    std::vector<std::string> cgroup_procs(const Domain& d) const;
    std::vector<pid_t> guest_threads(const Domain& d) const;
    // The soft affinity on the guest's threads; `at_start`: only when the config has one.
    Result<void> apply_affinity(Domain& d, bool at_start);
    // Kills what is left in the leaf and removes it (on the pool); logs a failure.
    asio::awaitable<void> remove_cgroup(std::string leaf);
    // uxl's parent cgroup goes once no domain has a cgroup (after a removal, after adoption).
    void release_cgroups_if_unused();
    void fill_affinity(const Domain& d, int vcpu, pid_t thread, protocol::VcpuInfo& info) const;

    // ---- Re-adoption (adoption.cc)
    asio::awaitable<void> adopt(DomainRecord record);
    asio::awaitable<void> forget_stale(const DomainRecord& record, const std::string& why);

    asio::any_io_executor m_executor;
    asio::thread_pool& m_pool;
    DaemonPaths m_paths;
    DaemonLog& m_log;
    StateStore m_store;
    UxlConf m_conf;  // read once at start; before m_devices, which is made from it
    GuestUidPool m_uids;  // the guests' uids (guest_users.h)
    DeviceSetup m_devices;
    Cgroups m_cgroups;  // set up once at start; read-only after (the pool reads it too)
    std::map<int, std::shared_ptr<Domain>> m_domains;  // by instance
};

}  // namespace uxl::daemon
