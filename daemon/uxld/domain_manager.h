// DomainManager: the state of every domain, owned by the event loop thread alone.
//
// Create is a list of named steps, each pushing its undo on a list; a failure at any step
// runs the undo list in reverse, so nothing is left behind (ARCHITECTURE.md, "create"):
//   1. reserve the name and a domid;  2. pick the backend and validate the spec;
//   3. make the per-domain directory; 4. plan the launch (pure);
//   5. bind the controller's notify socket (UML notifies at boot, so before the start);
//   6. start the monitor, which starts the guest;  7. persist the state file.
// Each domain then has one watcher coroutine waiting on its monitor for the guest's exit,
// and the controller reports reboots and panics; both map to the on_* actions.
#pragma once

#include "daemon_log.h"
#include "hook_runner.h"
#include "paths.h"
#include "state_store.h"

#include "uxl/asio.h"
#include "uxl/backend.h"
#include "uxl/controller.h"
#include "uxl/domain_spec.h"
#include "uxl/protocol.h"

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace uxl::daemon {

enum class DomainState { running, paused, shutdown, dying };

struct Domain {
    DomainRecord record;
    DomainSpec spec;
    DomainState state = DomainState::running;
    protocol::ShutdownReason reason = protocol::ShutdownReason::none;
    std::unique_ptr<Backend> backend;
    std::unique_ptr<Controller> controller;
    pid_t guest_pid = 0;
    bool destroy_requested = false;
    bool restart_requested = false;  // with destroy_requested: start it anew once it is dead
    bool booted = false;            // the guest announced its control channel at least once
    bool pause_when_ready = false;  // `create -p`: pause as soon as the guest can be paused
    bool gone = false;  // removed from the manager; waiters wake up and see it
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
};

class DomainManager {
public:
    DomainManager(asio::any_io_executor executor, asio::thread_pool& pool, DaemonPaths paths,
                  DaemonLog& log);

    // Re-adopts the domains of the state files (at start, before serving clients).
    asio::awaitable<void> adopt_existing();

    asio::awaitable<Result<int>> create(const protocol::CreateRequest& request);
    asio::awaitable<Result<void>> shutdown(const std::string& domain, bool reboot);
    asio::awaitable<Result<void>> destroy(const std::string& domain);
    asio::awaitable<Result<void>> pause(const std::string& domain, bool pause);
    asio::awaitable<Result<void>> sysrq(const std::string& domain, char key);
    // mem-set: balloons the guest to `target_kb` (within what it booted with).
    asio::awaitable<Result<void>> set_memory(const std::string& domain, std::int64_t target_kb);
    Result<void> rename(const std::string& domain, const std::string& new_name);
    // Waits until the domain (as it is now: by domid) has shut down or is gone.
    asio::awaitable<Result<protocol::DomainInfo>> wait(const std::string& domain, bool death_only,
                                                      int timeout_seconds);
    asio::awaitable<Result<asio::local::stream_protocol::socket>> console(const std::string& domain);

    // Hot-plug (block-attach, network-attach, ...-detach) and the device lists.
    asio::awaitable<Result<protocol::DeviceInfo>> attach_device(const protocol::DeviceAttachRequest& request);
    asio::awaitable<Result<void>> detach_device(const protocol::DeviceDetachRequest& request);
    Result<std::vector<protocol::DeviceInfo>> devices(const std::string& domain,
                                                      protocol::DeviceKind kind) const;

    Result<std::vector<protocol::DomainInfo>> list(const std::string& domain, bool with_config,
                                                   bool with_vcpus = false) const;
    Result<std::pair<int, std::string>> lookup(const std::string& domain) const;
    std::vector<std::pair<std::string, std::string>> host_info() const;
    std::vector<int> guest_domids() const;

private:
    std::shared_ptr<Domain> find(const std::string& qualifier) const;
    Result<std::shared_ptr<Domain>> find_or_fail(const std::string& qualifier) const;
    protocol::DomainInfo info_of(const Domain& d, bool with_config, bool with_vcpus = false) const;

    asio::awaitable<Result<std::shared_ptr<Domain>>> start(DomainSpec spec, std::string config_json,
                                                          std::string config_path, bool paused);
    void attach_controller(const std::shared_ptr<Domain>& d, bool adopting);
    void watch(std::shared_ptr<Domain> d);
    asio::awaitable<void> on_guest_exit(std::shared_ptr<Domain> d, int exit_code, bool killed);
    asio::awaitable<void> on_reboot(std::shared_ptr<Domain> d);
    asio::awaitable<void> apply_action(std::shared_ptr<Domain> d, ShutdownAction action,
                                       protocol::ShutdownReason reason);
    asio::awaitable<void> restart(std::shared_ptr<Domain> d);
    asio::awaitable<void> finish(std::shared_ptr<Domain> d);
    void notify_waiters(Domain& d);
    asio::awaitable<Result<void>> balloon_to_target(std::shared_ptr<Domain> d);
    asio::awaitable<void> apply_memory_target(std::shared_ptr<Domain> d);
    void persist(Domain& d);
    void load_global_config();
    std::string resolve_script(const std::string& script) const;
    asio::awaitable<Result<void>> set_up_devices(Domain& d, DomainSpec& launch);
    asio::awaitable<Result<HookOutcome>> run_paired_hook(DomainRecord& record, std::string key,
                                                         std::string script, std::string setup,
                                                         std::string teardown, std::vector<std::string> args,
                                                         std::vector<std::string> env);
    asio::awaitable<Result<void>> set_up_nic(DomainRecord& record, VifSpec& nic);
    asio::awaitable<Result<void>> set_up_disk(DomainRecord& record, DiskSpec& disk);
    asio::awaitable<void> run_teardown_step(const DomainRecord& record, TeardownStep step);
    asio::awaitable<void> tear_down_devices(DomainRecord& record);
    asio::awaitable<void> tear_down_device(DomainRecord& record, const std::string& key);
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

    asio::any_io_executor m_executor;
    asio::thread_pool& m_pool;
    DaemonPaths m_paths;
    DaemonLog& m_log;
    StateStore m_store;
    // From uxl.conf (xl.conf keys): vif.default.script, vif.default.bridge, hotplug.timeout.
    std::string m_vif_script = "vif-bridge";
    std::string m_vif_bridge = "xenbr0";
    std::chrono::seconds m_hotplug_timeout{40};
    std::map<int, std::shared_ptr<Domain>> m_domains;  // by instance
};

}  // namespace uxl::daemon
