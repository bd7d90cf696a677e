#include "lifecycle_policy.h"

namespace uxl::daemon {

std::string_view to_string(LifecycleStep step)
{
    switch (step) {
    case LifecycleStep::keep_waiting: return "keep-waiting";
    case LifecycleStep::destroy: return "destroy";
    case LifecycleStep::restart: return "restart";
    case LifecycleStep::restart_same_domid: return "restart-same-domid";
    case LifecycleStep::rename_restart: return "rename-restart";
    case LifecycleStep::preserve: return "preserve";
    }
    return "destroy";
}

ShutdownAction action_for(ShutdownReason reason, const DomainSpec& spec)
{
    switch (reason) {
    case ShutdownReason::poweroff: return spec.on_poweroff;
    case ShutdownReason::reboot: return spec.on_reboot;
    case ShutdownReason::crash: return spec.on_crash;
    case ShutdownReason::watchdog: return spec.on_watchdog;
    case ShutdownReason::soft_reset: return spec.on_soft_reset;
    case ShutdownReason::suspend:
    case ShutdownReason::none: break;
    }
    return ShutdownAction::destroy;
}

LifecycleDecision decide(ShutdownReason reason, const DomainSpec& spec)
{
    LifecycleDecision d;
    if (reason == ShutdownReason::none || reason == ShutdownReason::suspend) {
        // xl: "Domain has suspended." and it keeps waiting; a save (not a shutdown) follows.
        d.step = LifecycleStep::keep_waiting;
        return d;
    }
    d.action = action_for(reason, spec);
    switch (d.action) {
    case ShutdownAction::destroy:
        d.step = LifecycleStep::destroy;
        break;
    case ShutdownAction::restart:
        d.step = LifecycleStep::restart;
        d.in_place_restart_ok = true;
        break;
    case ShutdownAction::rename_restart:
        d.step = LifecycleStep::rename_restart;
        break;
    case ShutdownAction::preserve:
        d.step = LifecycleStep::preserve;
        break;
    case ShutdownAction::coredump_destroy:
        d.step = LifecycleStep::destroy;
        d.dump_core = true;
        break;
    case ShutdownAction::coredump_restart:
        d.step = LifecycleStep::restart;
        d.dump_core = true;
        break;
    case ShutdownAction::soft_reset:
        // xl soft-resets the domain, which keeps its domid, whatever the reason was.
        d.step = LifecycleStep::restart_same_domid;
        d.in_place_restart_ok = true;
        break;
    }
    return d;
}

}  // namespace uxl::daemon
