// Shared by the hypervisor-iface unit tests that drive coroutines against a fake guest.
#pragma once

#include "uxl/asio.h"

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

namespace uxl::test_support {

// Runs `task` on `io` until it finishes (at most `limit`) and returns its value.
template <class T>
T run_task(asio::io_context& io, awaitable<T> task,
           std::chrono::milliseconds limit = std::chrono::seconds(10))
{
    using namespace std::chrono_literals;
    std::optional<T> result;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
        error = e;
        if (!e)
            result.emplace(std::move(value));
    });
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!result && !error && std::chrono::steady_clock::now() < deadline) {
        // A loop that ran out of work earlier (a peer hung up) stays stopped until restarted.
        if (io.stopped())
            io.restart();
        io.run_one_for(50ms);
    }
    if (error)
        std::rethrow_exception(error);
    if (!result)
        throw std::runtime_error("the task did not finish in time");
    return std::move(*result);
}

}  // namespace uxl::test_support
