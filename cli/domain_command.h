// What the commands acting on one domain start with: their options parsed, at least
// `needed` operands, the daemon connected and the first operand resolved with xl's
// find_domain(). Shared by the lifecycle and device commands.
#pragma once

#include "command.h"
#include "daemon_client.h"
#include "option_parser.h"

#include <optional>
#include <string>
#include <vector>

namespace uxl::cli {

// When a step fails (it has already reported why), `exit_code` holds what the command
// returns.
struct DomainCommand {
    ParsedOptions options;
    std::optional<DaemonClient> client;
    DomainRef domain;
    std::optional<int> exit_code;
};

DomainCommand open_domain_command(const GlobalOptions& globals, const Command& self,
                                  const std::vector<OptionSpec>& specs,
                                  const std::vector<std::string>& args, int needed);

}  // namespace uxl::cli
