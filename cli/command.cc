// The command table. Help texts, usage lines and flags are xl's (tools/xl/xl_cmdtable.c)
// for the commands xl has; `check` is uxl's own.
#include "command.h"

#include <cstdio>

namespace uxl::cli {

const std::vector<Command>& command_table()
{
    static const std::vector<Command> table = {
        {"create", main_create, true, true,
         "Create a domain from config file <filename>",
         "<ConfigFile> [options] [vars]",
         "-h                      Print this help.\n"
         "-p                      Leave the domain paused after it is created.\n"
         "-c                      Connect to the console after the domain is created.\n"
         "-f FILE, --defconfig=FILE\n                     Use the given configuration file.\n"
         "-q, --quiet             Quiet.\n"
         "-n, --dryrun            Dry run - prints the resulting configuration\n"
         "                         (deprecated in favour of global -N option).\n"
         "-d                      Enable debug messages.\n"
         "-F                      Run in foreground until death of the domain.\n"
         "-e                      Do not wait in the background for the death of the domain.\n"
         "-V, --vncviewer         Connect to the VNC display after the domain is created.\n"
         "-A, --vncviewer-autopass\n"
         "                        Pass VNC password to viewer via stdin."},
        {"network-attach", main_network_attach, true, true,
         "Create a new virtual network device",
         "<Domain> [type=<type>] [mac=<mac>] [bridge=<bridge>] "
         "[ip=<ip>] [script=<script>] [backend=<BackDomain>] [vifname=<name>] "
         "[rate=<rate>] [model=<model>] [accel=<accel>]",
         ""},
        {"block-attach", main_block_attach, true, true,
         "Create a new virtual block device",
         "<Domain> <disk-spec-component(s)>...",
         ""},
        {"check", main_check, false, false,
         "Check a domain config file and report every problem in it",
         "<ConfigFile> [vars]",
         "-h                      Print this help.\n"
         "-q, --quiet             Print nothing; the exit status tells (0 clean, 1 problems)."},
        {"help", main_help, false, false,
         "Print help for a command, or the list of commands",
         "[<Command>]",
         ""},
    };
    return table;
}

const Command* find_command(std::string_view name)
{
    const Command* prefix_match = nullptr;
    int prefix_matches = 0;
    for (const Command& c : command_table()) {
        if (c.name == name)
            return &c;
        if (c.name.starts_with(name)) {
            prefix_match = &c;
            ++prefix_matches;
        }
    }
    return prefix_matches == 1 && !name.empty() ? prefix_match : nullptr;
}

void print_command_help(const GlobalOptions& globals, const Command& command)
{
    std::printf("Usage: %s [-vtT%s%s] %.*s %.*s\n\n%.*s.\n\n", globals.program.c_str(),
                command.modifies ? "f" : "", command.can_dryrun ? "N" : "",
                static_cast<int>(command.name.size()), command.name.data(),
                static_cast<int>(command.usage.size()), command.usage.data(),
                static_cast<int>(command.help.size()), command.help.data());
    if (!command.options.empty()) {
        std::printf("Options:\n\n%.*s\n", static_cast<int>(command.options.size()),
                    command.options.data());
    }
}

void print_full_help(const GlobalOptions& globals)
{
    std::printf("Usage %s [-vfNtT] <subcommand> [args]\n\n%s full list of subcommands:\n\n",
                globals.program.c_str(), globals.program.c_str());
    for (const Command& c : command_table()) {
        std::printf(" %-19.*s ", static_cast<int>(c.name.size()), c.name.data());
        if (c.name.size() > 19)
            std::printf("\n %-19s ", "");
        std::printf("%.*s\n", static_cast<int>(c.help.size()), c.help.data());
    }
    std::printf("\n");
}

int requires_arguments(const GlobalOptions& globals, const Command& command, int count)
{
    std::fprintf(stderr, "'%s %.*s' requires at least %d argument%s.\n\n", globals.program.c_str(),
                 static_cast<int>(command.name.size()), command.name.data(), count,
                 count > 1 ? "s" : "");
    print_command_help(globals, command);
    return k_exit_usage;
}

int main_help(const GlobalOptions& globals, const Command&, const std::vector<std::string>& args)
{
    if (args.empty()) {
        print_full_help(globals);
        return k_exit_success;
    }
    const Command* command = find_command(args[0]);
    if (!command) {
        std::fprintf(stderr, "command \"%s\" not implemented\n", args[0].c_str());
        return k_exit_failure;
    }
    print_command_help(globals, *command);
    return k_exit_success;
}

}  // namespace uxl::cli
