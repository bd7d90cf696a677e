#include "domain_command.h"

namespace uxl::cli {

DomainCommand open_domain_command(const GlobalOptions& globals, const Command& self,
                                  const std::vector<OptionSpec>& specs,
                                  const std::vector<std::string>& args, int needed)
{
    DomainCommand cmd;
    auto parsed = parse_options(globals, self, specs, args);
    if (!parsed.options) {
        cmd.exit_code = parsed.exit_code;
        return cmd;
    }
    cmd.options = std::move(*parsed.options);
    if (cmd.options.operands.size() < static_cast<size_t>(needed)) {
        cmd.exit_code = requires_arguments(globals, self, needed);
        return cmd;
    }
    cmd.client = open_daemon(globals);
    if (!cmd.client) {
        cmd.exit_code = k_exit_failure;
        return cmd;
    }
    auto domain = find_domain(globals, *cmd.client, cmd.options.operands.front());
    if (!domain) {
        cmd.exit_code = k_exit_failure;
        return cmd;
    }
    cmd.domain = std::move(*domain);
    return cmd;
}

}  // namespace uxl::cli
