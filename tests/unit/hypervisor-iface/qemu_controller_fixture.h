// The QEMU controller tests' fake-QEMU answers and fixture, shared by qemu_controller_test.cc
// and qemu_controller_hotplug_test.cc. Not in an anonymous namespace: gtest wants one fixture
// type per test suite across the program.
#pragma once

#include "qemu/qemu_controller.h"

#include "fake_qemu.h"
#include "run_task.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uxl::test_support {

// Answers every command with {} except query-cpus-fast (two vCPUs, listed out of order),
// human-monitor-command and query-status (running); stop and cont come with their STOP
// and RESUME first, as QEMU sends them.
inline FakeQemu::Answer qemu_like(const Json& command)
{
    const std::string name = command.value("execute", "");
    if (name == "query-cpus-fast")
        return {{returns(command, Json::array({{{"cpu-index", 1}, {"thread-id", 4002}},
                                               {{"cpu-index", 0}, {"thread-id", 4001}}}))}};
    if (name == "human-monitor-command")
        return {{returns(command, "VM status: running\r\n")}};
    if (name == "query-status")
        return {{returns(command, Json{{"status", "running"}, {"singlestep", false}, {"running", true}})}};
    if (name == "stop")
        return {{event("STOP"), returns(command)}};
    if (name == "cont")
        return {{event("RESUME"), returns(command)}};
    return {{returns(command)}};
}

// QEMU's error answer.
inline std::string refuses(const Json& command, const std::string& error_class, const std::string& desc)
{
    return Json{{"error", {{"class", error_class}, {"desc", desc}}}, {"id", command["id"]}}.dump();
}

// The two DEVICE_DELETED events QEMU 7.2 sends once the guest has let a virtio device go:
// first its backend, by path only, then the device itself.
inline std::vector<std::string> device_deleted(const std::string& id)
{
    return {event("DEVICE_DELETED", Json{{"path", "/machine/peripheral/" + id + "/virtio-backend"}}),
            event("DEVICE_DELETED", Json{{"device", id}, {"path", "/machine/peripheral/" + id}})};
}

// As qemu_like, and a guest that lets every device go at once: device_del's answer is
// followed by its DEVICE_DELETED events.
inline FakeQemu::Answer guest_lets_go(const Json& command)
{
    if (command.value("execute", "") == "device_del") {
        FakeQemu::Answer answer{{returns(command)}};
        for (std::string& line : device_deleted(command["arguments"]["id"]))
            answer.lines.push_back(std::move(line));
        return answer;
    }
    return qemu_like(command);
}

// Starts `task` on `io` and returns where its value will be, for tests that act while it
// runs.
template <class T>
inline std::shared_ptr<std::optional<T>> start(asio::io_context& io, awaitable<T> task)
{
    auto out = std::make_shared<std::optional<T>>();
    asio::co_spawn(io, std::move(task), [out](std::exception_ptr error, T value) {
        if (!error)
            out->emplace(std::move(value));
    });
    return out;
}

class QemuControllerTest : public ::testing::Test {
protected:
    void start_fake(FakeQemu::Script script = qemu_like) { fake.emplace(io, path, std::move(script)); }

    std::unique_ptr<Controller> make(QemuControllerOptions options = {})
    {
        auto made = make_qemu_controller(io.get_executor(), path, options);
        EXPECT_TRUE(made.has_value()) << made.error().message;
        if (!made)
            return nullptr;
        (*made)->on_event([this](ControllerEvent e) { events.push_back(std::move(e)); });
        return std::move(*made);
    }

    // A controller that has connected and said so.
    std::unique_ptr<Controller> ready(FakeQemu::Script script = qemu_like, QemuControllerOptions options = {})
    {
        start_fake(std::move(script));
        auto controller = make(options);
        EXPECT_TRUE(run_until(io, [&] { return count(GuestEvent::control_ready) == 1; }));
        events.clear();
        commands_before = fake->commands.size();
        return controller;
    }

    // The names of the commands sent since ready() returned.
    std::vector<std::string> sent() const
    {
        std::vector<std::string> names;
        for (std::size_t i = commands_before; fake && i < fake->commands.size(); ++i)
            names.push_back(fake->commands[i].value("execute", ""));
        return names;
    }

    // The arguments of the last `name` command sent; null when there was none.
    Json arguments_of(const std::string& name) const
    {
        for (auto it = fake->commands.rbegin(); it != fake->commands.rend(); ++it)
            if (it->value("execute", "") == name)
                return it->value("arguments", Json::object());
        return nullptr;
    }

    int count(GuestEvent kind) const
    {
        return static_cast<int>(std::count_if(events.begin(), events.end(),
                                              [&](const ControllerEvent& e) { return e.kind == kind; }));
    }

    // The name of the last command the fake received.
    std::string last_command() const
    {
        return fake && !fake->commands.empty() ? fake->commands.back().value("execute", "") : "";
    }

    asio::io_context io;
    TempDir dir;
    std::string path = dir.path + "/qmp.sock";
    std::optional<FakeQemu> fake;
    std::vector<ControllerEvent> events;
    std::size_t commands_before = 0;
};

}  // namespace uxl::test_support
