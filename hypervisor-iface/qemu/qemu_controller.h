// The QEMU backend's Controller: QMP commands for the operations, QMP events for what the
// guest says about itself (reference/backends.md §3; the plan is qemu_backend.cc's).
//
//   shutdown = system_powerdown (the ACPI power button: clean when the guest listens for
//   it); halt = quit (QEMU exits 0 at once); reboot = system_reset (the plan's
//   reboot=shutdown turns it into an exit, and the domain is restarted as xl does);
//   pause = stop; unpause = cont; set_memory = balloon; command = human-monitor-command.
//
// Events:
//   SHUTDOWN guest-shutdown           shutdown_requested(poweroff)
//   SHUTDOWN guest-reset              shutdown_requested(reboot)   (a guest reboot)
//   SHUTDOWN host-qmp-system-reset    shutdown_requested(reboot)   (reboot())
//   GUEST_PANICKED                    shutdown_requested(crash)    (its SHUTDOWN guest-panic
//                                                                   is not reported again)
//   WATCHDOG                          shutdown_requested(watchdog)
//   STOP / RESUME                     paused / resumed, unless pause()/unpause() caused them
//                                     or the guest is already going down
//   RESET, POWERDOWN, other SHUTDOWNs message
// SHUTDOWN for quit (halt()) or a signal says nothing about the guest: the exit that
// follows is read by QemuBackend::exit_reason. Other events are ignored.
//
// QEMU listens on its QMP socket a moment after it starts, so the controller connects in
// the background, retrying until a deadline, then asks for the vCPU threads and posts
// control_ready. The daemon makes it through QemuBackend::make_controller.
#pragma once

#include "uxl/controller.h"

#include <chrono>
#include <memory>
#include <string>

namespace uxl {

struct QemuControllerOptions {
    // How long to keep trying to connect to QEMU's QMP socket; then a `message` event
    // says why not, and the controller stays unready (the monitor still sees the exit).
    std::chrono::milliseconds connect_timeout{30000};
    // Each QMP command.
    std::chrono::milliseconds request_timeout{10000};
};

// Makes the controller of the QEMU whose QMP socket is `qmp_socket_path`; it connects in
// the background (events come after this returns). For a new guest and an adopted one
// alike: QEMU's QMP server takes a new connection whenever the old one has gone. Fails
// (Errc::invalid_argument) only for a path no socket can have. Call on the executor's
// thread; the controller is used on that thread only.
Result<std::unique_ptr<Controller>> make_qemu_controller(asio::any_io_executor executor,
                                                         std::string qmp_socket_path,
                                                         QemuControllerOptions options = {});

}  // namespace uxl
