// Errors as values: Result<T> is std::expected<T, Error>.
//
// An Error carries a small, stable code (Errc), a user-facing message, and optional
// context (the file or object the error is about). Call sites stay flat with UXL_TRY.
#pragma once

#if __has_include(<expected>)
#include <expected>
#endif
#if !defined(__cpp_lib_expected)
// clang 14 (the libFuzzer build) cannot use libstdc++ 12's <expected>, which needs C++20
// concepts it lacks. tl::expected (Debian's libexpected-dev) has the same interface; it is
// made visible under the standard names for that build only.
#include <tl/expected.hpp>
namespace std {
using tl::bad_expected_access;
using tl::expected;
using tl::unexpected;
}  // namespace std
#endif
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace uxl {

enum class Errc {
    invalid_argument,
    not_found,
    already_exists,
    invalid_state,
    unsupported,
    backend_failed,
    io,
    timeout,
    protocol,
    internal,
};

std::string_view to_string(Errc code);

struct Error {
    Errc code = Errc::internal;
    std::string message;  // full sentence(s), shown to the user as is
    std::string context;  // optional: what the error is about (file, domain, device)
};

template <class T>
using Result = std::expected<T, Error>;

// Builds the error side of a Result: `return fail(Errc::not_found, "no such domain");`
inline std::unexpected<Error> fail(Errc code, std::string message, std::string context = {})
{
    return std::unexpected<Error>(Error{code, std::move(message), std::move(context)});
}

}  // namespace uxl

namespace uxl::detail {

// The value of a successful Result, for UXL_TRY; nothing for Result<void>.
template <class R>
auto try_unwrap(R&& result)
{
    using Value = typename std::remove_cvref_t<R>::value_type;
    if constexpr (std::is_void_v<Value>)
        return;
    else
        return Value(std::forward<R>(result).value());
}

}  // namespace uxl::detail

// Evaluates a Result-returning expression; on error returns that error from the enclosing
// function, otherwise yields the value. Uses a GNU statement expression (g++ and clang).
#define UXL_TRY(expr)                                                   \
    ({                                                                  \
        auto&& uxl_try_result_ = (expr);                                \
        if (!uxl_try_result_)                                           \
            return std::unexpected(std::move(uxl_try_result_).error()); \
        ::uxl::detail::try_unwrap(std::move(uxl_try_result_));          \
    })
