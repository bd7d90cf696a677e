// The host side of a domain's devices, for create and hot-plug alike: a vif's tap and its
// script's `up`, a scripted disk's `add`; and their teardown (`down`, `remove`, the tap).
//
// Every teardown step is recorded in the domain's record, and the record saved, as soon as
// the thing it undoes exists; teardown runs each step once, dropping it as it goes. So a
// uxld killed at any moment leaves a record from which its successor tears down exactly
// what exists (ARCHITECTURE.md, "State and crash safety").
#pragma once

#include "daemon_log.h"
#include "guest_users.h"
#include "hook_runner.h"
#include "paths.h"
#include "state_store.h"

#include "uxl/asio.h"
#include "uxl/disk_spec.h"
#include "uxl/domain_spec.h"
#include "uxl/vif_spec.h"

#include <chrono>
#include <string>

namespace uxl::daemon {

// uxl.conf's settings (xl.conf keys) that device setup uses (uxl_conf.h reads them).
struct DeviceDefaults {
    std::string vif_script = "vif-bridge";  // vif.default.script
    std::string vif_bridge = "xenbr0";      // vif.default.bridge
    std::chrono::seconds hotplug_timeout{40};  // hotplug.timeout
};


class DeviceSetup {
public:
    DeviceSetup(asio::any_io_executor executor, const DaemonPaths& paths, DaemonLog& log, StateStore& store,
                DeviceDefaults defaults, const GuestUidPool& uids);

    // Every vif, then every scripted disk, of `launch` (the domain's spec, about to be
    // planned): taps are named into it, scripted disks' paths replaced by what `add`
    // printed. MACs left empty are generated into both `launch` and `configured` (the
    // domain's kept spec), as xl keeps them across restarts. On failure the steps recorded
    // so far stay in `record`, for the caller's undo.
    asio::awaitable<Result<void>> set_up_all(DomainRecord& record, DomainSpec& configured, DomainSpec& launch);
    // One vif: its tap (named into nic.ifname), then its script's `up`.
    asio::awaitable<Result<void>> set_up_nic(DomainRecord& record, VifSpec& nic);
    // rate=: the tap's ingress through an ifb device with a tbf qdisc (iproute2's ip, tc).
    asio::awaitable<Result<void>> limit_rate(DomainRecord& record, const std::string& key, const std::string& tap,
                                             const VifSpec& nic);

    // One disk: a scripted disk's `add`, whose first output line becomes the path the
    // backend opens; then, for a guest with a uid of its own, that path lent to it
    // (guest_users.h), with the step that gives it back.
    asio::awaitable<Result<void>> set_up_disk(DomainRecord& record, DiskSpec& disk);
    // Lends `path` to the record's guest uid, if it has one and needs it; records the step.
    Result<void> lend_to_guest(DomainRecord& record, const std::string& key, const std::string& path, bool write,
                               const std::string& what);

    // Gives back what device `key` has lent to the guest (guest_users.h), except `keep` (a
    // cdrom's medium after cd-insert or cd-eject: the one now in the drive).
    void give_back_lent(DomainRecord& record, const std::string& key, const std::string& keep);

    // Runs every recorded teardown step, last first; failures are logged, never fatal, as
    // with libxl.
    asio::awaitable<void> tear_down_all(DomainRecord& record);
    // The same for one device's steps (`key` as in DeviceEntry::key(): "vif/1").
    asio::awaitable<void> tear_down(DomainRecord& record, std::string key);

private:
    std::string resolve_script(const std::string& script) const;
    asio::awaitable<Result<HookOutcome>> run_paired_hook(DomainRecord& record, std::string key,
                                                         std::string script, std::string setup,
                                                         std::string teardown, std::vector<std::string> args,
                                                         std::vector<std::string> env);
    asio::awaitable<void> run_teardown_step(const DomainRecord& record, TeardownStep step);
    // A step's file lent to the guest, given back (nothing for other steps).
    void give_back_step(const DomainRecord& record, const TeardownStep& step);

    asio::any_io_executor m_executor;
    const DaemonPaths& m_paths;
    DaemonLog& m_log;
    StateStore& m_store;
    DeviceDefaults m_defaults;
    const GuestUidPool& m_uids;
};

}  // namespace uxl::daemon
