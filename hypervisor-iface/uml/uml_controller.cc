// The UML Controller (see uml_controller.h). State lives in a shared State object so that
// the notify handler and the coroutines stay valid however the controller handle is
// dropped; everything runs on the executor's one thread.
#include "uml/uml_controller.h"

#include "uml/mconsole.h"
#include "uml/uml_backend.h"

#include <cctype>
#include <optional>

#include <unistd.h>

namespace uxl {

namespace {

struct State : std::enable_shared_from_this<State> {
    explicit State(asio::any_io_executor executor) : executor(std::move(executor)) {}

    asio::any_io_executor executor;
    std::optional<mconsole::Client> client;
    std::optional<mconsole::NotifyListener> listener;
    std::function<void(ControllerEvent)> handler;
    bool announced = false;  // the guest has told us its socket (or we were given it)
    bool closed = false;

    void emit(GuestEvent kind, std::string text, ShutdownReason reason = ShutdownReason::none)
    {
        if (!closed && handler)
            handler(ControllerEvent{kind, std::move(text), reason});
    }

    void on_notification(mconsole::Notification note)
    {
        switch (note.type) {
        case mconsole::NotifyType::socket:
            client->set_socket_path(note.text);
            if (!announced) {
                announced = true;
                emit(GuestEvent::control_ready, std::move(note.text));
            } else {
                // UML re-execs itself in place on a reboot and announces its socket again.
                emit(GuestEvent::rebooted_in_place, std::move(note.text));
            }
            break;
        case mconsole::NotifyType::panic:
            // A panicking guest never answers: fail the request in progress now (this is
            // how `sysrq c` ends) rather than at its deadline. The kernel then exits.
            client->abort_current(Error{Errc::backend_failed,
                                        "The guest panicked: " + note.text, {}});
            emit(GuestEvent::shutdown_requested, std::move(note.text), ShutdownReason::crash);
            break;
        case mconsole::NotifyType::hang:
            emit(GuestEvent::shutdown_requested, std::move(note.text), ShutdownReason::watchdog);
            break;
        case mconsole::NotifyType::user_notify:
            emit(GuestEvent::message, std::move(note.text));
            break;
        }
    }

    awaitable<Result<std::string>> request(std::string command)
    {
        // Called from the controller's coroutines, which hold the State.
        if (closed)
            co_return fail(Errc::invalid_state, "The domain's controller is closed.");
        if (!announced)
            co_return fail(Errc::invalid_state,
                           "The guest is not ready for commands yet (it has not announced "
                           "its mconsole socket).");
        co_return co_await client->request(std::move(command));
    }

    void close()
    {
        if (closed)
            return;
        closed = true;
        handler = nullptr;
        if (listener)
            listener->close();
        if (client)
            client->close();
    }
};

// Asio's coroutines start suspended: their bodies run only when awaited, perhaps after
// the handle or the caller's arguments are gone. So each operation copies what it needs
// (the shared State, the command text) into a static coroutine's parameters first.
class UmlController final : public Controller {
public:
    explicit UmlController(std::shared_ptr<State> state) : m_state(std::move(state)) {}
    ~UmlController() override { m_state->close(); }

    awaitable<Result<void>> shutdown() override { return simple(m_state, "cad"); }
    awaitable<Result<void>> reboot() override { return simple(m_state, "reboot"); }
    awaitable<Result<bool>> clean_shutdown_ready() override { return cad_ready(m_state); }
    awaitable<Result<void>> halt() override { return simple(m_state, "halt"); }
    awaitable<Result<void>> pause() override { return simple(m_state, "stop"); }
    awaitable<Result<void>> unpause() override { return simple(m_state, "go"); }

    awaitable<Result<std::string>> sysrq(char key) override { return send_sysrq(m_state, key); }

    awaitable<Result<std::string>> attach_disk(int slot, DiskSpec disk) override
    {
        if (slot < 0 || static_cast<std::size_t>(slot) >= UmlBackend::max_disks)
            return no_slot<std::string>(slot);
        const std::string path = disk.pdev_path.value_or("");
        const bool read_only = !disk.readwrite || disk.is_cdrom;
        return plug(m_state, UmlBackend::ubd_name(slot),
                    path.empty() ? std::string()
                                 : "config ubd" + std::to_string(slot) + (read_only ? "r" : "") + "=" + path);
    }
    awaitable<Result<void>> detach_disk(int slot) override
    {
        if (slot < 0 || static_cast<std::size_t>(slot) >= UmlBackend::max_disks)
            return no_slot<void>(slot);
        return unplug(m_state, "ubd" + std::to_string(slot));
    }
    awaitable<Result<std::string>> attach_nic(int slot, VifSpec nic) override
    {
        std::string command = "config eth" + std::to_string(slot) + "=tuntap," + nic.ifname.value_or("");
        if (!nic.mac.is_zero())
            command += "," + nic.mac.to_string();
        if (slot < 0)
            return no_slot<std::string>(slot);
        return plug(m_state, "eth" + std::to_string(slot), std::move(command));
    }
    awaitable<Result<void>> detach_nic(int slot) override
    {
        if (slot < 0)
            return no_slot<void>(slot);
        return unplug(m_state, "eth" + std::to_string(slot));
    }

