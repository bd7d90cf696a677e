// libvirt's domain XML from the command line, with virsh's command names and output:
//   domxml-from-native xen-xl|xen-xm FILE   the XML of a config, on stdout;
//   domxml-to-native xen-xl|xen-xm FILE     the config of an XML, on stdout;
//   dumpxml DOM                              the XML of a running domain, from the config
//                                            uxld stores (as `list -l` shows it).
// Warnings (what was dropped) go to stderr; a refusal prints its sentence and exits 1.
// The conversions themselves are done by the helper uxl-xml (cli/uxl_xml.cc, xml_helper.h),
// so that libxml2 stays out of this statically linked program.
#include "command.h"
#include "daemon_client.h"
#include "option_parser.h"
#include "xml_helper.h"

#include "uxl/domain_spec.h"

#include <cstdio>

namespace uxl::cli {
namespace {

// Runs `uxl-xml DIRECTION <format> <file>` with the command's two operands; the helper
// prints virsh's complaints (bad format, unreadable file) and the output itself.
int convert(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args,
            const char* direction)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    const auto& operands = parsed.options->operands;
    if (operands.size() != 2) {
        if (operands.size() < 2)
            return requires_arguments(globals, self, 2);
        print_command_help(globals, self);
        return k_exit_usage;
    }
    return run_xml_helper({direction, operands[0], operands[1]}, nullptr, nullptr) == 0 ? k_exit_success
                                                                                        : k_exit_failure;
}

}  // namespace

int main_domxml_from_native(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    return convert(globals, self, args, "from-native");
}

int main_domxml_to_native(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    return convert(globals, self, args, "to-native");
}

int main_dumpxml(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    const auto& operands = parsed.options->operands;
    if (operands.size() != 1)
        return operands.empty() ? requires_arguments(globals, self, 1) : (print_command_help(globals, self), k_exit_usage);
    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto found = find_domain(globals, *client, operands[0]);
    if (!found)
        return k_exit_failure;
    auto reply = call_daemon(globals, *client, protocol::ListRequest{std::to_string(found->domid), true});
    if (!reply)
        return k_exit_failure;
    if (reply->error) {
        print_daemon_error(*reply->error);
        return k_exit_failure;
    }
    for (const protocol::DomainInfo& domain : reply->domains) {
        if (domain.domid != found->domid)
            continue;
        if (domain.config_json.empty()) {
            std::fprintf(stderr, "error: uxld keeps no config for domain %d\n", domain.domid);
            return k_exit_failure;
        }
        auto spec = domain_spec_from_libxl_json(domain.config_json);
        if (!spec) {
            std::fprintf(stderr, "error: the stored config of domain %d: %s\n", domain.domid,
                         spec.error().message.c_str());
            return k_exit_failure;
        }
        return run_xml_helper({"from-libxl-json"}, &domain.config_json, nullptr) == 0 ? k_exit_success
                                                                                       : k_exit_failure;
    }
    std::fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", operands[0].c_str());
    return k_exit_failure;
}

}  // namespace uxl::cli
