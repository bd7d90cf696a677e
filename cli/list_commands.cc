// Commands that report: list, uptime, info, dmesg (tools/xl/xl_info.c). The layouts live in
// list_format.cc as pure functions; this file asks the daemon and prints.
#include "command.h"
#include "daemon_client.h"
#include "list_format.h"
#include "option_parser.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

namespace uxl::cli {
namespace {


// Domain-0 first, then by domid, whatever order the daemon used.
void sort_by_domid(std::vector<protocol::DomainInfo>& domains)
{
    std::stable_sort(domains.begin(), domains.end(),
                     [](const auto& a, const auto& b) { return a.domid < b.domid; });
}

// The daemon's answer to `request`, sorted as above. On a daemon error its sentence and
// xl's `failed_line` are printed; nullopt then, as for a lost connection.
std::optional<std::vector<protocol::DomainInfo>> fetch_domains(const GlobalOptions& globals, DaemonClient& client,
                                                              const protocol::ListRequest& request,
                                                              const char* failed_line)
{
    auto reply = call_daemon_or_report(globals, client, request, failed_line);
    if (!reply)
        return std::nullopt;
    sort_by_domid(reply->domains);
    return std::move(reply->domains);
}

std::optional<unsigned long> host_uptime()
{
    std::ifstream in("/proc/uptime");
    double seconds = 0;
    if (!(in >> seconds))
        return std::nullopt;
    return static_cast<unsigned long>(seconds);
}

std::string local_clock(std::time_t now)
{
    std::tm tm{};
    char text[16] = "";
    if (::localtime_r(&now, &tm))
        std::strftime(text, sizeof text, "%H:%M:%S", &tm);
    return text;
}

}  // namespace

int main_list(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {
        {"-l,--long", "long"}, {"-v,--verbose", "verbose"}, {"-Z,--context", "context"},
        {"-c,--cpupool", "cpupool"}, {"-n,--numa", "numa"},
    }, args);
    if (!parsed.options)
        return parsed.exit_code;
    const ParsedOptions& opts = *parsed.options;
    if (opts.operands.size() > 1) {
        print_command_help(globals, self);
        return k_exit_failure;
    }
    const bool long_format = opts.count("long") > 0;
    const std::string domain = opts.operands.empty() ? std::string() : opts.operands.front();

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto reply = call_daemon(globals, *client, protocol::ListRequest{domain, long_format});
    if (!reply)
        return k_exit_failure;
    if (reply->error && !(reply->error->code == Errc::not_found && !domain.empty())) {
        print_daemon_error(*reply->error);
        std::fprintf(stderr, "libxl_list_domain failed.\n");
        return k_exit_failure;
    }
    if (!domain.empty()) {
        // Keep only the domain asked for, however the daemon answered.
        std::erase_if(reply->domains, [&](const protocol::DomainInfo& d) {
            return is_domid(domain) ? d.domid != std::atoi(domain.c_str()) : d.name != domain;
        });
        if (reply->error || reply->domains.empty()) {
            if (is_domid(domain))
                std::fprintf(stderr, "Error: Domain '%s' does not exist.\n", domain.c_str());
            else
                std::fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", domain.c_str());
            return k_exit_failure;
        }
    }
    sort_by_domid(reply->domains);

    if (long_format) {
        auto text = format_list_long(reply->domains);
        if (!text) {
            std::fprintf(stderr, "unable to format domain config as JSON (%s)\n",
                         text.error().message.c_str());
            return k_exit_failure;
        }
        std::fputs(text->c_str(), stdout);
        return k_exit_success;
    }
    ListOptions options;
    options.verbose = opts.count("verbose") > 0;
    options.context = opts.count("context") > 0;
    options.cpupool = opts.count("cpupool") > 0;
    options.numa = opts.count("numa") > 0;
    std::fputs(format_list(reply->domains, options).c_str(), stdout);
    return k_exit_success;
}

// xl's vcpulist(): every domain, or the named ones (find_domain on each: an unknown one
// ends the command with exit 1, after the rows before it).
int main_vcpu_list(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    std::fputs(vcpu_list_header().c_str(), stdout);
    std::vector<std::string> names = parsed.options->operands;
    if (names.empty())
        names.push_back("");  // every domain
    for (const std::string& name : names) {
        std::string domain;
        if (!name.empty()) {
            std::fflush(stdout);
            auto found = find_domain(globals, *client, name);
            if (!found)
                return k_exit_failure;
            domain = std::to_string(found->domid);
        }
        auto domains = fetch_domains(globals, *client, protocol::ListRequest{domain, false, true},
                                     "libxl_list_domain failed.");
        if (!domains)
            return k_exit_failure;
        std::fputs(format_vcpu_list(*domains).c_str(), stdout);
    }
    return k_exit_success;
}

// xl's list_vm(): every guest, by domid; "libxl_list_vm failed." when the list cannot be had.
int main_vm_list(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {}, args);
    if (!parsed.options)
        return parsed.exit_code;
    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto domains = fetch_domains(globals, *client, protocol::ListRequest{}, "libxl_list_vm failed.");
    if (!domains)
        return k_exit_failure;
    std::fputs(format_vm_list(*domains).c_str(), stdout);
    return k_exit_success;
}

int main_uptime(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {{"-s", "short"}}, args);
    if (!parsed.options)
        return parsed.exit_code;
    const ParsedOptions& opts = *parsed.options;

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto domains = fetch_domains(globals, *client, protocol::ListRequest{}, "Could not list vms.");
    if (!domains)
        return k_exit_failure;

    // With operands, the named domains in the order given (xl: find_domain on each).
    std::vector<protocol::DomainInfo> shown;
    if (opts.operands.empty()) {
        shown = *domains;
    } else {
        for (const std::string& wanted : opts.operands) {
            auto it = std::find_if(domains->begin(), domains->end(), [&](const auto& d) {
                return is_domid(wanted) ? d.domid == std::atoi(wanted.c_str()) : d.name == wanted;
            });
            if (it == domains->end()) {
                std::fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", wanted.c_str());
                return k_exit_failure;
            }
            shown.push_back(*it);
        }
    }

    UptimeOptions options;
    options.short_mode = opts.count("short") > 0;
    const std::time_t now = std::time(nullptr);
    options.now = static_cast<double>(now);
    options.clock = local_clock(now);
    options.host_uptime = host_uptime();
    std::fputs(format_uptime(shown, options).c_str(), stdout);
    return k_exit_success;
}

int main_info(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {{"-n,--numa", "numa"}, {"-x,--xenstore", "xenstore"}}, args);
    if (!parsed.options)
        return parsed.exit_code;
    const ParsedOptions& opts = *parsed.options;
    // xl: a word after the options selects the keys to print, unless -n is given.
    std::string prefix;
    if (!opts.count("numa") && !opts.operands.empty())
        prefix = opts.operands.front();

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto reply = call_daemon_or_report(globals, *client, protocol::InfoRequest{}, "libxl_physinfo failed.");
    if (!reply)
        return k_exit_failure;
    std::fputs(format_info(reply->info, prefix).c_str(), stdout);
    return k_exit_success;
}

int main_dmesg(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {{"-c,--clear", "clear"}}, args);
    if (!parsed.options)
        return parsed.exit_code;

    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto reply = call_daemon(globals, *client, protocol::DmesgRequest{parsed.options->count("clear") > 0});
    if (!reply)
        return k_exit_failure;
    if (reply->error) {
        print_daemon_error(*reply->error);
        return k_exit_failure;
    }
    if (reply->text)
        std::fputs(reply->text->c_str(), stdout);
    return k_exit_success;
}

}  // namespace uxl::cli
