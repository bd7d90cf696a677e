// The text `uxl list`, `uxl list -l`, `uxl uptime`, `uxl info` and the device lists print,
// as pure functions of what the daemon reports, so that xl's exact layouts
// (reference/xl-compat.md §5, §6.3, §6.4) are unit-tested. Scripts parse these layouts: NetBSD's xendomains reads columns 1 and 5
// of `list`, osstest matches its rows with a regex, Linux's xendomains greps `list -l`.
#pragma once

#include "uxl/protocol.h"
#include "uxl/result.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uxl::cli {

// The columns `xl list` adds with -v, -Z, -c and -n.
struct ListOptions {
    bool verbose = false;  // -v: UUID, reason code, security label
    bool context = false;  // -Z: security label
    bool cpupool = false;  // -c: cpupool name
    bool numa = false;     // -n: node affinity
};

// xl_info.c:list_domains(): the header line, then one row per domain in the order given
// (the daemon lists Domain-0 first, then by domid). Pure.
std::string format_list(const std::vector<protocol::DomainInfo>& domains, const ListOptions& options);

// The six state letters of a row, e.g. "r-----", "---sc-", "-b---d". Pure.
std::string state_letters(const protocol::DomainInfo& domain);

// libxl's shutdown_reason number (poweroff 0, reboot 1, suspend 2, crash 3, watchdog 4,
// soft_reset 5), which `list -v` and `shutdown -w` print. Pure.
int libxl_shutdown_reason(protocol::ShutdownReason reason);

// `xl list -l`: a JSON array in yajl's beautified layout, one {"domid": N, "config": {...}}
// element per domain whose stored config is not empty (as xl skips domains whose config it
// cannot retrieve), each stored config re-indented into place; ends as xl's puts() does,
// with "]\n\n". A stored config that is not valid JSON is an Errc::protocol error. Pure.
Result<std::string> format_list_long(const std::vector<protocol::DomainInfo>& domains);

// Re-lays out any JSON text in yajl's beautified layout (4-space indent, `"key": value`,
// empty containers as "{\n\n<indent>}"), as if it were nested `depth` levels deep; keys
// keep their order and scalars their exact text. No final newline. Pure.
Result<std::string> reindent_yajl(std::string_view json, int depth = 0);

// `xl uptime`: "%-33s %4d %s\n" rows under a "Name ID Uptime" header, or with short_mode
// " HH:MM:SS up <uptime>, <name> (<domid>)\n" lines and no header.
struct UptimeOptions {
    bool short_mode = false;          // -s
    double now = 0;                   // unix time
    std::string clock;                // "HH:MM:SS" of `now` in local time (short mode)
    std::optional<unsigned long> host_uptime;  // Domain-0's uptime (/proc/uptime), if known
};

// Domains whose start time is unknown (started_at == 0, other than Domain-0) are skipped,
// as xl skips those whose start time it cannot read. Pure.
std::string format_uptime(const std::vector<protocol::DomainInfo>& domains, const UptimeOptions& options);

// xl's uptime_to_string(): "%d days, %2d:%02d:%02d", "%d day, ...", "%2d:%02d:%02d";
// in short mode without the seconds. Pure.
std::string uptime_to_string(unsigned long seconds, bool short_mode);

// `xl vcpu-list`: the header ("%-32s %5s %5s %5s %5s %9s %s"), then per vCPU of each
// domain, in the order given, "%-32s %5u %5u" + (online: "%5u %3c%c- " with r/b flags;
// offline: "%5c %3c%cp " with dashes) + "%9.1f  " + "all / all" (every vCPU may run on
// every host CPU; xl's print_bitmap says "all" then). Pure.
std::string vcpu_list_header();
// `xl sched-credit`: the one pool's line ("Cpupool Pool-0: tslice=30ms ratelimit=1000us
// migration-delay=0us", Xen's defaults), then the header ("%-33s %4s %6s %4s") and a row per
// domain with its weight and cap ("%-33s %4d %6d %4d").
inline constexpr const char* k_cpupool_name = "Pool-0";
std::string sched_credit_pool_line();
std::string format_sched_credit(const std::vector<protocol::DomainInfo>& domains);
std::string format_vcpu_list(const std::vector<protocol::DomainInfo>& domains);

// `xl vm-list`: "UUID                                  ID    name" then, for every guest
// (Domain-0 is left out, as libxl_list_vm leaves it out), UUID "  %d    %-30s". Pure.
std::string format_vm_list(const std::vector<protocol::DomainInfo>& domains);

// `xl info`: one "%-23s: %s\n" line per key, in the order given. With a prefix (`xl info
// free_memory`), only the values of the keys starting with it, one per line. Pure.
std::string format_info(const std::vector<std::pair<std::string, std::string>>& info,
                        std::string_view prefix = {});

// ---- Device lists (tools/xl/xl_block.c, xl_nic.c, xl_pci.c) -----------------------------
// The event channel and ring references xl prints have no counterpart here: they are -1,
// as libxl reports them when their xenstore keys are missing.

// `xl block-list`: the header, printed once before the first domain's rows.
std::string block_list_header();
// One "%-5d %-3d %-6d %-5d %-6d %-8d %-30s\n" row per disk: devid (the vdev's number),
// backend domid, frontend domid (xl's "handle" column), state, -1, -1, backend. Pure.
std::string format_block_list(const std::vector<protocol::DeviceInfo>& disks);

// `xl network-list`: the header, printed once before the first domain's rows.
std::string network_list_header();
// One row per nic: "%-3d %-2d " devid and backend domid, the MAC as "%02x:..:%02x" (a MAC
// that does not parse is printed as given, padded to 17 columns), then
// "%6d %5d %6d %5d/%-11d %-30s\n" devid, state, -1, -1, -1, backend. Pure.
std::string format_network_list(const std::vector<protocol::DeviceInfo>& nics);

// `xl pci-list`: nothing for no devices; otherwise "Vdev Device\n", then one
// "%02x.%01x %04x:%02x:%02x.%01x\n" row per device: the guest slot and function from the
// vdevfn (devid), the host BDF from `bdf` (printed as given when it does not parse). Pure.
std::string format_pci_list(const std::vector<protocol::DeviceInfo>& devices);

}  // namespace uxl::cli
