// libvirt's domain XML from the command line, with virsh's command names and output:
//   domxml-from-native xen-xl|xen-xm FILE   the XML of a config, on stdout;
//   domxml-to-native xen-xl|xen-xm FILE     the config of an XML, on stdout;
//   dumpxml DOM                              the XML of a running domain, from the config
//                                            uxld stores (as `list -l` shows it).
// Warnings (what was dropped) go to stderr; a refusal prints its sentence and exits 1.
#include "command.h"
#include "config_lookup.h"
#include "daemon_client.h"
#include "option_parser.h"

#include "uxl/libvirt_xml.h"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace uxl::cli {
namespace {

struct ConversionArgs {
    NativeFormat format = NativeFormat::xen_xl;
    std::string path;
    std::string data;
};

// Reads `<format> <file>`; prints virsh's complaint and returns nullopt when they are wrong.
std::optional<ConversionArgs> conversion_args(const GlobalOptions& globals, const Command& self,
                                              const std::vector<std::string>& args, int& exit_code)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options) {
        exit_code = parsed.exit_code;
        return std::nullopt;
    }
    const auto& operands = parsed.options->operands;
    if (operands.size() != 2) {
        exit_code = operands.size() < 2 ? requires_arguments(globals, self, 2) : k_exit_usage;
        if (operands.size() > 2)
            print_command_help(globals, self);
        return std::nullopt;
    }
    ConversionArgs out;
    const auto format = parse_native_format(operands[0]);
    if (!format) {
        std::fprintf(stderr, "error: unsupported config type %s (expected xen-xl or xen-xm)\n", operands[0].c_str());
        exit_code = k_exit_failure;
        return std::nullopt;
    }
    out.format = *format;
    out.path = operands[1];
    std::string error;
    if (!read_whole_file(out.path, out.data, error)) {
        std::fprintf(stderr, "error: Failed to open file '%s': %s\n", out.path.c_str(), error.c_str());
        exit_code = k_exit_failure;
        return std::nullopt;
    }
    return out;
}

void print_warnings(const std::vector<std::string>& warnings)
{
    for (const std::string& warning : warnings)
        std::fprintf(stderr, "warning: %s\n", warning.c_str());
}

}  // namespace

int main_domxml_from_native(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    int exit_code = k_exit_success;
    auto input = conversion_args(globals, self, args, exit_code);
    if (!input)
        return exit_code;
    BuildOptions options;
    options.config_path = input->path;
    const long cpus = ::sysconf(_SC_NPROCESSORS_CONF);
    options.host_cpus = cpus > 0 ? static_cast<int>(cpus) : 1;
    auto xml = native_to_libvirt_xml(input->data, input->path, input->format, options);
    if (!xml) {
        std::fprintf(stderr, "error: %s\n", xml.error().message.c_str());
        return k_exit_failure;
    }
    print_warnings(xml->warnings);
    std::fputs(xml->text.c_str(), stdout);
    return k_exit_success;
}

int main_domxml_to_native(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    int exit_code = k_exit_success;
    auto input = conversion_args(globals, self, args, exit_code);
    if (!input)
        return exit_code;
    auto config = libvirt_xml_to_native(input->data, input->path, input->format);
    if (!config) {
        std::fprintf(stderr, "error: %s\n", config.error().message.c_str());
        return k_exit_failure;
    }
    print_warnings(config->warnings);
    std::fputs(config->text.c_str(), stdout);
    return k_exit_success;
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
        std::fputs(domain_spec_to_libvirt_xml(*spec).c_str(), stdout);
        return k_exit_success;
    }
    std::fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", operands[0].c_str());
    return k_exit_failure;
}

}  // namespace uxl::cli
