// Unprivileged guests: each guest process (the UML kernel and its helpers, QEMU) runs under a
// uid and gid of its own, taken from a range in uxl.conf, with no capabilities and
// PR_SET_NO_NEW_PRIVS (the monitor drops them in the guest's child before exec:
// MonitorPlan::uid). What the guest must reach is lent to that uid for the guest's lifetime:
// its directory, its taps (TUNSETOWNER), its disks (chown, undone by a teardown step that
// restores owner, group and mode, also after a crash or a daemon restart).
//
// The range's default, 1879048192-1879049215 (0x70000000 + 1024), lies in the uids systemd
// documents as unused (docs/UIDS-GIDS.md: above the container ranges, below 2^31), so it
// meets neither ordinary users, system users, systemd's dynamic users (61184-65519) nor
// the usual subuid ranges of rootless containers (from 100000). A uid in the range that
// /etc/passwd names is skipped.
#pragma once

#include "uxl/result.h"

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>

namespace uxl::daemon {

struct GuestUserSettings {
    uid_t first = 1879048192;
    uid_t last = 1879049215;
    // uxl.conf guest.run_as_root = 1: guests run as root, as before (a warning in the log).
    bool as_root = false;
};

// The uids handed out to live guests. A uid is never handed out twice while its guest (or
// its record) exists; re-adopted guests mark theirs.
class GuestUidPool {
public:
    explicit GuestUidPool(GuestUserSettings settings) : m_settings(settings) {}

    // Whether guests get uids of their own: not with run_as_root, and only when uxld is root
    // (a session-mode uxld runs its guests as its own user).
    bool enabled() const;
    const GuestUserSettings& settings() const { return m_settings; }

    // The lowest free uid of the range (also used as the gid); Errc::unsupported when the
    // range is exhausted.
    Result<uid_t> allocate();
    // A re-adopted guest's uid: taken from now on.
    void mark(uid_t uid) { m_taken.insert(uid); }
    void release(uid_t uid) { m_taken.erase(uid); }
    bool in_range(uid_t uid) const { return uid >= m_settings.first && uid <= m_settings.last; }

private:
    GuestUserSettings m_settings;
    std::set<uid_t> m_taken;
};

// Whether `uid` can reach `path` (search permission on every ancestor directory, for
// "other" or as its owner); Errc::invalid_argument naming the first ancestor that stops it.
// `what` names the path in the message ("disk xvda", "kernel").
Result<void> check_reachable(const std::string& path, uid_t uid, const std::string& what);

// Whether `uid` may read (and, with `write`, write) `path` as it is: its owner, or "other"
// has the permission. Follows symlinks.
bool accessible_as(const std::string& path, uid_t uid, bool write);

// What lending a file changed: its owner, group and mode before.
struct Lent {
    std::string path;
    uid_t uid = 0;
    gid_t gid = 0;
    mode_t mode = 0;
};

// Lends `path` (a disk image or device node; symlinks followed) to the guest's uid/gid for
// reading or, with `write`, writing: nothing changes when it already may (Lent not
// returned); otherwise the file is chowned to uid:gid, and what it was is returned for
// give_back. A file another guest holds (owned by another uid of the range) is refused.
Result<std::optional<Lent>> lend(const std::string& path, uid_t uid, gid_t gid, bool write,
                                 const GuestUidPool& pool, const std::string& what);

// Restores owner, group and mode, if the file is still the guest's (a file someone changed
// since is left alone). Errors are for the log.
Result<void> give_back(const Lent& lent, uid_t guest_uid);

}  // namespace uxl::daemon
