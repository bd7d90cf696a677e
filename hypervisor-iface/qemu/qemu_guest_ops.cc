// The QEMU controller's guest-device operations (qemu_controller_state.h): vCPUs, cdrom
// media, the VNC server and hot-plug, each a coroutine over the shared State. Every QMP
// argument is made outside the coroutines (g++ 12 and braced JSON initializers in one).
#include "qemu/qemu_controller_state.h"

#include "qemu/qemu_devices.h"

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

namespace uxl::qemu {
namespace {

std::string seconds_text(std::chrono::milliseconds duration)
{
    const auto ms = duration.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

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

}  // namespace

std::string string_member(const Json& object, const char* key)
{
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string one_member(const char* key, const std::string& value)
{
    Json arguments = Json::object();
    arguments[key] = value;
    return arguments.dump(-1, ' ', false, Json::error_handler_t::replace);
}

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

}  // namespace uxl::qemu
