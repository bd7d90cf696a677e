// The life-cycle policy: every on_* action for every shutdown reason, as xl applies them.
#include "lifecycle_policy.h"

#include <gtest/gtest.h>

namespace uxl::daemon {
namespace {

constexpr ShutdownReason k_reasons[] = {ShutdownReason::poweroff, ShutdownReason::reboot, ShutdownReason::crash,
                                        ShutdownReason::watchdog, ShutdownReason::soft_reset};
constexpr ShutdownAction k_actions[] = {ShutdownAction::destroy,          ShutdownAction::restart,
                                        ShutdownAction::rename_restart,   ShutdownAction::preserve,
                                        ShutdownAction::coredump_destroy, ShutdownAction::coredump_restart,
                                        ShutdownAction::soft_reset};

// A spec whose on_* setting for `reason` is `action`, and every other one something else.
DomainSpec spec_with(ShutdownReason reason, ShutdownAction action)
{
    DomainSpec spec;
    const ShutdownAction other =
        action == ShutdownAction::preserve ? ShutdownAction::destroy : ShutdownAction::preserve;
    spec.on_poweroff = spec.on_reboot = spec.on_crash = spec.on_watchdog = spec.on_soft_reset = other;
    switch (reason) {
    case ShutdownReason::poweroff: spec.on_poweroff = action; break;
    case ShutdownReason::reboot: spec.on_reboot = action; break;
    case ShutdownReason::crash: spec.on_crash = action; break;
    case ShutdownReason::watchdog: spec.on_watchdog = action; break;
    case ShutdownReason::soft_reset: spec.on_soft_reset = action; break;
    default: break;
    }
    return spec;
}

struct Expected {
    LifecycleStep step;
    bool dump_core;
    bool in_place_restart_ok;
};

Expected expected_for(ShutdownAction action)
{
    switch (action) {
    case ShutdownAction::destroy: return {LifecycleStep::destroy, false, false};
    case ShutdownAction::restart: return {LifecycleStep::restart, false, true};
    case ShutdownAction::rename_restart: return {LifecycleStep::rename_restart, false, false};
    case ShutdownAction::preserve: return {LifecycleStep::preserve, false, false};
    case ShutdownAction::coredump_destroy: return {LifecycleStep::destroy, true, false};
    case ShutdownAction::coredump_restart: return {LifecycleStep::restart, true, false};
    case ShutdownAction::soft_reset: return {LifecycleStep::restart_same_domid, false, true};
    }
    return {LifecycleStep::destroy, false, false};
}

TEST(LifecyclePolicy, EveryActionForEveryReasonUsesThatReasonsSetting)
{
    for (ShutdownReason reason : k_reasons) {
        for (ShutdownAction action : k_actions) {
            SCOPED_TRACE(std::string(to_string(reason)) + " / " + std::string(to_string(action)));
            const LifecycleDecision d = decide(reason, spec_with(reason, action));
            const Expected e = expected_for(action);
            EXPECT_EQ(d.action, action);
            EXPECT_EQ(d.step, e.step) << to_string(d.step);
            EXPECT_EQ(d.dump_core, e.dump_core);
            EXPECT_EQ(d.in_place_restart_ok, e.in_place_restart_ok);
        }
    }
}

TEST(LifecyclePolicy, EachReasonReadsItsOwnSetting)
{
    DomainSpec spec;
    spec.on_poweroff = ShutdownAction::destroy;
    spec.on_reboot = ShutdownAction::restart;
    spec.on_crash = ShutdownAction::preserve;
    spec.on_watchdog = ShutdownAction::rename_restart;
    spec.on_soft_reset = ShutdownAction::coredump_destroy;
    EXPECT_EQ(action_for(ShutdownReason::poweroff, spec), ShutdownAction::destroy);
    EXPECT_EQ(action_for(ShutdownReason::reboot, spec), ShutdownAction::restart);
    EXPECT_EQ(action_for(ShutdownReason::crash, spec), ShutdownAction::preserve);
    EXPECT_EQ(action_for(ShutdownReason::watchdog, spec), ShutdownAction::rename_restart);
    EXPECT_EQ(action_for(ShutdownReason::soft_reset, spec), ShutdownAction::coredump_destroy);
}

TEST(LifecyclePolicy, XlDefaultsDestroyOnPoweroffCrashAndWatchdogAndRestartOnReboot)
{
    const DomainSpec spec;  // xl's defaults
    EXPECT_EQ(decide(ShutdownReason::poweroff, spec).step, LifecycleStep::destroy);
    EXPECT_EQ(decide(ShutdownReason::crash, spec).step, LifecycleStep::destroy);
    EXPECT_EQ(decide(ShutdownReason::watchdog, spec).step, LifecycleStep::destroy);
    EXPECT_EQ(decide(ShutdownReason::reboot, spec).step, LifecycleStep::restart);
    // on_soft_reset defaults to soft-reset, which keeps the domid.
    EXPECT_EQ(decide(ShutdownReason::soft_reset, spec).step, LifecycleStep::restart_same_domid);
}

TEST(LifecyclePolicy, SuspendAndNoReasonEndNothing)
{
    const DomainSpec spec;
    EXPECT_EQ(decide(ShutdownReason::suspend, spec).step, LifecycleStep::keep_waiting);
    EXPECT_EQ(decide(ShutdownReason::none, spec).step, LifecycleStep::keep_waiting);
}

TEST(LifecyclePolicy, ReasonCodesAreLibxls)
{
    EXPECT_EQ(shutdown_reason_code(ShutdownReason::poweroff), 0);
    EXPECT_EQ(shutdown_reason_code(ShutdownReason::reboot), 1);
    EXPECT_EQ(shutdown_reason_code(ShutdownReason::suspend), 2);
    EXPECT_EQ(shutdown_reason_code(ShutdownReason::crash), 3);
    EXPECT_EQ(shutdown_reason_code(ShutdownReason::watchdog), 4);
    EXPECT_EQ(shutdown_reason_code(ShutdownReason::soft_reset), 5);
}

}  // namespace
}  // namespace uxl::daemon
