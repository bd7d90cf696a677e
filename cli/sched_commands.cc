// Scheduling: vcpu-pin and sched-credit (tools/xl/xl_vcpu.c, tools/xl/xl_sched.c). uxld
// carries them out with the guest's cgroup (doc/cgroups.md); the syntax, the output and
// the exit codes are xl's.
#include "command.h"
#include "daemon_client.h"
#include "domain_command.h"
#include "list_format.h"
#include "option_parser.h"

#include "uxl/cpu_list.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace uxl::cli {
namespace {

int online_cpus()
{
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
}

// xl's parse_cpurange() for this host; prints xl's line and returns nullopt on an error.
std::optional<std::vector<int>> parse_cpus(const std::string& text)
{
    HostCpuTopology host;
    const long configured = ::sysconf(_SC_NPROCESSORS_CONF);
    host.cpus = configured > 0 ? static_cast<int>(configured) : 1;
    auto cpus = parse_cpu_list(text, host);
    if (!cpus) {
        std::fprintf(stderr, "%s\n", cpus.error().message.c_str());
        return std::nullopt;
    }
    return *cpus;
}

// xl's `strtol(optarg, NULL, 10)`: what cannot be read is 0.
int xl_int(const std::string& text)
{
    return static_cast<int>(std::strtol(text.c_str(), nullptr, 10));
}

}  // namespace

// xl's main_vcpupin(): `<Domain> <VCPU|all> <Hard|-|all> [<Soft|-|all>]`; "-" leaves a set
// as it is. -N prints the maps it would set ("cpumap: 1 0-3").
int main_vcpu_pin(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {{"-f,--force", "force"}}, args, 3);
    if (cmd.exit_code)
        return *cmd.exit_code;
    const auto& operands = cmd.options.operands;
    const bool force = cmd.options.count("force") > 0;
    const std::string& vcpu_text = operands[1];
    const std::string& hard_text = operands[2];
    const std::string* soft_text = operands.size() > 3 ? &operands[3] : nullptr;

    char* end = nullptr;
    long vcpu = std::strtol(vcpu_text.c_str(), &end, 10);
    if (end == vcpu_text.c_str() || vcpu < 0) {
        if (vcpu_text != "all") {
            std::fprintf(stderr, "Error: Invalid argument %s as VCPU.\n", vcpu_text.c_str());
            return k_exit_failure;
        }
        if (force) {
            std::fprintf(stderr, "Error: --force and 'all' as VCPU not allowed.\n");
            return k_exit_failure;
        }
        vcpu = -1;
    }
    protocol::VcpuPinRequest request;
    request.domain = std::to_string(cmd.domain.domid);
    request.vcpu = static_cast<int>(std::min<long>(vcpu, INT32_MAX));
    request.force = force;
    if (hard_text != "-") {
        request.hard = parse_cpus(hard_text);
        if (!request.hard)
            return k_exit_failure;
    }
    if (soft_text && *soft_text != "-") {
        request.soft = parse_cpus(*soft_text);
        if (!request.soft)
            return k_exit_failure;
    }
    if (globals.dry_run) {
        const int cpus = online_cpus();
        std::string line = "cpumap: " + (request.hard ? format_cpu_bitmap(*request.hard, cpus) : std::string("-"));
        if (request.soft)
            line += " " + format_cpu_bitmap(*request.soft, cpus);
        std::printf("%s\n", line.c_str());
        return k_exit_success;
    }
    auto reply = call_daemon(globals, *cmd.client, request);
    if (!reply)
        return k_exit_failure;
    if (reply->error) {
        print_daemon_error(*reply->error);
        if (force || vcpu != -1) {
            std::fprintf(stderr, "Could not set affinity for vcpu `%ld'.\n", vcpu);
            return k_exit_failure;
        }
        // xl says so for `all` and still exits 0.
        std::fprintf(stderr, "Could not set affinity.\n");
    }
    return k_exit_success;
}

// xl's main_sched_credit(): no options lists every domain under the pool's line; -d DOM
// shows one; -d DOM -w W / -c C sets; -s shows the pool's parameters (which uxl cannot
// change: Linux's scheduler has no tslice or ratelimit per pool).
int main_sched_credit(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self,
                                {{"-d,--domain", "domain", true},
                                 {"-w,--weight", "weight", true},
                                 {"-c,--cap", "cap", true},
                                 {"-s,--schedparam", "schedparam"},
                                 {"-t,--tslice_ms", "tslice", true},
                                 {"-r,--ratelimit_us", "ratelimit", true},
                                 {"-m,--migration_delay_us", "migration", true},
                                 {"-p,--cpupool", "cpupool", true}},
                                args);
    if (!parsed.options)
        return parsed.exit_code;
    const ParsedOptions& opts = *parsed.options;
    const auto dom = opts.value("domain");
    const auto cpupool = opts.value("cpupool");
    const bool opt_w = opts.count("weight") > 0;
    const bool opt_c = opts.count("cap") > 0;
    const bool opt_s = opts.count("schedparam") > 0;
    const bool set_pool = opts.count("tslice") || opts.count("ratelimit") || opts.count("migration");
    if ((cpupool || opt_s) && (dom || opt_w || opt_c)) {
        std::fprintf(stderr, "Specifying a cpupool or schedparam is not allowed with domain options.\n");
        return k_exit_failure;
    }
    if (!dom && (opt_w || opt_c)) {
        std::fprintf(stderr, "Must specify a domain.\n");
        return k_exit_failure;
    }
    if (!opt_s && set_pool) {
        std::fprintf(stderr, "Must specify schedparam to set schedule parameter values.\n");
        return k_exit_failure;
    }
    if (cpupool && *cpupool != k_cpupool_name) {
        std::fprintf(stderr, "unknown cpupool '%s'\n", cpupool->c_str());
        return k_exit_failure;
    }
    if (opt_s) {
        if (set_pool) {
            std::fprintf(stderr, "uxl: the host's scheduler has no per-pool time slice, rate limit or "
                                 "migration delay to set\nlibxl_sched_credit_params_set failed.\n");
            return k_exit_failure;
        }
        std::fputs(sched_credit_pool_line().c_str(), stdout);
        return k_exit_success;
    }
    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    std::string domain;
    if (dom) {
        auto found = find_domain(globals, *client, *dom);
        if (!found)
            return k_exit_failure;
        domain = std::to_string(found->domid);
    }
    if (opt_w || opt_c) {
        protocol::SchedCreditRequest request;
        request.domain = domain;
        if (opt_w)
            request.weight = xl_int(*opts.value("weight"));
        if (opt_c)
            request.cap = xl_int(*opts.value("cap"));
        return call_daemon_or_report(globals, *client, request, "libxl_domain_sched_params_set failed.")
                   ? k_exit_success
                   : k_exit_failure;
    }
    auto reply = call_daemon_or_report(globals, *client, protocol::ListRequest{domain, false, false},
                                       "libxl_list_domain failed.");
    if (!reply)
        return k_exit_failure;
    std::string out = domain.empty() ? sched_credit_pool_line() : std::string();
    out += format_sched_credit(reply->domains);
    std::fputs(out.c_str(), stdout);
    return k_exit_success;
}

}  // namespace uxl::cli
