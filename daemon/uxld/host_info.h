// What uxld reads about the host and about guest processes: /proc/PID/stat, /proc/meminfo
// and /proc/stat (each with one read(2): `uxl list' asks on every call), Domain-0's row of
// `uxl list', and the lines of `uxl info'.
#pragma once

#include "paths.h"

#include "uxl/backend.h"

#include "uxl/protocol.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace uxl::daemon {

// Fields 3 (state), 14-17 (utime, stime, cutime, cstime) and 39 (processor) of /proc/PID/stat.
struct ProcStat {
    char state = '?';
    double cpu_seconds = 0;
    int processor = 0;  // field 39: the CPU it last ran on
    bool alive = false;
};

// A process (or, with `tid`, one of its threads); not alive when it cannot be read.
ProcStat read_proc_stat(pid_t pid, pid_t tid = 0);

// A /proc/meminfo value in KiB ("MemTotal"), 0 when absent.
std::uint64_t meminfo_kb(std::string_view key);

// The wall clock, in seconds since the epoch.
double now_seconds();

// Domain-0 as `uxl list' shows it: the host's memory, CPUs, uptime and CPU time.
protocol::DomainInfo host_domain_info(bool with_config, bool with_vcpus);

// The lines of `uxl info': the host, uxl, and what each backend says of this host.
std::vector<std::pair<std::string, std::string>> host_info_lines(const DaemonPaths& paths,
                                                                 const BackendSettings& settings,
                                                                 std::size_t domain_count);

}  // namespace uxl::daemon
