// `uxl block-attach` and `uxl network-attach`. With the global -N they print the device as
// xl does ("disk: {...}" / "vif: {...}" and a blank line) and exit 0; a bad spec prints
// xl's error on stderr, nothing on stdout, and exits 1.
#include "command.h"
#include "option_parser.h"

#include "uxl/disk_spec.h"
#include "uxl/vif_spec.h"

#include <cstdio>

namespace uxl::cli {
namespace {

int needs_daemon(const GlobalOptions& globals, std::string_view what)
{
    std::fprintf(stderr,
                 "%s: cannot %.*s: this version of uxl has no daemon (uxld) to attach devices to yet.\n"
                 "Use `%s -N ...' to check the device specification.\n",
                 globals.program.c_str(), static_cast<int>(what.size()), what.data(),
                 globals.program.c_str());
    return k_exit_failure;
}

}  // namespace

int main_block_attach(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    const auto& operands = parsed.options->operands;
    if (operands.size() < 2)
        return requires_arguments(globals, self, 2);

    std::vector<std::string> fragments(operands.begin() + 1, operands.end());
    Result<DiskSpec> disk = parse_disk_spec(fragments, "command line");
    if (!disk) {
        std::fprintf(stderr, "%s\n", disk.error().message.c_str());
        return k_exit_failure;
    }
    if (globals.dry_run) {
        std::printf("disk: %s\n", disk_spec_to_yajl(*disk).c_str());
        return k_exit_success;
    }
    return needs_daemon(globals, "attach a block device");
}

int main_network_attach(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    const auto& operands = parsed.options->operands;
    if (operands.empty())
        return requires_arguments(globals, self, 1);

    std::vector<std::string> tokens(operands.begin() + 1, operands.end());
    std::vector<std::string> warnings;
    VifParseOptions options;
    options.source = "command line";
    options.devid = -1;
    options.mode = VifParseOptions::Mode::command_line;
    options.warnings = &warnings;
    Result<VifSpec> nic = parse_vif_tokens(tokens, options);
    for (const auto& w : warnings)
        std::fprintf(stderr, "%s\n", w.c_str());
    if (!nic) {
        std::fprintf(stderr, "%s\n", nic.error().message.c_str());
        return k_exit_failure;
    }
    if (globals.dry_run) {
        std::printf("vif: %s\n", vif_spec_to_yajl(*nic).c_str());
        return k_exit_success;
    }
    return needs_daemon(globals, "attach a network device");
}

}  // namespace uxl::cli
