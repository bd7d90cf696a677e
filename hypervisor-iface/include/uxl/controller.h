// The async control side of a running domain: one Controller per domain, over the backend's
// control channel (UML's mconsole, QEMU's QMP, signals for a vkernel).
//
// A controller lives on the daemon's one event loop: every member is called on the loop
// thread, every operation is a coroutine with a timeout, and events are delivered on the
// loop thread too. It reports what the guest says about itself (GuestEvent); the child's
// exit status comes from the per-domain monitor, not from here (UML sends nothing on a
// clean halt), and Backend::exit_reason says what an exit means when the guest said nothing.
#pragma once

#include "uxl/asio.h"
#include "uxl/domain_spec.h"
#include "uxl/result.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace uxl {

// What a guest says about itself, in every backend's terms. Each backend maps its own
// signals onto these (UML: the mconsole notifications; QEMU: QMP events); the daemon maps
// them onto the domain's on_* actions (lifecycle_policy.h) and never asks which backend
// spoke.
enum class GuestEvent {
    // Commands can be sent from now on (the first time after a start or a re-adoption).
    // text = the control endpoint.
    control_ready,
    // The guest is going down, and says why: it asked to power off, reboot or soft-reset,
    // it crashed (panicked), or its watchdog fired. `reason` is set; text = the guest's own
    // words, if any. The guest's exit follows, except after a watchdog (a hung guest does
    // not exit by itself: the daemon stops it).
    shutdown_requested,
    // The backend restarted the guest in place (UML re-execs itself on a reboot) and it is
    // ready for commands again. text = the control endpoint.
    rebooted_in_place,
    // The guest stopped or resumed running other than by the daemon's pause()/unpause().
    paused,
    resumed,
    // Something the guest said that needs no action: logged. text = what it said.
    message,
};

constexpr std::string_view to_string(GuestEvent kind)
{
    switch (kind) {
    case GuestEvent::control_ready: return "control_ready";
    case GuestEvent::shutdown_requested: return "shutdown_requested";
    case GuestEvent::rebooted_in_place: return "rebooted_in_place";
    case GuestEvent::paused: return "paused";
    case GuestEvent::resumed: return "resumed";
    case GuestEvent::message: return "message";
    }
    return "unknown";
}

struct ControllerEvent {
    GuestEvent kind;
    std::string text;
    ShutdownReason reason = ShutdownReason::none;  // shutdown_requested only
};

// What a backend's controller is made from (Backend::make_controller).
struct ControllerSetup {
    asio::any_io_executor executor;
    // The domain's private directory (DomainPaths::run_dir) and the plan's control endpoint
    // (LaunchPlan::control_endpoint), both as they were when the domain was planned.
    std::string run_dir;
    std::string control_endpoint;
    // A new guest announces itself at boot; an adopted one (a restarted daemon) is already
    // up, so the controller is ready at once and posts control_ready.
    enum class Start { new_guest, adopted } start = Start::new_guest;
};

class Controller {
public:
    virtual ~Controller() = default;

    // Each operation may be called at any time on the loop thread; operations on one
    // controller are queued and run one at a time. Before the guest is ready for commands
    // (control_ready) they fail with Errc::invalid_state, after close() as well. A guest
    // that does not answer in time gives Errc::timeout; a guest that refuses gives
    // Errc::backend_failed with its own words.

