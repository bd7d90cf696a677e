// The UML backend's Controller: mconsole commands for the operations, the notify socket for
// the guest's own events (reference/backends.md §1).
//
//   shutdown = `cad` (ctrl-alt-del: busybox init runs its ::ctrlaltdel: action, a clean
//   poweroff), ready once `proc sys/kernel/ctrl-alt-del` reads 0 (init has taken it over);
//   halt = `halt`; reboot = `reboot`; pause = `stop`; unpause = `go`; sysrq = `sysrq <c>`,
//   except `t`, which panics UML 6.1.
//
// Events: the first MCONSOLE_SOCKET notification says where the mconsole is and that the
// guest is up (control_ready); UML re-execs in place on reboot and announces its socket
// again, so each later one is rebooted_in_place. PANIC → shutdown_requested(crash),
// HANG → shutdown_requested(watchdog), USER_NOTIFY → message. A clean halt sends nothing:
// the monitor sees the exit, and UmlBackend::exit_reason reads it.
//
// The daemon makes it through UmlBackend::make_controller (the registry), never directly.
#pragma once

#include "uxl/controller.h"

#include <chrono>
#include <memory>
#include <string>

namespace uxl {

struct UmlControllerOptions {
    std::chrono::milliseconds request_timeout{5000};
};

// Binds the notify socket at `notify_socket_path` (UML's `mconsole=notify:PATH`) and makes
// the mconsole client.
//
// For a new guest, pass an empty `mconsole_socket_path`: it is learned from the guest's
// first notification. To re-adopt a running guest after a daemon restart, pass its socket
// (`<uml_dir>/<umid>/mconsole`): the controller is ready at once and posts control_ready
// (delivered after this returns), and the guest's next socket notification is a reboot.
//
// Fails (Errc::io, invalid_argument) when a socket cannot be made or bound. Call on the
// executor's thread; the controller is used on that thread only.
Result<std::unique_ptr<Controller>> make_uml_controller(asio::any_io_executor executor,
                                                        std::string notify_socket_path,
                                                        std::string mconsole_socket_path,
                                                        UmlControllerOptions options = {});

}  // namespace uxl
