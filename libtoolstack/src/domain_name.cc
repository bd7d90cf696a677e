// Domain names and qualifiers (domain_name.h).
#include "uxl/domain_name.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace uxl {

bool is_domid_text(std::string_view text)
{
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

Result<void> check_domain_name(std::string_view name)
{
    const std::string quoted = "\"" + std::string(name) + "\"";
    if (name.empty())
        return fail(Errc::invalid_argument, "Domain name must be specified.");
    if (name == "Domain-0")
        return fail(Errc::already_exists, "Domain with name " + quoted + " already exists.");
    if (is_domid_text(name))
        return fail(Errc::invalid_argument,
                    "Domain name " + quoted + " is all digits: it would be taken for a domain id.");
    for (unsigned char c : name) {
        if (std::isspace(c) || c == '/' || c < 0x20)
            return fail(Errc::invalid_argument,
                        "Domain name " + quoted + " contains a blank, a slash or a control character.");
    }
    return {};
}

}  // namespace uxl
