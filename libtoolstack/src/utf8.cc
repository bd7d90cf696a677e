// UTF-8 validity (utf8.h): the table of well-formed byte sequences of RFC 3629 §4.
#include "utf8.h"

namespace uxl::detail {

bool is_valid_utf8(std::string_view text)
{
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    auto continuation = [&](const unsigned char* at, unsigned char low, unsigned char high) {
        return at < end && *at >= low && *at <= high;
    };
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            p += 1;
        } else if (c >= 0xc2 && c <= 0xdf) {
            if (!continuation(p + 1, 0x80, 0xbf))
                return false;
            p += 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            // E0 needs A0..BF (no overlongs), ED needs 80..9F (no surrogates).
            const unsigned char low = c == 0xe0 ? 0xa0 : 0x80;
            const unsigned char high = c == 0xed ? 0x9f : 0xbf;
            if (!continuation(p + 1, low, high) || !continuation(p + 2, 0x80, 0xbf))
                return false;
            p += 3;
        } else if (c >= 0xf0 && c <= 0xf4) {
            // F0 needs 90..BF (no overlongs), F4 needs 80..8F (nothing above U+10FFFF).
            const unsigned char low = c == 0xf0 ? 0x90 : 0x80;
            const unsigned char high = c == 0xf4 ? 0x8f : 0xbf;
            if (!continuation(p + 1, low, high) || !continuation(p + 2, 0x80, 0xbf) ||
                !continuation(p + 3, 0x80, 0xbf))
                return false;
            p += 4;
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace uxl::detail
