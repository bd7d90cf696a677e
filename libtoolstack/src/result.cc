#include "uxl/result.h"

namespace uxl {

std::string_view to_string(Errc code)
{
    switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::invalid_state: return "invalid_state";
    case Errc::unsupported: return "unsupported";
    case Errc::backend_failed: return "backend_failed";
    case Errc::io: return "io";
    case Errc::timeout: return "timeout";
    case Errc::protocol: return "protocol";
    case Errc::internal: return "internal";
    }
    return "internal";
}

}  // namespace uxl
