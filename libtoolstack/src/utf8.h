// UTF-8 validity, as RFC 3629 defines it and JSON readers (nlohmann's, yajl's) enforce it:
// no overlong forms, no surrogates, nothing above U+10FFFF.
//
// Internal to libtoolstack.
#pragma once

#include <string_view>

namespace uxl::detail {

// True when `text` is valid UTF-8. Pure; may be called anywhere.
bool is_valid_utf8(std::string_view text);

}  // namespace uxl::detail
