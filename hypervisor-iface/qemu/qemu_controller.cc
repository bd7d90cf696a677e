// The QEMU Controller (see qemu_controller.h). State lives in a shared State object so that
// the QMP handlers and the coroutines stay valid however the controller handle is dropped;
// the QMP client's handlers hold it weakly, so the two never keep each other alive.
// Everything runs on the executor's one thread.
#include "qemu/qemu_controller.h"

#include "qemu/guest_agent.h"
#include "qemu/qemu_backend.h"
#include "qemu/qemu_controller_state.h"
#include "qemu/qemu_devices.h"
#include "qemu/qmp.h"

#include "plan_util.h"

#include "uxl/vdev.h"

#include <sys/un.h>

#include <algorithm>
#include <utility>

namespace uxl {
namespace qemu {

using boost::system::error_code;
using namespace std::chrono_literals;

// --- The State's own members: QMP events, device deletions, the connection. ---

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
    // A guest whose watchdog fired while no uxld listened sits paused in the status
    // "watchdog" (-action watchdog=pause): its WATCHDOG event is lost, the status is not.
    auto status = co_await self->client.execute("query-status");
    if (self->closed)
        co_return;
    bool watchdog_fired = false;
    if (status) {
        const Json reply = Json::parse(*status, nullptr, /*allow_exceptions=*/false);
        watchdog_fired = reply.is_object() && string_member(reply, "status") == "watchdog";
    }
    self->emit(GuestEvent::control_ready, self->path);
    if (watchdog_fired)
        self->go_down(ShutdownReason::watchdog,
                      "The guest's watchdog fired while uxld was away (QEMU's status is watchdog).");
}

}  // namespace qemu

namespace {

using namespace qemu;

constexpr std::size_t max_socket_path = sizeof(sockaddr_un{}.sun_path) - 1;

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


// system_reset: with the plan's reboot=shutdown QEMU goes down at once, and its SHUTDOWN may
// reach the daemon, which then closes the controller, before the command's answer does. A
// reset that brought the guest down did what it was asked.
awaitable<Result<void>> reset(std::shared_ptr<State> state)
{
    auto reply = co_await state->run("system_reset");
    if (!reply && !state->going_down)
        co_return std::unexpected(reply.error());
    co_return Result<void>{};
}

// A clean poweroff or reboot asked of the guest agent (guest_agent.h), when QEMU says the
// guest has the agent's port open; Errc::unsupported when it has not, or nothing answers.
awaitable<Result<void>> agent_shutdown(std::shared_ptr<State> state, std::string mode)
{
    auto chardevs = co_await state->run("query-chardev");
    if (!chardevs)
        co_return std::unexpected(chardevs.error());
    if (!guest_agent_port_open(*chardevs))
        co_return fail(Errc::unsupported, "The guest runs no guest agent (qemu-ga on its " +
                                              std::string(guest_agent_port) + " port).");
    AgentShutdown request;
    request.socket_path = QemuBackend::guest_agent_socket(state->path.substr(0, state->path.rfind('/')));
    request.mode = std::move(mode);
    // Unique across uxld restarts too: an old conversation's answer never matches.
    request.sync_id = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) +
                      ++state->agent_conversations;
    co_return co_await guest_agent_shutdown(state->executor, std::move(request));
}

// shutdown: the guest agent when the guest has one (it cannot miss the request), else the
// ACPI power button.
awaitable<Result<void>> agent_or_button(std::shared_ptr<State> state)
{
    auto by_agent = co_await agent_shutdown(state, "powerdown");
    if (by_agent)
        co_return by_agent;
    co_return co_await simple(state, "system_powerdown");
}

template <class T>
awaitable<Result<T>> refuse(std::string message, Errc code = Errc::unsupported)
{
    co_return fail(code, std::move(message));
}


class QemuController final : public Controller {
public:
    explicit QemuController(std::shared_ptr<State> state) : m_state(std::move(state)) {}
    ~QemuController() override { m_state->close(); }

    awaitable<Result<void>> shutdown() override { return agent_or_button(m_state); }
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
    awaitable<Result<void>> set_vcpus(int online) override { return qemu::set_vcpus(m_state, online); }
    awaitable<Result<void>> trigger(std::string_view name) override
    {
        // xl's triggers as QEMU has them: the power button, an NMI to every vCPU, a hard
        // reset, the wake-up from S3. QEMU has no sleep button and sends no INIT.
        if (name == "power")
            return simple(m_state, "system_powerdown");
        if (name == "nmi")
            return simple(m_state, "inject-nmi");
        if (name == "reset")
            return reset(m_state);
        if (name == "s3resume")
            return simple(m_state, "system_wakeup");
        return refuse<void>("QEMU cannot send the " + std::string(name) +
                            " trigger: it has the power, nmi, reset and s3resume triggers.");
    }
    awaitable<Result<void>> reboot() override
    {
        // A clean reboot needs the guest's cooperation: its guest agent. Without one, xl
        // refuses the same for a guest without PV drivers, and `reboot -F` sends the reset
        // trigger instead.
        return agent_shutdown(m_state, "reboot");
    }    awaitable<Result<void>> pause() override
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
