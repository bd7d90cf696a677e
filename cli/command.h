// The command table of `uxl` and what every command needs: xl's global options, its help
// layout, and its exit-code conventions (reference/xl-compat.md §6.1).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace uxl::cli {

// xl's global options ("+vftTN"), which must come before the command.
struct GlobalOptions {
    std::string program = "uxl";  // argv[0]'s basename, so `xl` as a link says "xl"
    int verbose = 0;
    bool dry_run = false;  // -N
    bool force = false;    // -f
    bool progress_cr = false;  // -t
    bool timestamps = false;   // -T
};

// xl's exit codes.
constexpr int k_exit_success = 0;
constexpr int k_exit_failure = 1;
// xenconsole's exit status for a console type the domain does not have (err(ENOENT, ...)).
constexpr int k_exit_no_such_console = 2;
constexpr int k_exit_usage = 2;

struct Command;
using CommandMain = int (*)(const GlobalOptions& globals, const Command& self,
                            const std::vector<std::string>& args);

struct Command {
    std::string_view name;
    CommandMain main;
    bool modifies;      // accepts -f (shown in the usage line)
    bool can_dryrun;    // accepts -N
    std::string_view help;     // one line, without the final period
    std::string_view usage;    // the arguments part of the usage line
    std::string_view options;  // the options block (may be empty)
};

const std::vector<Command>& command_table();

// xl's lookup: an exact name wins, otherwise a unique prefix. nullptr when none or ambiguous.
const Command* find_command(std::string_view name);

// "Usage: uxl [-vtT] create <ConfigFile> [options] [vars]\n\n<help>.\n\nOptions:\n\n..." to stdout.
void print_command_help(const GlobalOptions& globals, const Command& command);

// "Usage uxl [-vfNtT] <subcommand> [args]\n\nuxl full list of subcommands:\n\n ..." to stdout.
void print_full_help(const GlobalOptions& globals);

// "'uxl create' requires at least 1 argument.\n\n" then the command's help; returns 2.
int requires_arguments(const GlobalOptions& globals, const Command& command, int count);

// Command entry points, one file per group.
int main_create(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_block_attach(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_block_list(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_block_detach(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_network_attach(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_network_list(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_network_detach(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_pci_list(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_check(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_domxml_from_native(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_domxml_to_native(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_dumpxml(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_help(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_list(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_destroy(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_shutdown(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_reboot(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_pause(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_unpause(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_console(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_vncviewer(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_info(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_domid(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_domname(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_rename(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_sysrq(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_vcpu_set(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_vcpu_pin(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_sched_credit(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_cd_insert(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_cd_eject(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_trigger(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_button_press(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_mem_set(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_dmesg(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_uptime(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_vm_list(const GlobalOptions&, const Command&, const std::vector<std::string>&);
int main_vcpu_list(const GlobalOptions&, const Command&, const std::vector<std::string>&);

// Attaches the terminal (or stdin/stdout) to a domain's console until the daemon ends the
// stream or the user types `escape`; returns the exit status. Used by `console` and `create -c`.
// `type`: xl's console -t (pv, serial); empty for the domain's one console.
int attach_console(const GlobalOptions& globals, const std::string& domain, unsigned char escape = 0x1d,
                   const std::string& type = {});

}  // namespace uxl::cli
