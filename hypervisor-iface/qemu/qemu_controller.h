// The QEMU backend's Controller: QMP commands for the operations, QMP events for what the
// guest says about itself (reference/backends.md §3; the plan is qemu_backend.cc's).
//
//   shutdown = the guest agent's guest-shutdown (guest_agent.h) when the guest has the
//   agent's port open, else system_powerdown (the ACPI power button: clean when the guest
//   listens for it); halt = quit (QEMU exits 0 at once); reboot = the guest agent's
//   guest-shutdown mode=reboot, refused (Errc::unsupported) without an agent: the daemon's
//   -F then sends the reset trigger, system_reset (the plan's reboot=shutdown turns either
//   into an exit, and the domain is restarted as xl does);
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
// Hot-plug (reference/backends.md §3; the ids and slots are qemu_devices.h's):
//   attach_disk  blockdev-add (the plan's -blockdev object) + device_add: virtio-blk-pci
//                for xvd*, scsi-hd / scsi-cd on the plan's virtio-scsi controller for sd*
//                (only when the guest has one); hd* is refused (IDE cannot be hot-plugged),
//                and so is an empty drive. A device_add QEMU refuses is undone (blockdev-del).
//   attach_nic   netdev_add tap (the daemon's tap, script=no) + device_add of the model
//                (virtio-net-pci unless model= says e1000 or rtl8139); undone (netdev_del)
//                when device_add fails.
//   detach_*     only while the guest runs (query-status): device_del, then the wait for the
//                DEVICE_DELETED that names the device (QEMU sends it once the guest has let
//                the device go: ACPI PCI hot-plug, within a second under TCG; a first one
//                names only the virtio backend's path), then blockdev-del / netdev_del. A
//                guest that does not let go in time keeps the device: Errc::timeout, and
//                QEMU's request stays pending (a guest that honours it later loses the
//                device then; the next detach finds it gone and finishes).
// Attaching returns the name Linux gives the device: vdX for a virtio disk and ethN for a
// NIC, each the lowest index free, as Linux picks them. The controller keeps the indices of
// the devices it knows of: at connect it takes those QEMU has, in PCI slot order (Linux's
// order at boot; a best guess for an adopted guest), and follows each attach and
// DEVICE_DELETED. An sd* disk's name depends on the order the guest finds it: "".
//
// QEMU listens on its QMP socket a moment after it starts, so the controller connects in
// the background, retrying until a deadline, then asks for the vCPU threads and the PCI
// devices and posts control_ready. The daemon makes it through
// QemuBackend::make_controller.
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
    // How long a detach waits for the guest to let the device go (DEVICE_DELETED).
    std::chrono::milliseconds unplug_timeout{10000};
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
