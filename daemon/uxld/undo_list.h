// Create's undo list, and a TRY for coroutines: each step of a create pushes what undoes
// it; a failed step makes the caller run the list in reverse, so that nothing is left
// behind (no tap, no loop device, no process, no state file).
#pragma once

#include "uxl/asio.h"
#include "uxl/result.h"

#include <functional>
#include <utility>
#include <vector>

namespace uxl::daemon {

class UndoList {
public:
    using Step = std::function<asio::awaitable<void>()>;

    // Called on the loop thread by each step once the thing it made exists.
    void push(Step step) { m_steps.push_back(std::move(step)); }
    // Runs every step, last first, once; the list is empty afterwards.
    asio::awaitable<void> run()
    {
        while (!m_steps.empty()) {
            Step step = std::move(m_steps.back());
            m_steps.pop_back();
            co_await step();
        }
    }
    // Forgets the steps: the create succeeded, and what it made now belongs to the domain.
    void dismiss() { m_steps.clear(); }

private:
    std::vector<Step> m_steps;
};

}  // namespace uxl::daemon

// In a coroutine returning Result<T>: evaluates `expr` (a Result, possibly `co_await f()`)
// into a named local and co_returns its error; statement form, because g++ 12 mishandles
// co_await inside statement expressions and temporaries (see domain_manager.cc).
#define UXL_CO_TRY_CAT2(a, b) a##b
#define UXL_CO_TRY_CAT(a, b) UXL_CO_TRY_CAT2(a, b)
#define UXL_CO_TRY(expr)                                                          \
    auto UXL_CO_TRY_CAT(uxl_co_try_, __LINE__) = (expr);                          \
    if (!UXL_CO_TRY_CAT(uxl_co_try_, __LINE__))                                   \
        co_return std::unexpected(std::move(UXL_CO_TRY_CAT(uxl_co_try_, __LINE__)).error())
// The same, and moves the value into `var` (declared by the caller).
#define UXL_CO_TRY_ASSIGN(var, expr)                                              \
    auto UXL_CO_TRY_CAT(uxl_co_try_, __LINE__) = (expr);                          \
    if (!UXL_CO_TRY_CAT(uxl_co_try_, __LINE__))                                   \
        co_return std::unexpected(std::move(UXL_CO_TRY_CAT(uxl_co_try_, __LINE__)).error()); \
    var = std::move(*UXL_CO_TRY_CAT(uxl_co_try_, __LINE__))
