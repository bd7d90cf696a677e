// What confines a guest, for the monitor (monitor.cc): its cgroups, and for an unprivileged
// guest (MonitorPlan::uid) a /dev/net/tun of its own, its uid and gid and no capabilities;
// then what the monitor itself keeps. Split from monitor.cc: the guest's child runs
// confine_guest between fork and exec, so everything it needs is prepared before fork.
#pragma once

#include "uxl/monitor_plan.h"

#include <sys/types.h>

#include <expected>
#include <string>
#include <vector>

namespace uxl::monitor {

// The child's failure stages (with errno): a cgroup.procs file by its index from
// k_stage_cgroup, the tun namespace, the ids and capabilities.
inline constexpr int k_stage_ids = 5;
inline constexpr int k_stage_tun = 6;
inline constexpr int k_stage_cgroup = 100;

struct GuestConfinement {
    std::vector<const char*> cgroup_procs;  // into the plan's strings, which outlive the fork
    long uid = -1;
    long gid = -1;
    std::vector<gid_t> groups;
    bool private_tun = false;  // the host has a /dev/net/tun and the guest a uid of its own
    dev_t tun_device = 0;
};

// Made in the parent, before fork (it allocates and stats /dev/net/tun).
GuestConfinement prepare_confinement(const MonitorPlan& plan);

// In the forked child, before exec; async-signal-safe calls only. Joins the cgroups first
// (while it still may write cgroup.procs), then, for a guest with a uid: a mount namespace
// whose /dev/net is a small tmpfs with a tun node the uid owns (host mounts still propagate
// in), the bounding set and ambient capabilities dropped, groups, gid and uid set, and
// PR_SET_NO_NEW_PRIVS. Returns 0, or the stage that failed with errno set.
int confine_guest(const GuestConfinement& confinement);

// The monitor of an unprivileged guest keeps CAP_KILL alone (bounding, permitted,
// effective) and sets PR_SET_NO_NEW_PRIVS: it kills the guest, another uid, and nothing
// more; reaping, the console and its own files need no capability. Says why it failed.
std::expected<void, std::string> keep_only_cap_kill();

}  // namespace uxl::monitor
