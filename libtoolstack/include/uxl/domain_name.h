// What a domain may be called, and how a qualifier (a name or a domid) is told apart: the
// checks uxld makes on a name a client sends (create, rename) before any domain is
// touched. They live here, in pure code, so that the CLI, the daemon and the protocol fuzz
// target share one definition.
#pragma once

#include "uxl/result.h"

#include <string_view>

namespace uxl {

// A qualifier of digits only is a domid, as in xl. May be called anywhere.
bool is_domid_text(std::string_view text);

// Names end up in `xl list`'s first column, in file names and in hook scripts' arguments:
// not empty, not "Domain-0", not all digits, no blanks, slashes or control characters.
// The messages are xl's where xl has one. May be called anywhere.
Result<void> check_domain_name(std::string_view name);

}  // namespace uxl