    awaitable<Result<void>> set_memory(std::uint64_t current_kb, std::uint64_t target_kb) override
    {
        if (current_kb == target_kb)
            return done();
        // mem_config() reads the size with memparse(): K is KiB.
        const std::string command = "config mem=" + std::string(target_kb < current_kb ? "-" : "+") +
                                    std::to_string(target_kb < current_kb ? current_kb - target_kb
                                                                          : target_kb - current_kb) +
                                    "K";
        return simple(m_state, command);
    }

    awaitable<Result<std::string>> command(std::string_view text) override
    {
        return raw(m_state, std::string(text));
    }

    void on_event(std::function<void(ControllerEvent)> handler) override
    {
        if (!m_state->closed)
            m_state->handler = std::move(handler);
    }

    void close() override { m_state->close(); }

private:
    static awaitable<Result<std::string>> raw(std::shared_ptr<State> state, std::string command)
    {
        co_return co_await state->request(std::move(command));
    }

    static awaitable<Result<void>> simple(std::shared_ptr<State> state, std::string command)
    {
        auto reply = co_await state->request(std::move(command));
        if (!reply)
            co_return std::unexpected(std::move(reply).error());
        co_return Result<void>{};
    }

    static awaitable<Result<void>> done() { co_return Result<void>{}; }

    // /proc/sys/kernel/ctrl-alt-del is 1 from boot until init disables the kernel's own
    // answer (reboot(RB_DISABLE_CAD)); from then on `cad` reaches init. Before procfs is up
    // the read fails ("Failed to open file"): not ready either.
    static awaitable<Result<bool>> cad_ready(std::shared_ptr<State> state)
    {
        auto reply = co_await state->request("proc sys/kernel/ctrl-alt-del");
        if (!reply) {
            if (reply.error().code == Errc::backend_failed || reply.error().code == Errc::invalid_state)
                co_return false;
            co_return std::unexpected(std::move(reply).error());
        }
        std::string value;
        for (char c : *reply)
            if (std::isdigit(static_cast<unsigned char>(c)))
                value += c;
        co_return value == "0";
    }

    template <class T>
    static awaitable<Result<T>> no_slot(int slot)
    {
        co_return fail(Errc::invalid_argument, "UML has no device slot " + std::to_string(slot) + ".");
    }

    // `config <dev>=<spec>` takes the device's command-line syntax (backends.md §1).
    static awaitable<Result<std::string>> plug(std::shared_ptr<State> state, std::string guest_name,
                                               std::string command)
    {
        if (command.empty())
            co_return fail(Errc::unsupported,
                           "UML cannot hot-plug an empty drive: give the disk a target.");
        auto reply = co_await state->request(std::move(command));
        if (!reply)
            co_return std::unexpected(std::move(reply).error());
        co_return guest_name;
    }

    static awaitable<Result<void>> unplug(std::shared_ptr<State> state, std::string device)
    {
        auto reply = co_await state->request("remove " + device);
        if (!reply)
            co_return std::unexpected(std::move(reply).error());
        co_return Result<void>{};
    }

    static awaitable<Result<std::string>> send_sysrq(std::shared_ptr<State> state, char key)
    {
        if (key == 't')
            co_return fail(Errc::unsupported,
                           "sysrq t (show tasks) is refused for UML guests: through mconsole "
                           "it panics the UML 6.1 kernel (\"Segfault with no mm\").");
        if (!std::isgraph(static_cast<unsigned char>(key)))
            co_return fail(Errc::invalid_argument,
                           "A sysrq key must be one printable character.");
        co_return co_await state->request(std::string("sysrq ") + key);
    }

    std::shared_ptr<State> m_state;
};

}  // namespace

Result<std::unique_ptr<Controller>> make_uml_controller(asio::any_io_executor executor,
                                                        std::string notify_socket_path,
                                                        std::string mconsole_socket_path,
                                                        UmlControllerOptions options)
{
    auto state = std::make_shared<State>(executor);
    const bool adopting = !mconsole_socket_path.empty();

    auto client = mconsole::Client::create(
        executor, std::move(mconsole_socket_path),
        mconsole::ClientOptions{.timeout = options.request_timeout});
    if (!client)
        return std::unexpected(std::move(client).error());
    state->client.emplace(std::move(*client));

    std::weak_ptr<State> weak = state;
    auto listener = mconsole::NotifyListener::create(
        executor, std::move(notify_socket_path), [weak](mconsole::Notification note) {
            if (auto locked = weak.lock())
                locked->on_notification(std::move(note));
        });
    if (!listener) {
        state->close();
        return std::unexpected(std::move(listener).error());
    }
    state->listener.emplace(std::move(*listener));

    if (adopting) {
        state->announced = true;
        // Posted, so that the caller can set its handler first.
        asio::post(executor, [weak] {
            if (auto locked = weak.lock())
                locked->emit(GuestEvent::control_ready, locked->client->socket_path());
        });
    }
    return std::unique_ptr<Controller>(std::make_unique<UmlController>(std::move(state)));
}

Result<std::unique_ptr<Controller>> UmlBackend::make_controller(const ControllerSetup& setup) const
{
    // A new guest announces its mconsole socket at boot; an adopted one is already up, so
    // the controller is told where the socket is.
    const std::string notify = notify_socket(setup.run_dir);
    ::unlink(notify.c_str());
    return make_uml_controller(setup.executor, notify,
                               setup.start == ControllerSetup::Start::adopted ? setup.control_endpoint
                                                                               : std::string());
}

}  // namespace uxl
