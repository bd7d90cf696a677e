// The QEMU controller's shared state and the operations that plug and query guest devices
// (vCPUs, disks, NICs, cdrom media, the VNC server), for qemu_controller.cc and
// qemu_guest_ops.cc. Private to hypervisor-iface; it brings nlohmann/json.
#pragma once

#include "qemu/qemu_controller.h"
#include "qemu/qmp.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uxl::qemu {

using Json = nlohmann::json;

// A string member of a JSON object; "" when it is missing or not a string.
std::string string_member(const Json& object, const char* key);

// One QMP argument object with one string member, made outside the coroutines (g++ 12 and
// braced JSON initializers in a coroutine: see monitor_command in qemu_controller.cc).
std::string one_member(const char* key, const std::string& value);

// Linux's index for each virtio disk (vdX) or NIC (ethN) of the guest, by QEMU device id.
using GuestIndices = std::map<std::string, int>;

// The virtio disks and NICs in query-pci's answer, in slot order: the order Linux finds them
// at boot, and numbers them in.
void learn_pci(const std::string& reply, GuestIndices& disks, GuestIndices& nics);

struct State : std::enable_shared_from_this<State> {
    State(asio::any_io_executor executor, std::string path, QemuControllerOptions options)
        : executor(executor), retry_timer(executor), path(std::move(path)), options(options)
    {}

    asio::any_io_executor executor;
    asio::steady_timer retry_timer;
    std::string path;
    QemuControllerOptions options;
    qmp::Client client;  // unconnected until connect() succeeds
    std::function<void(ControllerEvent)> handler;
    std::vector<int> vcpu_threads;
    bool ready = false;
    bool closed = false;
    bool going_down = false;  // a shutdown_requested has been reported
    bool panicked = false;    // ... and it was GUEST_PANICKED
    // stop and cont commands in flight: QEMU sends their STOP / RESUME before their answer,
    // and those are no news to the daemon, which asked for them.
    int own_stops = 0;
    int own_resumes = 0;
    std::uint64_t agent_conversations = 0;  // guest agent conversations started
    // The detaches waiting for the guest to let a device go, by device id: DEVICE_DELETED
    // naming it sets `deleted` and wakes the timer, which is also the wait's deadline. The
    // event may come before device_del's answer, so a wait is registered before the command.
    struct Unplug {
        explicit Unplug(asio::any_io_executor executor) : timer(std::move(executor)) {}
        asio::steady_timer timer;
        bool deleted = false;
    };
    std::map<std::string, std::shared_ptr<Unplug>> unplugs;
    GuestIndices virtio_disks;
    GuestIndices nics;

    void emit(GuestEvent kind, std::string text, ShutdownReason reason = ShutdownReason::none)
    {
        auto copy = handler;  // the handler may close the controller, which drops it
        if (!closed && copy)
            copy(ControllerEvent{kind, std::move(text), reason});
    }

    void go_down(ShutdownReason reason, std::string text)
    {
        going_down = true;
        emit(GuestEvent::shutdown_requested, std::move(text), reason);
    }

    void on_event(const qmp::Event& event);

    awaitable<Result<std::string>> run(std::string command, std::string arguments = {})
    {
        // Called from the controller's coroutines, which hold the State.
        if (closed)
            co_return fail(Errc::invalid_state, "The domain's controller is closed.");
        if (!ready)
            co_return fail(Errc::invalid_state,
                           "QEMU is not ready for commands yet (its QMP socket has not "
                           "answered).",
                           path);
        co_return co_await client.execute(std::move(command), std::move(arguments));
    }

    void close()
    {
        if (closed)
            return;
        closed = true;
        handler = nullptr;
        retry_timer.cancel();
        for (auto& [device, unplug] : unplugs)
            unplug->timer.cancel();
        client.close();
    }

    void on_device_deleted(const std::string& device);

    static awaitable<void> connect(std::shared_ptr<State> self);
};

// vcpu-set (qemu_guest_ops.cc): plugs CPUs into free slots of -smp N,maxcpus=M, or unplugs
// the ones an earlier vcpu-set plugged; then the vCPU threads are read again.
awaitable<Result<void>> set_vcpus(std::shared_ptr<State> state, int online);
// The vCPU threads (query-cpus-fast), in vCPU order, into state->vcpu_threads.
awaitable<void> refresh_vcpu_threads(std::shared_ptr<State> state);
// cd-insert / cd-eject on QEMU's device `device` ("disk-hdc"); an empty path ejects.
awaitable<Result<void>> change_medium(std::shared_ptr<State> state, std::string device, std::string path,
                                      std::string format);
// query-vnc: "HOST:PORT".
awaitable<Result<std::string>> query_vnc(std::shared_ptr<State> state);

// Hot-plug: a backend object (block node, netdev), then the device on it; the backend is
// deleted again when QEMU refuses the device.
struct PlugSteps {
    std::string what;                                  // "hotplug-disk0", for messages
    std::string backend_add, backend_arguments;        // blockdev-add / netdev_add
    std::string backend_del, backend_del_arguments;    // blockdev-del / netdev_del
    std::string device_arguments;                      // device_add
    std::string needs_device;                          // must be there first (scsi0), or empty
    std::string needs_message;                         // ... the refusal when it is not
    GuestIndices State::*names = nullptr;              // Linux's numbering, or none
    std::string name_prefix;                           // "vd", "eth"
};
// The guest's name for what was plugged ("vdb", "eth1"), or "" when it has none.
awaitable<Result<std::string>> plug_device(std::shared_ptr<State> state, PlugSteps plug);

// The device, then its backend object once the guest has let the device go.
struct UnplugSteps {
    std::string device;                              // "vif1"
    std::string device_arguments;                    // device_del
    std::string backend_del, backend_del_arguments;  // blockdev-del / netdev_del
};
awaitable<Result<void>> unplug_device(std::shared_ptr<State> state, UnplugSteps unplug);

}  // namespace uxl::qemu
