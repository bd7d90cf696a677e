// One domain as the daemon holds it: its persistent record, its spec, its backend and
// controller, and where it is in its life. Owned by DomainManager; touched only on the
// event loop thread.
#pragma once

#include "state_store.h"

#include "uxl/asio.h"
#include "uxl/backend.h"
#include "uxl/controller.h"
#include "uxl/domain_spec.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uxl::daemon {

enum class DomainState {
    starting,  // in the table (its name and domid are taken) while create's steps run
    running,
    paused,
    shutdown,  // the guest has stopped; the domain is kept (preserve, rename-restart)
    dying,     // being destroyed: its guest is being killed and its devices torn down
    gone,      // removed from the table; coroutines still holding it see this and stop
};
std::string_view to_string(DomainState state);

// Whether the guest can take commands through its controller yet.
enum class ControlState {
    waiting,  // started, its kernel has not announced its control channel yet
    ready,    // announced at least once (or re-adopted)
};

// What to do once the guest can take commands: `create -p` pauses it then.
enum class AfterBoot { run, pause };

struct Domain {
    DomainRecord record;
    DomainSpec spec;
    DomainState state = DomainState::starting;
    ShutdownReason reason = ShutdownReason::none;  // why it shut down, once it has
    // Why the guest said it is going down (a shutdown_requested event), until it exits: an
    // exit is read with it rather than guessed from the exit status.
    std::optional<ShutdownReason> requested_reason;
    // What the host asked the guest for (`uxl shutdown`: poweroff), until the guest exits: a
    // reboot in place that follows is taken as this (an init that answers ctrl-alt-del with
    // a reboot, as systemd's default does, still ends powered off).
    std::optional<ShutdownReason> host_request;
    ControlState control = ControlState::waiting;
    AfterBoot after_boot = AfterBoot::run;
    std::unique_ptr<Backend> backend;
    std::unique_ptr<Controller> controller;
    pid_t guest_pid = 0;
    // During a restart, the domain that takes this one's name over: lookups by name skip
    // this one from then on, so the name never looks free to another create.
    std::shared_ptr<Domain> successor;
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
    // Gone from the table, but its devices are still being torn down: `destroy` and
    // `shutdown -w` return only once they are (as xl's do), so a caller finds no tap or
    // loop device left behind.
    bool tearing_down = false;

    bool active() const { return state == DomainState::running || state == DomainState::paused; }
    std::string id() const { return std::to_string(record.domid); }
};

}  // namespace uxl::daemon
