#include "uxl/memory_size.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

namespace uxl {

std::optional<std::int64_t> parse_mem_size_kb(std::string_view text)
{
    const std::string copy(text);
    char* end = nullptr;
    std::int64_t kb = std::strtoll(copy.c_str(), &end, 10);
    const std::string_view rest(end);
    if (rest.size() > 1)
        return std::nullopt;
    switch (std::tolower(static_cast<unsigned char>(rest.empty() ? '\0' : rest[0]))) {
    case 't':
        kb *= 1024;
        [[fallthrough]];
    case 'g':
        kb *= 1024;
        [[fallthrough]];
    case '\0':
    case 'm':
        kb *= 1024;
        [[fallthrough]];
    case 'k':
        break;
    case 'b':
        kb /= 1024;
        break;
    default:
        return std::nullopt;
    }
    return kb;
}

}  // namespace uxl
