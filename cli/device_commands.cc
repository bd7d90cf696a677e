// The device commands: block-attach, block-list, block-detach, network-attach,
// network-list, network-detach and pci-list, with xl's messages, layouts and exit codes
// (tools/xl/xl_block.c, xl_nic.c, xl_pci.c).
//
//   1. parse the options and count the operands (usage errors exit 2);
//   2. connect to the daemon and resolve the domain, in xl's words for that command
//      (block-attach and block-list say "... is an invalid domain identifier" without the
//      "(rc=-6)" find_domain() adds, and block-list carries on with its next domain);
//   3. check a device spec here with the same libtoolstack parser the daemon uses, so a
//      bad spec gets xl's message before anything is sent;
//   4. send one device request and map a daemon error to xl's "libxl_device_..._... failed."
//      line, printed after the daemon's own sentence, as libxl's log line comes first.
// With the global -N, block-attach and network-attach only print the parsed device, as xl
// does; they do not contact the daemon at all. The layouts are in list_format.cc.
#include "command.h"
#include "daemon_client.h"
#include "domain_command.h"
#include "list_format.h"
#include "option_parser.h"

#include "uxl/disk_spec.h"
#include "uxl/vif_spec.h"

#include <cstdio>
#include <cstdlib>
#include <optional>

namespace uxl::cli {
namespace {

using protocol::DeviceKind;


// Checks a disk spec as xl's parse_disk_config_multistring() does; prints the error.
std::optional<DiskSpec> check_disk_spec(const std::vector<std::string>& words)
{
    Result<DiskSpec> disk = parse_disk_spec(words, "command line");
    if (!disk) {
        std::fprintf(stderr, "%s\n", disk.error().message.c_str());
        return std::nullopt;
    }
    return std::move(*disk);
}

// Checks network-attach's tokens as xl's parse_nic_config() does: its warnings, then the
// error that makes the command fail.
std::optional<VifSpec> check_vif_tokens(const std::vector<std::string>& tokens)
{
    std::vector<std::string> warnings;
    Result<VifSpec> nic = parse_network_attach_tokens(tokens, &warnings);
    for (const auto& w : warnings)
        std::fprintf(stderr, "%s\n", w.c_str());
    if (!nic) {
        std::fprintf(stderr, "%s\n", nic.error().message.c_str());
        return std::nullopt;
    }
    return std::move(*nic);
}

// Sends an attach or detach request; a daemon error is printed with xl's `failed_line`.
// `not_found_line` (may be null) replaces both for Errc::not_found: xl looks the device
// up before removing it and says so in its own words.
int device_call(const GlobalOptions& globals, DaemonClient& client, const protocol::Request& request,
                const char* failed_line, const std::string* not_found_line = nullptr)
{
    auto reply = call_daemon(globals, client, request);
    if (!reply)
        return k_exit_failure;
    if (reply->error) {
        if (reply->error->code == Errc::not_found && not_found_line) {
            std::fprintf(stderr, "%s\n", not_found_line->c_str());
            return k_exit_failure;
        }
        print_daemon_error(*reply->error);
        std::fprintf(stderr, "%s\n", failed_line);
        return k_exit_failure;
    }
    return k_exit_success;
}

// Asks for one domain's devices of a kind. nullopt when the connection is lost (already
// reported). A daemon error is printed and gives an empty list: xl's list commands skip
// a domain whose devices libxl cannot list.
std::optional<std::vector<protocol::DeviceInfo>> list_devices(const GlobalOptions& globals, DaemonClient& client,
                                                              int domid, DeviceKind kind)
{
    auto reply = call_daemon(globals, client, protocol::DeviceListRequest{std::to_string(domid), kind});
    if (!reply)
        return std::nullopt;
    if (reply->error) {
        print_daemon_error(*reply->error);
        return std::vector<protocol::DeviceInfo>{};
    }
    return std::move(reply->devices);
}

// network-detach names a nic by MAC (anything with a ':') or by devid, which xl reads with
// atoi(): "1x" is devid 1 and a word without digits is devid 0.
std::string nic_device_argument(const std::string& text)
{
    if (text.find(':') != std::string::npos)
        return text;
    return std::to_string(std::atoi(text.c_str()));
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
    const std::vector<std::string> words(operands.begin() + 1, operands.end());

    if (globals.dry_run) {
        auto disk = check_disk_spec(words);
        if (!disk)
            return k_exit_failure;
        std::printf("disk: %s\n", disk_spec_to_yajl(*disk).c_str());
        return k_exit_success;
    }

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto domain = lookup_domain(globals, *client, operands[0]);
    if (!domain) {
        if (domain.error() == LookupFailure::no_such_domain)
            std::fprintf(stderr, "%s is an invalid domain identifier\n", operands[0].c_str());
        return k_exit_failure;
    }
    if (!check_disk_spec(words))
        return k_exit_failure;
    return device_call(globals, *client,
                       protocol::DeviceAttachRequest{std::to_string(domain->domid), DeviceKind::disk, words},
                       "libxl_device_disk_add failed.");
}

int main_block_list(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    const auto& operands = parsed.options->operands;
    if (operands.empty())
        return requires_arguments(globals, self, 1);

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    std::fputs(block_list_header().c_str(), stdout);
    for (const std::string& name : operands) {
        auto domain = lookup_domain(globals, *client, name);
        if (!domain) {
            if (domain.error() == LookupFailure::lost_contact)
                return k_exit_failure;
            std::fflush(stdout);  // as print_daemon_error() does
            std::fprintf(stderr, "%s is an invalid domain identifier\n", name.c_str());
            continue;
        }
        auto disks = list_devices(globals, *client, domain->domid, DeviceKind::disk);
        if (!disks)
            return k_exit_failure;
        std::fputs(format_block_list(*disks).c_str(), stdout);
    }
    return k_exit_success;
}

int main_block_detach(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {{"-f,--force", "force"}}, args, 2);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const auto& operands = cmd.options.operands;
    const bool force = cmd.options.count("force") > 0;
    const std::string not_connected = "Error: Device " + operands[1] + " not connected.";
    return device_call(globals, *cmd.client,
                       protocol::DeviceDetachRequest{std::to_string(cmd.domain.domid), DeviceKind::disk,
                                                     operands[1], force},
                       force ? "libxl_device_disk_destroy failed." : "libxl_device_disk_safe_remove failed.",
                       &not_connected);
}

int main_network_attach(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    const auto& operands = parsed.options->operands;
    if (operands.empty())
        return requires_arguments(globals, self, 1);
    const std::vector<std::string> tokens(operands.begin() + 1, operands.end());

    if (globals.dry_run) {
        auto nic = check_vif_tokens(tokens);
        if (!nic)
            return k_exit_failure;
        std::printf("vif: %s\n", vif_spec_to_yajl(*nic).c_str());
        return k_exit_success;
    }

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto domain = find_domain(globals, *client, operands[0]);
    if (!domain)
        return k_exit_failure;
    if (!check_vif_tokens(tokens))
        return k_exit_failure;
    return device_call(globals, *client,
                       protocol::DeviceAttachRequest{std::to_string(domain->domid), DeviceKind::nic, tokens},
                       "libxl_device_nic_add failed.");
}

int main_network_list(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    const auto& operands = parsed.options->operands;
    if (operands.empty())
        return requires_arguments(globals, self, 1);

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    std::fputs(network_list_header().c_str(), stdout);
    for (const std::string& name : operands) {
        // xl's find_domain() exits here, after the rows of the domains before.
        std::fflush(stdout);
        auto domain = find_domain(globals, *client, name);
        if (!domain)
            return k_exit_failure;
        auto nics = list_devices(globals, *client, domain->domid, DeviceKind::nic);
        if (!nics)
            return k_exit_failure;
        std::fputs(format_network_list(*nics).c_str(), stdout);
    }
    return k_exit_success;
}

int main_network_detach(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {}, args, 2);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const std::string& device = cmd.options.operands[1];
    const std::string unknown = "Unknown device " + device + ".";
    return device_call(globals, *cmd.client,
                       protocol::DeviceDetachRequest{std::to_string(cmd.domain.domid), DeviceKind::nic,
                                                     nic_device_argument(device), false},
                       "libxl_device_nic_del failed.", &unknown);
}

