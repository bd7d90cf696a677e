// The life-cycle policy: what uxld does when a domain has shut down, as a pure function of
// why it shut down and its on_* settings (xl.cfg(5); xl's handle_domain_death). One place
// decides, for every reason and every action; DomainManager only carries the decision out.
#pragma once

#include "uxl/domain_spec.h"

#include <string_view>

namespace uxl::daemon {

// What to do with the domain once its guest has stopped.
enum class LifecycleStep {
    keep_waiting,      // not a shutdown that ends the guest (suspend, none): nothing to do
    destroy,           // tear it down and forget it
    restart,           // start it anew from its stored config, under a new domid
    restart_same_domid,  // soft reset: start it anew, keeping its domid (as xl does)
    rename_restart,    // keep it, shut down, renamed <name>-<UTC time> with a new uuid;
                       // then start a new domain of the old name
    preserve,          // keep it, shut down, until `uxl destroy`
};
std::string_view to_string(LifecycleStep step);

struct LifecycleDecision {
    ShutdownAction action = ShutdownAction::destroy;  // the on_* setting applied (for the log)
    LifecycleStep step = LifecycleStep::destroy;
    // coredump-destroy / coredump-restart: dump the guest's core first. A backend that
    // cannot says so once in the log, and the rest of the action is carried out.
    bool dump_core = false;
    // Whether a guest that its backend already restarted in place (UML re-execs itself on
    // a reboot) may simply go on running: a restart that keeps nothing of the old
    // incarnation. Anything else (preserve, rename, a core dump, destroy) needs the old
    // incarnation stopped first.
    bool in_place_restart_ok = false;
};

// The on_* setting that applies to `reason` (on_poweroff for poweroff, ...); destroy for
// reasons that have none.
ShutdownAction action_for(ShutdownReason reason, const DomainSpec& spec);

// The decision for a domain whose guest shut down for `reason`.
LifecycleDecision decide(ShutdownReason reason, const DomainSpec& spec);

}  // namespace uxl::daemon
