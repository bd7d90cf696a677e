#include "confinement.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace uxl::monitor {

GuestConfinement prepare_confinement(const MonitorPlan& plan)
{
    GuestConfinement c;
    for (const auto& path : plan.cgroup_procs)
        c.cgroup_procs.push_back(path.c_str());
    c.uid = plan.uid;
    c.gid = plan.gid;
    c.groups.assign(plan.groups.begin(), plan.groups.end());
    struct stat tun {};
    c.private_tun = plan.uid >= 0 && ::stat("/dev/net/tun", &tun) == 0 && S_ISCHR(tun.st_mode);
    c.tun_device = tun.st_rdev;
    return c;
}

int confine_guest(const GuestConfinement& c)
{
    for (std::size_t i = 0; i < c.cgroup_procs.size(); ++i) {
        const int fd = ::open(c.cgroup_procs[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return k_stage_cgroup + static_cast<int>(i);
        const bool joined = ::write(fd, "0", 1) == 1;
        ::close(fd);
        if (!joined)
            return k_stage_cgroup + static_cast<int>(i);
    }
    if (c.private_tun) {
        // /dev/net/tun is often root's alone (mode 0600); the guest opens it to attach to
        // its taps, which its uid owns.
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0 ||
            ::mount("tmpfs", "/dev/net", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=16k") != 0 ||
            ::mknod("/dev/net/tun", S_IFCHR | 0600, c.tun_device) != 0 ||
            ::chown("/dev/net/tun", static_cast<uid_t>(c.uid), static_cast<gid_t>(c.gid)) != 0)
            return k_stage_tun;
    }
    if (c.uid >= 0) {
        // No capability survives: the bounding set first (while we still may), then the ids
        // (setresuid from root clears the permitted and effective sets), then no way back
        // through a set-user-ID program.
        for (int cap = 0; cap <= 63; ++cap)
            (void)::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
        (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        if (::setgroups(c.groups.size(), c.groups.data()) != 0 || ::setresgid(c.gid, c.gid, c.gid) != 0 ||
            ::setresuid(c.uid, c.uid, c.uid) != 0 || ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            return k_stage_ids;
    }
    return 0;
}

std::expected<void, std::string> keep_only_cap_kill()
{
    for (int cap = 0; cap <= 63; ++cap)
        if (cap != CAP_KILL)
            (void)::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    data[0].effective = data[0].permitted = 1U << CAP_KILL;
    if (::syscall(SYS_capset, &header, data) != 0)
        return std::unexpected(std::string("capset: ") + std::strerror(errno));
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return std::unexpected(std::string("PR_SET_NO_NEW_PRIVS: ") + std::strerror(errno));
    return {};
}

}  // namespace uxl::monitor
