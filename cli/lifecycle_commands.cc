// Domain lifecycle commands over the control protocol: shutdown, reboot, destroy, pause,
// unpause, rename, sysrq, domid, domname. Messages and exit codes are xl's
// (tools/xl/xl_vmcontrol.c, xl_misc.c, xl_info.c); where xl reports a libxl failure, the
// daemon's own sentence is printed first, as libxl's log line would be.
#include "command.h"
#include "daemon_client.h"
#include "domain_command.h"
#include "list_format.h"
#include "option_parser.h"

#include "uxl/memory_size.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#include <unistd.h>

namespace uxl::cli {
namespace {

using protocol::DomainRequest;

// Sends a request naming one domain and maps a daemon error to xl's "<what> failed (rc=N)".
int simple_domain_call(const GlobalOptions& globals, DaemonClient& client,
                       const protocol::Request& request, const char* what)
{
    auto reply = call_daemon(globals, client, request);
    if (!reply)
        return k_exit_failure;
    if (reply->error) {
        print_daemon_error(*reply->error);
        std::fprintf(stderr, "%s failed (rc=%d)\n", what, libxl_error_code(reply->error->code));
        return k_exit_failure;
    }
    return k_exit_success;
}

// shutdown and reboot share everything but the words (xl: main_shutdown_or_reboot).
int shutdown_or_reboot(const GlobalOptions& globals, const Command& self,
                       const std::vector<std::string>& args, bool reboot)
{
    auto parsed = parse_options(globals, self, {
        {"-a,--all", "all"}, {"-w,--wait", "wait"}, {"-F", "fallback"},
    }, args);
    if (!parsed.options)
        return parsed.exit_code;
    const ParsedOptions& opts = *parsed.options;
    const bool all = opts.count("all") > 0;
    const int wait = opts.count("wait");
    const bool fallback = opts.count("fallback") > 0;
    if (opts.operands.empty() && !all) {
        std::fprintf(stderr, "You must specify -a or a domain id.\n\n");
        return k_exit_failure;
    }

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;

    std::vector<int> targets;
    if (all) {
        auto reply = call_daemon_or_report(globals, *client, protocol::ListRequest{}, "libxl_list_domain failed.");
        if (!reply)
            return k_exit_failure;
        for (const auto& d : reply->domains)
            if (d.domid != 0)
                targets.push_back(d.domid);
    } else {
        auto domain = find_domain(globals, *client, opts.operands.front());
        if (!domain)
            return k_exit_failure;
        targets.push_back(domain->domid);
    }

    const char* what = reboot ? "reboot" : "shutdown";
    for (int domid : targets) {
        std::fprintf(stderr, reboot ? "Rebooting domain %u\n" : "Shutting down domain %u\n",
                     static_cast<unsigned>(domid));
        protocol::ShutdownRequest request{std::to_string(domid), false, reboot, fallback};
        auto reply = call_daemon(globals, *client, request);
        if (!reply)
            return k_exit_failure;
        if (reply->error) {
            print_daemon_error(*reply->error);
            // A guest that cannot take a clean shutdown yet is xl's guest without a PV
            // control interface: ERROR_NOPARAVIRT.
            const int rc = reply->error->context == "no-pv-control" ? -8 : libxl_error_code(reply->error->code);
            std::fprintf(stderr, "%s failed (rc=%d)\n", what, rc);
            return k_exit_failure;
        }
    }

    if (!wait)
        return k_exit_success;
    // xl logs these through its logger, which writes to stderr.
    std::fprintf(stderr, "Waiting for %zu domains\n", targets.size());
    for (int domid : targets) {
        protocol::WaitRequest request{std::to_string(domid), wait > 1, 0};
        auto reply = call_daemon(globals, *client, request, std::nullopt);
        if (!reply)
            return k_exit_failure;
        if (reply->error) {
            // A domain that is already gone has nothing left to wait for.
            if (reply->error->code == Errc::not_found) {
                std::fprintf(stderr, "Domain %d has been destroyed\n", domid);
                continue;
            }
            print_daemon_error(*reply->error);
            std::fprintf(stderr, "Failed to get event, quitting (rc=%d)\n",
                         libxl_error_code(reply->error->code));
            return k_exit_failure;
        }
        const bool shut_down = !reply->domains.empty() && reply->domains.front().shutdown &&
                               !reply->domains.front().dying && wait < 2;
        if (shut_down)
            std::fprintf(stderr, "Domain %d has been shut down, reason code %d\n", domid,
                         libxl_shutdown_reason(reply->domains.front().reason));
        else
            std::fprintf(stderr, "Domain %d has been destroyed\n", domid);
    }
    return k_exit_success;
}

// pause and unpause: one domain, no options.
int pause_or_unpause(const GlobalOptions& globals, const Command& self,
                     const std::vector<std::string>& args, DomainRequest::Op op)
{
    auto cmd = open_domain_command(globals, self, {}, args, 1);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const char* what = op == DomainRequest::Op::pause ? "libxl_domain_pause" : "libxl_domain_unpause";
    return simple_domain_call(globals, *cmd.client, DomainRequest{op, std::to_string(cmd.domain.domid)}, what);
}

}  // namespace

int main_shutdown(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    return shutdown_or_reboot(globals, self, args, false);
}

int main_reboot(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    return shutdown_or_reboot(globals, self, args, true);
}

int main_destroy(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {{"-f", "force"}}, args, 1);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const bool force = cmd.options.count("force") > 0 || globals.force;
    if (cmd.domain.domid == 0 && !force) {
        std::fprintf(stderr, "Not destroying domain 0; use -f to force.\n"
                             "This can only be done when using a disaggregated "
                             "hardware domain and toolstack.\n\n");
        return k_exit_failure;
    }
    return simple_domain_call(globals, *cmd.client,
                              DomainRequest{DomainRequest::Op::destroy, std::to_string(cmd.domain.domid)},
                              "destroy");
}

