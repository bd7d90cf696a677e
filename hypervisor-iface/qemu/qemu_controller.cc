// The QEMU Controller (see qemu_controller.h). State lives in a shared State object so that
// the QMP handlers and the coroutines stay valid however the controller handle is dropped;
// the QMP client's handlers hold it weakly, so the two never keep each other alive.
// Everything runs on the executor's one thread.
#include "qemu/qemu_controller.h"

#include "qemu/qemu_backend.h"
#include "qemu/qemu_devices.h"
#include "qemu/qmp.h"

#include "plan_util.h"

#include "uxl/vdev.h"

#include <nlohmann/json.hpp>

#include <sys/un.h>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>
#include <utility>

namespace uxl {

namespace {

using Json = nlohmann::json;
using boost::system::error_code;
using namespace std::chrono_literals;

constexpr std::size_t max_socket_path = sizeof(sockaddr_un{}.sun_path) - 1;

std::string string_member(const Json& object, const char* key)
{
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string seconds_text(std::chrono::milliseconds duration)
{
    const auto ms = duration.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// Linux's index for each virtio disk (vdX) or NIC (ethN) of the guest, by QEMU device id.
using GuestIndices = std::map<std::string, int>;

// Linux gives a new disk or NIC the lowest index no other one has: this one's, kept.
int take_lowest_free(GuestIndices& indices, const std::string& device)
{
    int index = 0;
    for (bool taken = true; taken; ++index)
        taken = std::any_of(indices.begin(), indices.end(), [&](const auto& entry) { return entry.second == index; });
    --index;
    indices[device] = index;
    return index;
}

// The virtio disks and NICs in query-pci's answer, in slot order: the order Linux finds them
// at boot, and numbers them in.
void learn_pci(const std::string& reply, GuestIndices& disks, GuestIndices& nics)
{
    constexpr int virtio_vendor = 0x1af4;
    constexpr int ethernet_class = 0x0200;
    Json buses = Json::parse(reply, nullptr, /*allow_exceptions=*/false);
    if (!buses.is_array())
        return;
    struct Found {
        int slot, function;
        std::string id;
        bool disk;
    };
    std::vector<Found> found;
    auto number = [](const Json& object, const char* key) {
        auto it = object.find(key);
        return it != object.end() && it->is_number_integer() ? it->get<int>() : -1;
    };
    for (const Json& bus : buses) {
        auto devices = bus.is_object() ? bus.find("devices") : bus.end();
        if (!bus.is_object() || devices == bus.end() || !devices->is_array())
            continue;
        for (const Json& device : *devices) {
            if (!device.is_object())
                continue;
            const Json id = device.value("id", Json::object());
            const Json class_info = device.value("class_info", Json::object());
            const bool disk = id.is_object() && number(id, "vendor") == virtio_vendor &&
                              (number(id, "device") == 0x1001 || number(id, "device") == 0x1042);
            const bool nic = class_info.is_object() && number(class_info, "class") == ethernet_class;
            if (!disk && !nic)
                continue;
            std::string name = string_member(device, "qdev_id");
            if (name.empty())  // a device without an id: never one uxl detaches
                name = "pci-" + std::to_string(number(device, "slot")) + "." +
                       std::to_string(number(device, "function"));
            found.push_back(Found{number(device, "slot"), number(device, "function"), name, disk});
        }
    }
    std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
        return std::tie(a.slot, a.function) < std::tie(b.slot, b.function);
    });
    for (const Found& device : found)
        take_lowest_free(device.disk ? disks : nics, device.id);
}

// What query-status says when the guest is not running ("paused", "prelaunch", ...);
// nullopt when it runs, or when the answer does not say.
std::optional<std::string> not_running(const std::string& reply)
{
    Json status = Json::parse(reply, nullptr, /*allow_exceptions=*/false);
    if (!status.is_object())
        return std::nullopt;
    auto running = status.find("running");
    if (running == status.end() || !running->is_boolean() || running->get<bool>())
        return std::nullopt;
    std::string state = string_member(status, "status");
    return state.empty() ? std::string("stopped") : state;
}

// One QMP argument object with one string member, made outside the coroutines (g++ 12 and
// braced JSON initializers in a coroutine: see monitor_command).
std::string one_member(const char* key, const std::string& value)
{
    Json arguments = Json::object();
    arguments[key] = value;
    return arguments.dump(-1, ' ', false, Json::error_handler_t::replace);
}

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

void State::on_event(const qmp::Event& event)
{
    Json data = Json::parse(event.data, nullptr, /*allow_exceptions=*/false);
    if (!data.is_object())
        data = Json::object();
    const std::string& name = event.name;
    if (name == "SHUTDOWN") {
        const std::string reason = string_member(data, "reason");
        if (reason == "guest-shutdown")
            go_down(ShutdownReason::poweroff, reason);
        else if (reason == "guest-reset" || reason == "host-qmp-system-reset")
            go_down(ShutdownReason::reboot, reason);
        else if (reason == "guest-panic") {
            if (!panicked)
                go_down(ShutdownReason::crash, reason);
        } else if (reason != "host-qmp-quit" && reason != "host-signal")
            emit(GuestEvent::message, "QEMU is shutting the machine down (" + reason + ").");
    } else if (name == "GUEST_PANICKED") {
        panicked = true;
        std::string text = "The guest panicked";
        if (auto info = data.find("info"); info != data.end())
            text += ": " + info->dump(-1, ' ', false, Json::error_handler_t::replace);
        go_down(ShutdownReason::crash, text + ".");
    } else if (name == "WATCHDOG") {
        go_down(ShutdownReason::watchdog,
                "The guest's watchdog fired (action " + string_member(data, "action") + ").");
    } else if (name == "STOP") {
        if (own_stops == 0 && !going_down)
            emit(GuestEvent::paused, {});
    } else if (name == "RESUME") {
        if (own_resumes == 0 && !going_down)
            emit(GuestEvent::resumed, {});
    } else if (name == "RESET") {
        emit(GuestEvent::message, "QEMU reset the machine (" + string_member(data, "reason") + ").");
    } else if (name == "POWERDOWN") {
        emit(GuestEvent::message, "The guest's ACPI power button was pressed.");
    } else if (name == "DEVICE_DELETED") {
        // The first of a virtio device's two names only its backend's path.
        if (std::string device = string_member(data, "device"); !device.empty())
            on_device_deleted(device);
    }
}

awaitable<void> refresh_vcpu_threads(std::shared_ptr<State> state);

void State::on_device_deleted(const std::string& device)
{
    virtio_disks.erase(device);
    nics.erase(device);
    if (auto it = unplugs.find(device); it != unplugs.end()) {
        it->second->deleted = true;
        it->second->timer.cancel();
        return;
    }
    emit(GuestEvent::message, "QEMU deleted the device " + device +
                                  ", for which no detach was waiting (one had given up waiting, or "
                                  "device_del was sent by hand); a detach finishes the job.");
}

awaitable<void> State::connect(std::shared_ptr<State> self)
{
    const auto deadline = std::chrono::steady_clock::now() + self->options.connect_timeout;
    std::weak_ptr<State> weak = self;
    for (;;) {
        qmp::ClientOptions client_options;
        client_options.timeout = self->options.request_timeout;
        client_options.on_event = [weak](qmp::Event event) {
            if (auto state = weak.lock())
                state->on_event(event);
        };
        // The connection ending means QEMU exited, which the monitor reports: no handler.
        auto client = co_await qmp::Client::connect(self->executor, self->path,
                                                    std::move(client_options));
        if (self->closed)
            co_return;
        if (client) {
            self->client = std::move(*client);
            break;
        }
        // Errc::io is QEMU not listening yet (no socket, or refused); the rest will not
        // get better by waiting.
        if (client.error().code != Errc::io || std::chrono::steady_clock::now() >= deadline) {
            self->emit(GuestEvent::message,
                       "uxl cannot control this guest: " + client.error().message);
            co_return;
        }
        self->retry_timer.expires_after(50ms);
        error_code ignored;
        co_await self->retry_timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        if (self->closed)
            co_return;
    }

    // The virtio disks and NICs the guest has from its start, for the names of the ones
    // attached later.
    auto pci = co_await self->client.execute("query-pci");
    if (self->closed)
        co_return;
    if (pci)
        learn_pci(*pci, self->virtio_disks, self->nics);
    // The vCPU threads, for `uxl vcpu-list` (vcpu-set refreshes them).
    self->ready = true;
    co_await refresh_vcpu_threads(self);
    if (self->closed)
        co_return;
    self->emit(GuestEvent::control_ready, self->path);
}

// Asio's coroutines start suspended: their bodies run only when awaited, perhaps after the
// handle or the caller's arguments are gone. So each operation copies what it needs (the
// shared State, the command text) into a static coroutine's parameters first.
awaitable<Result<void>> simple(std::shared_ptr<State> state, std::string command,
                               std::string arguments = {})
{
    auto reply = co_await state->run(std::move(command), std::move(arguments));
    if (!reply)
        co_return std::unexpected(reply.error());
    co_return Result<void>{};
}

awaitable<Result<void>> own_run_state_change(std::shared_ptr<State> state, std::string command,
                                             int State::*in_flight)
{
    ++(state.get()->*in_flight);
    auto reply = co_await state->run(std::move(command));
    --(state.get()->*in_flight);
    if (!reply)
        co_return std::unexpected(reply.error());
    co_return Result<void>{};
}

// `arguments` is made by the caller: g++ 12 miscompiles a braced JSON initializer inside a
// coroutine ("array used as initializer").
awaitable<Result<std::string>> monitor_command(std::shared_ptr<State> state, std::string arguments)
{
    auto reply = co_await state->run("human-monitor-command", std::move(arguments));
    if (!reply)
        co_return std::unexpected(reply.error());
    Json output = Json::parse(*reply, nullptr, /*allow_exceptions=*/false);
    co_return output.is_string() ? output.get<std::string>() : *reply;
}

awaitable<Result<std::string>> sysrq_keys(std::shared_ptr<State> state, std::string arguments)
{
    auto reply = co_await state->run("send-key", std::move(arguments));
    if (!reply)
        co_return std::unexpected(reply.error());
    co_return std::string();
}

// The arguments of device_add for one free slot of query-hotpluggable-cpus: its type, an id
// of ours ("vcpu-S-C-T": hot-plugged CPUs can be found again by it), and its props.
std::string cpu_add_arguments(const Json& slot)
{
    Json arguments = Json::object();
    arguments["driver"] = slot.value("type", std::string());
    std::string id = "vcpu";
    if (auto props = slot.find("props"); props != slot.end() && props->is_object()) {
        for (const char* key : {"socket-id", "core-id", "thread-id"}) {
            auto value = props->find(key);
            if (value != props->end() && value->is_number_integer()) {
                arguments[key] = *value;
                id += "-" + std::to_string(value->get<long>());
            }
        }
        if (auto node = props->find("node-id"); node != props->end())
            arguments["node-id"] = *node;
    }
    arguments["id"] = id;
    return arguments.dump();
}

std::string device_id_argument(const std::string& id)
{
    return Json{{"id", id}}.dump();
}

// The vCPU threads (query-cpus-fast), in vCPU order.
awaitable<void> refresh_vcpu_threads(std::shared_ptr<State> state)
{
    auto cpus = co_await state->run("query-cpus-fast");
    if (!cpus)
        co_return;
    Json list = Json::parse(*cpus, nullptr, /*allow_exceptions=*/false);
    std::vector<std::pair<long, int>> threads;
    if (list.is_array()) {
        for (const Json& cpu : list) {
            auto index = cpu.find("cpu-index");
            auto thread = cpu.find("thread-id");
            if (index != cpu.end() && index->is_number_integer() && thread != cpu.end() &&
                thread->is_number_integer())
                threads.emplace_back(index->get<long>(), thread->get<int>());
        }
    }
    std::sort(threads.begin(), threads.end());
    state->vcpu_threads.clear();
    for (const auto& [index, thread] : threads)
        state->vcpu_threads.push_back(thread);
}

// vcpu-set: plugs CPUs into free slots of -smp N,maxcpus=M in order, or unplugs the ones an
// earlier vcpu-set plugged, newest first (the guest must release them: ACPI eject).
awaitable<Result<void>> set_vcpus(std::shared_ptr<State> state, int online)
{
    auto listed = co_await state->run("query-hotpluggable-cpus");
    if (!listed)
        co_return std::unexpected(listed.error());
    Json slots = Json::parse(*listed, nullptr, /*allow_exceptions=*/false);
    if (!slots.is_array())
        co_return fail(Errc::backend_failed, "QEMU's query-hotpluggable-cpus said: " + *listed);
    std::vector<Json> empty_slots;
    std::vector<std::string> ours;  // ids of plugged CPUs we added, in slot order
    int plugged = 0;
    for (const Json& slot : slots) {
        const std::string path = slot.value("qom-path", std::string());
        if (path.empty()) {
            empty_slots.push_back(slot);
            continue;
        }
        ++plugged;
        const std::string peripheral = "/machine/peripheral/";
        if (path.starts_with(peripheral))
            ours.push_back(path.substr(peripheral.size()));
    }
    // Plug from the lowest slot (QEMU happens to list the highest first).
    auto place = [](const Json& slot) {
        std::array<long, 3> at{};
        const Json props = slot.value("props", Json::object());
        const char* keys[] = {"socket-id", "core-id", "thread-id"};
        for (std::size_t i = 0; i < at.size(); ++i)
            at[i] = props.is_object() ? props.value(keys[i], 0L) : 0L;
        return at;
    };
    std::sort(empty_slots.begin(), empty_slots.end(),
              [&](const Json& a, const Json& b) { return place(a) < place(b); });
    std::sort(ours.begin(), ours.end());
    while (plugged < online) {
        if (empty_slots.empty())
            co_return fail(Errc::invalid_argument, "The guest has no free vCPU slot left (maxvcpus).");
        const std::string arguments = cpu_add_arguments(empty_slots.front());
        empty_slots.erase(empty_slots.begin());
        auto added = co_await state->run("device_add", arguments);
        if (!added)
            co_return std::unexpected(added.error());
        ++plugged;
    }
    while (plugged > online) {
        if (ours.empty())
            co_return fail(Errc::unsupported,
                           "QEMU can only take away vCPUs that vcpu-set added; the guest booted with " +
                               std::to_string(plugged) + ".");
        const std::string arguments = device_id_argument(ours.back());
        ours.pop_back();
        auto removed = co_await state->run("device_del", arguments);
        if (!removed)
            co_return std::unexpected(removed.error());
        --plugged;
    }
    co_await refresh_vcpu_threads(state);
    co_return Result<void>{};
}

std::string medium_arguments(const std::string& device, const std::string& path, const std::string& format)
{
    Json arguments = Json::object();
    arguments["id"] = device;
    if (path.empty()) {
        arguments["force"] = true;
    } else {
        arguments["filename"] = path;
        arguments["format"] = format;
        arguments["read-only-mode"] = "read-only";
    }
    return arguments.dump();
}

// cd-insert: blockdev-change-medium opens the tray, swaps the medium and closes it again;
// cd-eject: eject (forced: the guest may have locked the tray).
awaitable<Result<void>> change_medium(std::shared_ptr<State> state, std::string device, std::string path,
                                      std::string format)
{
    const std::string arguments = medium_arguments(device, path, format);
    auto done = co_await state->run(path.empty() ? "eject" : "blockdev-change-medium", arguments);
    if (!done)
        co_return std::unexpected(done.error());
    co_return Result<void>{};
}

// QMP query-vnc: {"enabled": true, "host": "127.0.0.1", "service": "5904", ...}.
awaitable<Result<std::string>> query_vnc(std::shared_ptr<State> state)
{
    auto reply = co_await state->run("query-vnc");
    if (!reply)
        co_return std::unexpected(reply.error());
    Json vnc = Json::parse(*reply, nullptr, /*allow_exceptions=*/false);
    const auto enabled = vnc.is_object() ? vnc.find("enabled") : vnc.end();
    if (!vnc.is_object() || enabled == vnc.end() || !enabled->is_boolean() || !enabled->get<bool>())
        co_return fail(Errc::not_found, "This guest has no VNC display (vnc = 1 in an HVM config gives it one).");
    const std::string host = string_member(vnc, "host");
    const std::string service = string_member(vnc, "service");
    if (host.empty() || service.empty())
        co_return fail(Errc::backend_failed, "QEMU did not say where its VNC server listens: " + *reply);
    co_return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + service;
}

template <class T>
awaitable<Result<T>> refuse(std::string message, Errc code = Errc::unsupported)
{
    co_return fail(code, std::move(message));
}

// --- Hot-plug. ---
//
// The overrides check what they are given and make every command's arguments (no JSON is
// built inside a coroutine); these coroutines only send them.

// Whether QEMU has a device of this id that was given on its command line or plugged
// (qom-list of /machine/peripheral).
awaitable<Result<bool>> has_device(std::shared_ptr<State> state, std::string id)
{
    auto reply = co_await state->run("qom-list", one_member("path", "/machine/peripheral"));
    if (!reply)
        co_return std::unexpected(reply.error());
    Json children = Json::parse(*reply, nullptr, /*allow_exceptions=*/false);
    if (!children.is_array())
        co_return false;
    co_return std::any_of(children.begin(), children.end(),
                          [&](const Json& child) { return child.is_object() && string_member(child, "name") == id; });
}

// A backend object (block node, netdev), then the device on it; the backend is deleted
// again when QEMU refuses the device.
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

awaitable<Result<std::string>> plug_device(std::shared_ptr<State> state, PlugSteps plug)
{
    if (!plug.needs_device.empty()) {
        auto present = co_await has_device(state, plug.needs_device);
        if (!present)
            co_return std::unexpected(present.error());
        if (!*present)
            co_return fail(Errc::unsupported, plug.needs_message);
    }
    auto added = co_await state->run(plug.backend_add, plug.backend_arguments);
    if (!added)
        co_return std::unexpected(added.error());
    auto plugged = co_await state->run("device_add", plug.device_arguments);
    if (!plugged) {
        Error error = plugged.error();
        auto undone = co_await state->run(plug.backend_del, plug.backend_del_arguments);
        if (!undone)
            error.message += " (and " + plug.backend_del + " of what was added for " + plug.what +
                             " failed: " + undone.error().message + ")";
        co_return std::unexpected(std::move(error));
    }
    if (!plug.names)
        co_return std::string();
    const int index = take_lowest_free(state.get()->*plug.names, plug.what);
    if (plug.name_prefix == "eth")
        co_return "eth" + std::to_string(index);
    co_return qemu::linux_disk_name(plug.name_prefix, static_cast<std::size_t>(index));
}

// The device, then its backend object once the guest has let the device go.
struct UnplugSteps {
    std::string device;                              // "vif1"
    std::string device_arguments;                    // device_del
    std::string backend_del, backend_del_arguments;  // blockdev-del / netdev_del
};

awaitable<Result<void>> unplug_device(std::shared_ptr<State> state, UnplugSteps unplug)
{
    // 1. A guest that does not run cannot let go: say so now, rather than leave a request
    // pending that a later unpause would carry out behind the daemon's back.
    auto status = co_await state->run("query-status");
    if (!status)
        co_return std::unexpected(status.error());
    if (std::optional<std::string> why = not_running(*status))
        co_return fail(Errc::invalid_state, "the guest is " + *why +
                                                ", and only a running guest can let a device go: "
                                                "unpause it first");

    // 2. device_del, and the wait for the guest.
    auto wait = std::make_shared<State::Unplug>(state->executor);
    wait->timer.expires_after(state->options.unplug_timeout);
    state->unplugs[unplug.device] = wait;
    auto asked = co_await state->run("device_del", unplug.device_arguments);
    // A device QEMU no longer has was let go before: an earlier detach gave up waiting
    // and the guest let go later. What is left is its backend object.
    const bool already_gone = !asked && asked.error().context == "DeviceNotFound";
    if (asked && !wait->deleted) {
        boost::system::error_code ignored;
        co_await wait->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (auto it = state->unplugs.find(unplug.device); it != state->unplugs.end() && it->second == wait)
        state->unplugs.erase(it);
    if (state->closed)
        co_return fail(Errc::invalid_state, "The domain's controller was closed during the detach.");
    if (!asked && !already_gone)
        co_return std::unexpected(asked.error());
    if (!already_gone && !wait->deleted)
        co_return fail(Errc::timeout,
                       "the guest did not let go of it within " + seconds_text(state->options.unplug_timeout) +
                           " (a guest still booting, or without ACPI PCI hot-plug, never does), so it "
                           "keeps it; QEMU's request to unplug " + unplug.device + " stays pending",
                       unplug.device);

    // 3. Its backend object. After an earlier detach that gave up, an object that is gone
    // too is no failure: the device is not in the guest, which is what was asked for.
    auto removed = co_await state->run(unplug.backend_del, unplug.backend_del_arguments);
    if (!removed && !already_gone)
        co_return std::unexpected(removed.error());
    co_return Result<void>{};
}

class QemuController final : public Controller {
public:
    explicit QemuController(std::shared_ptr<State> state) : m_state(std::move(state)) {}
    ~QemuController() override { m_state->close(); }

    awaitable<Result<void>> shutdown() override { return simple(m_state, "system_powerdown"); }
    awaitable<Result<void>> halt() override { return simple(m_state, "quit"); }
    awaitable<Result<void>> power_off() override { return simple(m_state, "quit"); }
    awaitable<Result<std::string>> vnc_address() override { return query_vnc(m_state); }
    awaitable<Result<void>> change_cdrom(int slot, std::string vdev, std::string path, DiskFormat format) override
    {
        auto ids = qemu::disk_ids(slot);
        if (!ids)
            return refuse<void>("Disk " + vdev + " is not a drive QEMU knows.");
        const std::string driver(qemu::block_format(format).value_or("raw"));
        return change_medium(m_state, ids->device, std::move(path), driver);
    }
    awaitable<Result<void>> set_vcpus(int online) override { return uxl::set_vcpus(m_state, online); }
    awaitable<Result<void>> trigger(std::string_view name) override
    {
        // xl's triggers as QEMU has them: the power button, an NMI to every vCPU, a hard
        // reset, the wake-up from S3. QEMU has no sleep button and sends no INIT.
        if (name == "power")
            return simple(m_state, "system_powerdown");
        if (name == "nmi")
            return simple(m_state, "inject-nmi");
        if (name == "reset")
            return simple(m_state, "system_reset");
        if (name == "s3resume")
            return simple(m_state, "system_wakeup");
        return refuse<void>("QEMU cannot send the " + std::string(name) +
                            " trigger: it has the power, nmi, reset and s3resume triggers.");
    }
    awaitable<Result<void>> reboot() override
    {
        // A clean reboot needs the guest's cooperation, which QEMU cannot ask for without a
        // guest agent (not there yet); xl refuses the same for a guest without PV drivers,
        // and `reboot -F` sends the reset trigger instead.
        return refuse<void>("QEMU guests have no guest agent channel yet, so a clean reboot is not possible.");
    }
    awaitable<Result<void>> pause() override
    {
        return own_run_state_change(m_state, "stop", &State::own_stops);
    }
    awaitable<Result<void>> unpause() override
    {
        return own_run_state_change(m_state, "cont", &State::own_resumes);
    }
    awaitable<Result<std::string>> sysrq(char key) override
    {
        // Alt+SysRq+key on the guest's keyboard, as xl's sysrq does through Xen's PV
        // channel. QEMU names letter and digit keys by themselves (qcode "h", "7").
        const bool named = (key >= 'a' && key <= 'z') || (key >= '0' && key <= '9');
        if (!named)
            return refuse<std::string>("QEMU guests take SysRq keys a-z and 0-9 only, not '" +
                                       std::string(1, key) + "'.");
        Json keys = Json::array();
        for (const std::string& name : {std::string("alt"), std::string("sysrq"), std::string(1, key)})
            keys.push_back(Json{{"type", "qcode"}, {"data", name}});
        return sysrq_keys(m_state, Json{{"keys", keys}}.dump());
    }
    awaitable<Result<std::string>> attach_disk(int slot, DiskSpec disk) override
    {
        const std::optional<qemu::DiskIds> ids =
            slot >= 0 && slot < qemu::hotplug_disk_slots ? qemu::disk_ids(slot) : std::nullopt;
        if (!ids)
            return refuse<std::string>("QEMU guests have no hot-plug disk slot " + std::to_string(slot) + ".",
                                       Errc::invalid_argument);
        const std::string vdev = disk.vdev.value_or("");
        const std::optional<int> number = vdev_to_number(vdev);
        const std::optional<qemu::DiskBus> bus = number ? qemu::disk_bus(*number) : std::nullopt;
        if (!bus)
            return refuse<std::string>("Disk " + vdev + " names no xvd or sd disk, so uxl does not know where "
                                       "QEMU should put it; name it xvdN or sdN.",
                                       Errc::invalid_argument);
        if (*bus == qemu::DiskBus::ide)
            return refuse<std::string>("QEMU cannot hot-plug IDE disks, so " + vdev +
                                       " cannot be attached to a running guest; name it xvd* (virtio) or "
                                       "sd* (SCSI).");
        if (!qemu::has_media(disk))
            return refuse<std::string>("QEMU cannot hot-plug an empty drive: give the disk a target.");
        if (!qemu::block_format(disk.format))
            return refuse<std::string>("Disk " + vdev + " has format empty but names a target; leave the "
                                       "format out.",
                                       Errc::invalid_argument);

        PlugSteps steps;
        steps.what = ids->device;
        steps.backend_add = "blockdev-add";
        steps.backend_arguments = qemu::blockdev_json(disk, ids->node);
        steps.backend_del = "blockdev-del";
        steps.backend_del_arguments = one_member("node-name", ids->node);
        Json device = Json::object();
        if (*bus == qemu::DiskBus::virtio_blk) {
            device["driver"] = "virtio-blk-pci";
            steps.names = &State::virtio_disks;
            steps.name_prefix = "vd";
        } else {
            // The plan's place for it: scsi-id by disk index (sdb: 1), as at create.
            const std::string controller(qemu::scsi_controller_id);
            device["driver"] = disk.is_cdrom ? "scsi-cd" : "scsi-hd";
            device["bus"] = controller + ".0";
            device["channel"] = 0;
            device["scsi-id"] = plan::disk_index_and_partition(*number).first;
            device["lun"] = 0;
            steps.needs_device = controller;
            steps.needs_message = "QEMU can hot-plug an sd* disk only into a guest that has a SCSI "
                                 "controller, which a guest gets from an sd* disk in its config; name " +
                                 vdev + " xvd* instead.";
        }
        device["drive"] = ids->node;
        device["id"] = ids->device;
        steps.device_arguments = device.dump(-1, ' ', false, Json::error_handler_t::replace);
        return plug_device(m_state, std::move(steps));
    }
    awaitable<Result<void>> detach_disk(int slot) override
    {
        const std::optional<qemu::DiskIds> ids = qemu::disk_ids(slot);
        if (!ids)
            return refuse<void>("QEMU guests have no disk in slot " + std::to_string(slot) + ".",
                                Errc::invalid_argument);
        UnplugSteps steps{ids->device, one_member("id", ids->device), "blockdev-del",
                          one_member("node-name", ids->node)};
        return unplug_device(m_state, std::move(steps));
    }
    awaitable<Result<std::string>> attach_nic(int slot, VifSpec nic) override
    {
        if (slot < 0)
            return refuse<std::string>("QEMU guests have no NIC slot " + std::to_string(slot) + ".",
                                       Errc::invalid_argument);
        const std::string tap = nic.ifname.value_or("");
        if (tap.empty())
            return refuse<std::string>("A NIC is hot-plugged onto a host tap, but none was named.",
                                       Errc::invalid_argument);
        // The default is virtio-net whatever the guest's type: a running HVM guest gets
        // what hot-plugs best (the plan gives HVM guests xl's rtl8139).
        const std::string model = qemu::nic_model(nic, DomainType::pv);
        if (model.empty())
            return refuse<std::string>("QEMU guests have virtio-net, e1000 or rtl8139 NICs, not model=" +
                                       nic.model.value_or("") + ".");
        const std::string netdev = qemu::nic_netdev_id(slot);
        const std::string id = qemu::nic_device_id(slot);

        PlugSteps steps;
        steps.what = id;
        steps.backend_add = "netdev_add";
        Json backend = Json::object();
        backend["type"] = "tap";
        backend["id"] = netdev;
        backend["ifname"] = tap;
        backend["script"] = "no";
        backend["downscript"] = "no";
        steps.backend_arguments = backend.dump(-1, ' ', false, Json::error_handler_t::replace);
        steps.backend_del = "netdev_del";
        steps.backend_del_arguments = one_member("id", netdev);
        Json device = Json::object();
        device["driver"] = model;
        device["netdev"] = netdev;
        if (!nic.mac.is_zero())
            device["mac"] = nic.mac.to_string();
        device["id"] = id;
        steps.device_arguments = device.dump(-1, ' ', false, Json::error_handler_t::replace);
        steps.names = &State::nics;
        steps.name_prefix = "eth";
        return plug_device(m_state, std::move(steps));
    }
    awaitable<Result<void>> detach_nic(int slot) override
    {
        if (slot < 0)
            return refuse<void>("QEMU guests have no NIC slot " + std::to_string(slot) + ".",
                                Errc::invalid_argument);
        const std::string id = qemu::nic_device_id(slot);
        UnplugSteps steps{id, one_member("id", id), "netdev_del", one_member("id", qemu::nic_netdev_id(slot))};
        return unplug_device(m_state, std::move(steps));
    }
    awaitable<Result<void>> set_memory(std::uint64_t, std::uint64_t target_kb) override
    {
        // The balloon's target is the guest's whole memory, in bytes.
        return simple(m_state, "balloon", Json{{"value", target_kb * 1024}}.dump());
    }
    awaitable<Result<std::string>> command(std::string_view text) override
    {
        return monitor_command(m_state, Json{{"command-line", std::string(text)}}.dump());
    }
    std::vector<int> vcpu_threads() const override { return m_state->vcpu_threads; }
    void on_event(std::function<void(ControllerEvent)> handler) override
    {
        m_state->handler = std::move(handler);
    }
    void close() override { m_state->close(); }

private:
    std::shared_ptr<State> m_state;
};

}  // namespace

Result<std::unique_ptr<Controller>> make_qemu_controller(asio::any_io_executor executor,
                                                         std::string qmp_socket_path,
                                                         QemuControllerOptions options)
{
    if (qmp_socket_path.empty() || qmp_socket_path.size() > max_socket_path)
        return fail(Errc::invalid_argument,
                    "The QMP socket path must have 1 to " + std::to_string(max_socket_path) +
                        " bytes.",
                    qmp_socket_path);
    auto state = std::make_shared<State>(executor, std::move(qmp_socket_path), options);
    asio::co_spawn(executor, State::connect(state), asio::detached);
    return std::make_unique<QemuController>(std::move(state));
}

Result<std::unique_ptr<Controller>> QemuBackend::make_controller(const ControllerSetup& setup) const
{
    // A new guest and an adopted one are alike: either way QEMU's QMP server takes our
    // connection once it listens, and control_ready follows.
    return make_qemu_controller(setup.executor, setup.control_endpoint);
}

}  // namespace uxl
