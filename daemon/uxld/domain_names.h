// What a domain may be called, and how a qualifier (a name or a domid) is told apart.
#pragma once

#include "uxl/result.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace uxl::daemon {

// A qualifier of digits only is a domid, as in xl.
inline bool all_digits(const std::string& s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Names end up in `xl list`'s first column and in file names: no blanks, no slashes.
inline Result<void> check_name(const std::string& name)
{
    if (name.empty())
        return fail(Errc::invalid_argument, "Domain name must be specified.");
    if (name == "Domain-0")
        return fail(Errc::already_exists, "Domain with name \"Domain-0\" already exists.");
    if (all_digits(name))
        return fail(Errc::invalid_argument, "Domain name \"" + name +
                                                "\" is all digits: it would be taken for a domain id.");
    for (unsigned char c : name) {
        if (std::isspace(c) || c == '/' || c < 0x20)
            return fail(Errc::invalid_argument,
                        "Domain name \"" + name + "\" contains a blank, a slash or a control character.");
    }
    return {};
}

}  // namespace uxl::daemon