    // A clean shutdown through the guest's init (UML: ctrl-alt-del). Returns once the guest
    // has accepted the request; the exit itself is seen by the monitor.
    virtual awaitable<Result<void>> shutdown() = 0;
    // Whether the guest can take a clean shutdown now: false while it is still booting and
    // nothing in it would turn shutdown() into a clean poweroff yet (UML: until its init has
    // taken ctrl-alt-del over from the kernel, whose own answer is an immediate reboot).
    // Backends whose shutdown() is always clean keep the default.
    virtual awaitable<Result<bool>> clean_shutdown_ready() { co_return true; }
    // Stops the guest's kernel at once, without its init (UML: mconsole `halt`); the exit
    // is seen by the monitor. What `uxl shutdown -F` falls back to.
    virtual awaitable<Result<void>> halt()
    {
        co_return fail(Errc::unsupported, "This backend cannot halt a guest.");
    }
    // xl's vcpu-set: `online` vCPUs from now on (1 .. the domain's maxvcpus); vcpu_threads()
    // says the new set once this returns. Errc::unsupported when the backend cannot.
    virtual awaitable<Result<void>> set_vcpus(int online)
    {
        (void)online;
        co_return fail(Errc::unsupported, "This backend cannot change a running guest's vCPUs.");
    }
    // cd-insert / cd-eject: puts `path` (in `format`) into the cdrom drive `vdev`, whose slot
    // is its devid (LaunchPlan::devices), or empties it when `path` is empty.
    virtual awaitable<Result<void>> change_cdrom(int slot, std::string vdev, std::string path, DiskFormat format)
    {
        (void)slot, (void)vdev, (void)path, (void)format;
        co_return fail(Errc::unsupported, "This backend has no cdrom drives.");
    }
    // Where the guest's VNC server listens, "HOST:PORT"; Errc::not_found when it has none.
    virtual awaitable<Result<std::string>> vnc_address()
    {
        co_return fail(Errc::not_found, "This guest has no VNC display.");
    }
    // xl's `trigger`: "power" (the ACPI power button), "sleep", "nmi", "init", "reset",
    // "s3resume". Errc::unsupported, in one sentence, for what the backend cannot send.
    virtual awaitable<Result<void>> trigger(std::string_view name)
    {
        co_return fail(Errc::unsupported,
                       "This backend cannot send the " + std::string(name) + " trigger to a guest.");
    }
    // `uxl destroy`: pulls the plug, but lets the machine's own process close its files
    // first (QEMU: `quit`, which writes out its qcow2 metadata caches; a SIGKILL would lose
    // every cluster allocated since the guest's last flush). The exit is seen by the
    // monitor; the daemon kills the guest when it has not exited soon after. Backends
    // without such a step keep the default, and destroy is a SIGKILL.
    virtual awaitable<Result<void>> power_off()
    {
        co_return fail(Errc::unsupported, "This backend has no clean power-off.");
    }
    // A host-initiated reboot; a rebooted_in_place event follows when the guest is back
    // (or a shutdown_requested(reboot) and an exit, for a backend that restarts by exiting).
    virtual awaitable<Result<void>> reboot() = 0;
    virtual awaitable<Result<void>> pause() = 0;
    virtual awaitable<Result<void>> unpause() = 0;
    // A magic SysRq key; returns the output the guest sent back. Keys known to harm the
    // guest are refused with Errc::unsupported.
    virtual awaitable<Result<std::string>> sysrq(char key) = 0;
    // Hot-plug (Capabilities::hotplug_disk / hotplug_nic). `slot` is the backend's index for
    // the device (PlannedDevice::slot: UML's ubd<slot> and eth<slot>; for QEMU see
    // qemu/qemu_devices.h), one the daemon knows to be free. `disk` is the disk as
    // configured, with pdev_path what the backend opens (a block script's output, when the
    // disk has a script): its vdev, format and cdrom flag say how a backend that has buses
    // and formats (QEMU) plugs it. `nic` is the vif as configured, with ifname the tap the
    // daemon made and the mac set. Attaching returns the name the guest sees the device
    // under. A device the guest still uses is not detached: Errc::backend_failed with the
    // backend's reason (UML: "Device is currently open"), or Errc::timeout when the guest
    // did not let go in time (QEMU).
    virtual awaitable<Result<std::string>> attach_disk(int slot, DiskSpec disk) = 0;
    virtual awaitable<Result<void>> detach_disk(int slot) = 0;
    virtual awaitable<Result<std::string>> attach_nic(int slot, VifSpec nic) = 0;
    virtual awaitable<Result<void>> detach_nic(int slot) = 0;
    // Balloons the guest from `current_kb` to `target_kb` of its boot memory
    // (Capabilities::balloon): UML takes pages away with `config mem=-N` and gives them back
    // with `config mem=+N`, so it cannot go above what it booted with.
    virtual awaitable<Result<void>> set_memory(std::uint64_t current_kb, std::uint64_t target_kb) = 0;
    // A raw command in the backend's own control language; returns the reply text.
    // Backends without such a language return Errc::unsupported.
    virtual awaitable<Result<std::string>> command(std::string_view text) = 0;

    // The host thread ids of the guest's vCPUs, in vCPU order, for `uxl vcpu-list`; empty
    // when the guest process itself is its one vCPU (UML).
    virtual std::vector<int> vcpu_threads() const { return {}; }

    // Sets the one event handler (replacing any earlier one). Call it right after making
    // the controller: events are never delivered before the call that makes the controller
    // returns, but they are not kept for a handler set later.
    virtual void on_event(std::function<void(ControllerEvent)> handler) = 0;
    // Stops listening, fails queued and running operations, and releases the sockets.
    // Idempotent; also done by the destructor. Does not touch the guest.
    virtual void close() = 0;
};

}  // namespace uxl