int main_pause(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    return pause_or_unpause(globals, self, args, DomainRequest::Op::pause);
}

int main_unpause(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    return pause_or_unpause(globals, self, args, DomainRequest::Op::unpause);
}

int main_rename(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {}, args, 2);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const auto& operands = cmd.options.operands;
    auto reply = call_daemon(globals, *cmd.client,
                             protocol::RenameRequest{std::to_string(cmd.domain.domid), operands[1]});
    if (!reply)
        return k_exit_failure;
    if (reply->error) {
        print_daemon_error(*reply->error);
        std::fprintf(stderr, "Can't rename domain '%s'.\n", operands[0].c_str());
        return k_exit_failure;
    }
    return k_exit_success;
}

int main_sysrq(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {}, args, 2);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const auto& operands = cmd.options.operands;
    if (operands[1].size() != 1) {
        std::fprintf(stderr, "Invalid sysrq.\n\n");
        print_command_help(globals, self);
        return k_exit_failure;
    }
    return simple_domain_call(globals, *cmd.client,
                              protocol::SysrqRequest{std::to_string(cmd.domain.domid), operands[1][0]},
                              "libxl_send_sysrq");
}

namespace {

// libxl_send_trigger: xl ignores its result (an error is only logged), so both commands
// exit 0 once the domain is found and the trigger is valid; uxl prints the error as libxl
// logs it.
void send_trigger(const GlobalOptions& globals, DaemonClient& client, const std::string& domid,
                  const std::string& name, int vcpu)
{
    auto reply = call_daemon(globals, client, protocol::TriggerRequest{domid, name, vcpu});
    if (reply && reply->error) {
        print_daemon_error(*reply->error);
        std::fprintf(stderr, "libxl: error: Domain %s:Send trigger '%s' failed\n", domid.c_str(), name.c_str());
    }
}

}  // namespace

// xl's main_trigger: the trigger name is matched without case, as libxl_trigger_from_string
// does; a vCPU that is not a number is "Invalid vcpuid, using default vcpuid=0.".
int main_trigger(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {}, args, 2);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const auto& operands = cmd.options.operands;
    std::string name = operands[1];
    for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!protocol::is_trigger_name(name)) {
        std::fprintf(stderr, "Invalid trigger \"%s\"\n", operands[1].c_str());
        return k_exit_failure;
    }
    int vcpu = 0;
    if (operands.size() > 2) {
        char* end = nullptr;
        const long v = std::strtol(operands[2].c_str(), &end, 10);
        if (v == 0 && end == operands[2].c_str())
            std::fprintf(stderr, "Invalid vcpuid, using default vcpuid=0.\n\n");
        vcpu = static_cast<int>(v);
    }
    send_trigger(globals, *cmd.client, std::to_string(cmd.domain.domid), name, vcpu);
    return k_exit_success;
}

int main_button_press(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    std::fprintf(stderr, "WARNING: \"button-press\" is deprecated. Please use \"trigger\"\n");
    auto cmd = open_domain_command(globals, self, {}, args, 2);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const std::string& button = cmd.options.operands[1];
    if (button != "power" && button != "sleep") {
        std::fprintf(stderr, "%s is an invalid button identifier\n", button.c_str());
        return k_exit_failure;
    }
    send_trigger(globals, *cmd.client, std::to_string(cmd.domain.domid), button, 0);
    return k_exit_success;
}