int main_pci_list(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {}, args, 1);
    if (cmd.exit_code)
        return *cmd.exit_code;
    auto devices = list_devices(globals, *cmd.client, cmd.domain.domid, DeviceKind::pci);
    if (!devices)
        return k_exit_failure;
    std::fputs(format_pci_list(*devices).c_str(), stdout);
    return k_exit_success;
}

// xl's cd_insert(): the disk spec "vdev=V,access=r,devtype=cdrom,target=T" (T empty for
// cd-eject), checked here as xl's parse_disk_config does; like xl, both exit 0 once the
// domain is found, a refusal being reported on standard error.
int change_cdrom(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args,
                 bool insert)
{
    auto cmd = open_domain_command(globals, self, {}, args, insert ? 3 : 2);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const auto& operands = cmd.options.operands;
    const std::string spec = "vdev=" + operands[1] + ",access=r,devtype=cdrom,target=" + (insert ? operands[2] : "");
    if (!check_disk_spec({spec}))
        return k_exit_failure;
    auto reply = call_daemon(globals, *cmd.client, protocol::CdromRequest{std::to_string(cmd.domain.domid), spec});
    if (reply && reply->error)
        print_daemon_error(*reply->error);
    return k_exit_success;
}

int main_cd_insert(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    return change_cdrom(globals, self, args, true);
}

int main_cd_eject(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    return change_cdrom(globals, self, args, false);
}

}  // namespace uxl::cli
