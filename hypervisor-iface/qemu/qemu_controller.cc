// The QEMU Controller (see qemu_controller.h). State lives in a shared State object so that
// the QMP handlers and the coroutines stay valid however the controller handle is dropped;
// the QMP client's handlers hold it weakly, so the two never keep each other alive.
// Everything runs on the executor's one thread.
#include "qemu/qemu_controller.h"

#include "qemu/qemu_backend.h"
#include "qemu/qmp.h"

#include <nlohmann/json.hpp>

#include <sys/un.h>

#include <algorithm>
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
        client.close();
    }

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
    }
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

    // The vCPU threads, for `uxl vcpu-list`: they do not change while QEMU runs.
    auto cpus = co_await self->client.execute("query-cpus-fast");
    if (self->closed)
        co_return;
    if (cpus) {
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
        for (const auto& [index, thread] : threads)
            self->vcpu_threads.push_back(thread);
    }
    self->ready = true;
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
awaitable<Result<T>> refuse(std::string message)
{
    co_return fail(Errc::unsupported, std::move(message));
}

class QemuController final : public Controller {
public:
    explicit QemuController(std::shared_ptr<State> state) : m_state(std::move(state)) {}
    ~QemuController() override { m_state->close(); }

    awaitable<Result<void>> shutdown() override { return simple(m_state, "system_powerdown"); }
    awaitable<Result<void>> halt() override { return simple(m_state, "quit"); }
    awaitable<Result<void>> power_off() override { return simple(m_state, "quit"); }
    awaitable<Result<std::string>> vnc_address() override { return query_vnc(m_state); }
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
    awaitable<Result<void>> reboot() override { return simple(m_state, "system_reset"); }
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
    awaitable<Result<std::string>> attach_disk(int, DiskSpec) override
    {
        return refuse<std::string>("uxl cannot hot-plug disks into QEMU guests yet.");
    }
    awaitable<Result<void>> detach_disk(int) override
    {
        return refuse<void>("uxl cannot hot-unplug disks from QEMU guests yet.");
    }
    awaitable<Result<std::string>> attach_nic(int, VifSpec) override
    {
        return refuse<std::string>("uxl cannot hot-plug NICs into QEMU guests yet.");
    }
    awaitable<Result<void>> detach_nic(int) override
    {
        return refuse<void>("uxl cannot hot-unplug NICs from QEMU guests yet.");
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