// xl's vcpuset(): the count is strtoul'd; more vCPUs than the host has CPUs is refused
// unless -i, and a failure is "libxl_set_vcpuonline failed domid=%d max_vcpus=%d, rc: %d".
int main_vcpu_set(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {{"-i,--ignore-host", "ignore-host"}}, args, 2);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const std::string& text = cmd.options.operands[1];
    char* end = nullptr;
    errno = 0;
    const unsigned long vcpus = std::strtoul(text.c_str(), &end, 10);
    if (end == text.c_str() || *end != '\0' || errno != 0 || vcpus > INT_MAX || vcpus == 0) {
        std::fprintf(stderr, "Error: Invalid argument.\n");
        return k_exit_failure;
    }
    const long host_cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (cmd.options.count("ignore-host") == 0 && host_cpus > 0 && static_cast<long>(vcpus) > host_cpus) {
        std::fprintf(stderr,
                     "You are overcommmitting! You have %ld physical CPUs and want %lu vCPUs! Aborting, use "
                     "--ignore-host to continue\n",
                     host_cpus, vcpus);
        return k_exit_failure;
    }
    auto reply = call_daemon(globals, *cmd.client,
                             protocol::VcpuSetRequest{std::to_string(cmd.domain.domid), static_cast<int>(vcpus)});
    if (!reply)
        return k_exit_failure;
    if (reply->error) {
        print_daemon_error(*reply->error);
        std::fprintf(stderr, "libxl_set_vcpuonline failed domid=%d max_vcpus=%lu, rc: %d\n", cmd.domain.domid,
                     vcpus, libxl_error_code(reply->error->code));
        return k_exit_failure;
    }
    return k_exit_success;
}

// xl's set_memory_target(): "invalid memory size: %s" for a size it cannot read, and
// "cannot set domid %u dynamic max memory to : %s" when the toolstack refuses; both exit 1.
int main_mem_set(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {}, args, 2);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const std::string& size = cmd.options.operands[1];
    std::optional<std::int64_t> kb = parse_mem_size_kb(size);
    if (!kb) {
        std::fprintf(stderr, "invalid memory size: %s\n", size.c_str());
        return k_exit_failure;
    }
    auto reply = call_daemon(globals, *cmd.client, protocol::MemSetRequest{std::to_string(cmd.domain.domid), *kb});
    if (!reply)
        return k_exit_failure;
    if (reply->error) {
        print_daemon_error(*reply->error);
        std::fprintf(stderr, "cannot set domid %d dynamic max memory to : %s\n", cmd.domain.domid, size.c_str());
        return k_exit_failure;
    }
    return k_exit_success;
}

int main_domid(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    if (parsed.options->operands.empty())
        return requires_arguments(globals, self, 1);
    const std::string& name = parsed.options->operands.front();

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto reply = call_daemon(globals, *client, DomainRequest{DomainRequest::Op::lookup, name});
    if (!reply)
        return k_exit_failure;
    // xl looks up names only: "3" is the name "3", not domain 3.
    if (reply->error || !reply->domid || reply->name.value_or(name) != name) {
        std::fprintf(stderr, "Can't get domid of domain name '%s', maybe this domain does not exist.\n",
                     name.c_str());
        return k_exit_failure;
    }
    std::printf("%u\n", static_cast<unsigned>(*reply->domid));
    return k_exit_success;
}

int main_domname(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    if (parsed.options->operands.empty())
        return requires_arguments(globals, self, 1);
    const std::string& text = parsed.options->operands.front();

    // xl: strtol, and "no digits at all" is the only error it catches here.
    char* end = nullptr;
    const auto domid = static_cast<std::uint32_t>(std::strtol(text.c_str(), &end, 10));
    if (domid == 0 && end == text.c_str()) {
        std::fprintf(stderr, "Invalid domain id.\n\n");
        return k_exit_failure;
    }

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto reply = call_daemon(globals, *client,
                             DomainRequest{DomainRequest::Op::lookup, std::to_string(domid)});
    if (!reply)
        return k_exit_failure;
    if (reply->error || !reply->name || reply->domid.value_or(-1) != static_cast<int>(domid)) {
        std::fprintf(stderr, "Can't get domain name of domain id '%u', maybe this domain does not exist.\n",
                     domid);
        return k_exit_failure;
    }
    std::printf("%s\n", reply->name->c_str());
    return k_exit_success;
}

}  // namespace uxl::cli
