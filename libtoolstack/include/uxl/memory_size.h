// xl's memory sizes on the command line (`mem-set`, `mem-max`): tools/xl's
// parse_mem_size_kb().
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace uxl {

// A number read as strtoll does (leading blanks, a sign), then at most one suffix, case
// blind: b (bytes), k (KiB), m (MiB), g (GiB), t (TiB); no suffix means MiB (the code and
// the usage line agree; xl's man page says KiB). Returns the size in KiB, or nullopt where
// xl returns -1 (more than one character after the number, or an unknown suffix). Like
// xl, a negative number is returned as it is; the caller refuses it.
std::optional<std::int64_t> parse_mem_size_kb(std::string_view text);

}  // namespace uxl
