// What glibc does when a "%i" or atoi() conversion stores a long into an int: strtol
// saturates at LONG_MIN/LONG_MAX, then the store keeps the low 32 bits. xl's vdev and disk
// parsers depend on it, so both reproduce it through this one function.
#pragma once

#include <cstdint>

namespace uxl::detail {

// `magnitude` is the absolute value read (`overflow` when it did not fit in 64 bits).
inline int c_long_to_int(bool negative, bool overflow, std::uint64_t magnitude)
{
    std::int64_t as_long;
    if (negative)
        as_long = overflow || magnitude >= (std::uint64_t{1} << 63)
                      ? INT64_MIN
                      : -static_cast<std::int64_t>(magnitude);
    else
        as_long = overflow || magnitude > static_cast<std::uint64_t>(INT64_MAX)
                      ? INT64_MAX
                      : static_cast<std::int64_t>(magnitude);
    return static_cast<int>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(as_long)));
}

}  // namespace uxl::detail
