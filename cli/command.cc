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
        {"list", main_list, false, false,
         "List information about all/some domains",
         "[options] [Domain]\n",
         "-l, --long              Output all VM details\n"
         "-v, --verbose           Prints out UUIDs and security context\n"
         "-Z, --context           Prints out security context\n"
         "-c, --cpupool           Prints the cpupool the domain is in\n"
         "-n, --numa              Prints out NUMA node affinity"},
        {"destroy", main_destroy, true, false,
         "Terminate a domain immediately",
         "[options] <Domain>\n",
         "-f                      Permit destroying domain 0, which will only succeed\n"
         "                        when run from disaggregated toolstack domain with a\n"
         "                        hardware domain distinct from domain 0."},
        {"shutdown", main_shutdown, true, false,
         "Issue a shutdown signal to a domain",
         "[options] <-a|Domain>",
         "-a, --all               Shutdown all guest domains.\n"
         "-h                      Print this help.\n"
         "-F                      Fallback to ACPI power event for HVM guests with\n"
         "                        no PV drivers.\n"
         "-w, --wait              Wait for guest(s) to shutdown.\n"},
        {"reboot", main_reboot, true, false,
         "Issue a reboot signal to a domain",
         "[options] <-a|Domain>",
         "-a, --all               Shutdown all guest domains.\n"
         "-h                      Print this help.\n"
         "-F                      Fallback to ACPI reset event for HVM guests with\n"
         "                        no PV drivers.\n"
         "-w, --wait              Wait for guest(s) to reboot.\n"},
        {"pci-list", main_pci_list, false, false,
         "List pass-through pci devices for a domain",
         "<Domain>",
         ""},
        {"pause", main_pause, true, false,
         "Pause execution of a domain",
         "<Domain>",
         ""},
        {"unpause", main_unpause, true, false,
         "Unpause a paused domain",
         "<Domain>",
         ""},
        {"console", main_console, false, false,
         "Attach to domain's console",
         "[options] <Domain>\n"
         "-t <type>       console type, pv , serial or vuart\n"
         "-n <number>     console number",
         ""},
        {"vncviewer", main_vncviewer, false, false,
         "Attach to domain's VNC server.",
         "[options] <Domain>\n"
         "--autopass               Pass VNC password to viewer via stdin and\n"
         "                         -autopass\n"
         "--vncviewer-autopass     (consistency alias for --autopass)",
         ""},
        {"mem-set", main_mem_set, true, false,
         "Set the current memory usage for a domain",
         "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>",
         ""},
        {"vcpu-list", main_vcpu_list, false, false,
         "List the VCPUs for all/some domains",
         "[Domain, ...]",
         ""},
        {"vcpu-pin", main_vcpu_pin, true, true,
         "Set which CPUs a VCPU can use",
         "[option] <Domain> <VCPU|all> <Hard affinity|-|all> <Soft affinity|-|all>",
         "-f, --force        undo an override pinning done by the kernel"},
        {"vcpu-set", main_vcpu_set, true, false,
         "Set the number of active VCPUs allowed for the domain",
         "[option] <Domain> <vCPUs>",
         "-i, --ignore-host  Don't limit the vCPU based on the host CPU count"},
        {"vm-list", main_vm_list, false, false,
         "List guest domains, excluding dom0, stubdoms, etc.",
         "",
         ""},
        {"info", main_info, false, false,
         "Get information about Xen host",
         "-n, --numa         List host NUMA topology information",
         ""},
        {"sched-credit", main_sched_credit, false, true,
         "Get/set credit scheduler parameters",
         "[-d <Domain> [-w[=WEIGHT]|-c[=CAP]]] [-s [-t TSLICE] [-r RATELIMIT]] [-p CPUPOOL]",
         "-d DOMAIN, --domain=DOMAIN        Domain to modify\n"
         "-w WEIGHT, --weight=WEIGHT        Weight (int)\n"
         "-c CAP, --cap=CAP                 Cap (int)\n"
         "-s         --schedparam           Query / modify scheduler parameters\n"
         "-t TSLICE, --tslice_ms=TSLICE     Set the timeslice, in milliseconds\n"
         "-r RLIMIT, --ratelimit_us=RLIMIT  Set the scheduling rate limit, in microseconds\n"
         "-m DLY, --migration_delay_us=DLY  Set the migration delay, in microseconds\n"
         "-p CPUPOOL, --cpupool=CPUPOOL     Restrict output to CPUPOOL"},
        {"domid", main_domid, false, false,
         "Convert a domain name to domain id",
         "<DomainName>",
         ""},
        {"domname", main_domname, false, false,
         "Convert a domain id to domain name",
         "<DomainId>",
         ""},
        {"rename", main_rename, true, false,
         "Rename a domain",
         "<Domain> <NewDomainName>",
         ""},
        {"sysrq", main_sysrq, true, false,
         "Send a sysrq to a domain",
         "<Domain> <letter>",
         ""},
        {"cd-insert", main_cd_insert, true, false,
         "Insert a cdrom into a guest's cd drive",
         "<Domain> <VirtualDevice> <type:path>",
         ""},
        {"cd-eject", main_cd_eject, true, false,
         "Eject a cdrom from a guest's cd drive",
         "<Domain> <VirtualDevice>",
         ""},
        {"trigger", main_trigger, true, false,
         "Send a trigger to a domain",
         "<Domain> <nmi|reset|init|power|sleep|s3resume> [<VCPU>]",
         ""},
        {"button-press", main_button_press, true, false,
         "Indicate an ACPI button press to the domain",
         "<Domain> <Button>",
         "<Button> may be 'power' or 'sleep'."},
        {"dmesg", main_dmesg, false, false,
         "Read and/or clear dmesg buffer",
         "[-c]",
         "  -c                        Clear dmesg buffer as well as printing it"},
        {"network-attach", main_network_attach, true, true,
         "Create a new virtual network device",
         "<Domain> [type=<type>] [mac=<mac>] [bridge=<bridge>] "
         "[ip=<ip>] [script=<script>] [backend=<BackDomain>] [vifname=<name>] "
         "[rate=<rate>] [model=<model>] [accel=<accel>] [mtu=<mtu>]",
         ""},
        {"network-list", main_network_list, false, false,
         "List virtual network interfaces for a domain",
         "<Domain(s)>",
         ""},
        {"network-detach", main_network_detach, true, false,
         "Destroy a domain's virtual network device",
         "<Domain> <DevId|mac>",
         ""},
        {"block-attach", main_block_attach, true, true,
         "Create a new virtual block device",
         "<Domain> <disk-spec-component(s)>...",
         ""},
        {"block-list", main_block_list, false, false,
         "List virtual block devices for a domain",
         "<Domain(s)>",
         ""},
        {"block-detach", main_block_detach, true, false,
         "Destroy a domain's virtual block device",
         "[option] <Domain> <DevId>",
         "-f, --force        do not wait for the domain to release the device"},
        {"uptime", main_uptime, false, false,
         "Print uptime for all/some domains",
         "[-s] [Domain]",
         ""},
        {"check", main_check, false, false,
         "Check a domain config file and report every problem in it",
         "<ConfigFile> [vars]",
         "-h                      Print this help.\n"
         "-q, --quiet             Print nothing; the exit status tells (0 clean, 1 problems)."},
        {"domxml-from-native", main_domxml_from_native, false, false,
         "Convert a native config (xen-xl or xen-xm) to libvirt domain XML",
         "<format> <ConfigFile>",
         "<format> is xen-xl or xen-xm, as virsh names them."},
        {"domxml-to-native", main_domxml_to_native, false, false,
         "Convert libvirt domain XML to a native config (xen-xl or xen-xm)",
         "<format> <XmlFile>",
         "<format> is xen-xl or xen-xm, as virsh names them."},
        {"dumpxml", main_dumpxml, false, false,
         "Print a domain's configuration as libvirt domain XML",
         "<Domain>",
         ""},
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

// xl's help(): the full list for no command or "help"; an unknown command is said on
// stdout, and help exits 0 either way.
int main_help(const GlobalOptions& globals, const Command&, const std::vector<std::string>& args)
{
    if (args.empty() || args[0] == "help") {
        print_full_help(globals);
        return k_exit_success;
    }
    const Command* command = find_command(args[0]);
    if (!command) {
        std::printf("command \"%s\" not implemented\n", args[0].c_str());
        return k_exit_success;
    }
    print_command_help(globals, *command);
    return k_exit_success;
}

}  // namespace uxl::cli
