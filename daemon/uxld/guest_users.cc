#include "guest_users.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace uxl::daemon {

namespace {

std::string octal(mode_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

bool passwd_names(uid_t uid)
{
    passwd entry{};
    passwd* found = nullptr;
    char buffer[4096];
    return ::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr;
}

}  // namespace

bool GuestUidPool::enabled() const
{
    return !m_settings.as_root && ::geteuid() == 0;
}

Result<uid_t> GuestUidPool::allocate()
{
    for (uid_t uid = m_settings.first; uid <= m_settings.last && uid >= m_settings.first; ++uid) {
        if (m_taken.count(uid) || passwd_names(uid))
            continue;
        m_taken.insert(uid);
        return uid;
    }
    return fail(Errc::unsupported, "Every guest uid of uxl.conf's guest.uid_range (" + std::to_string(m_settings.first) +
                                       "-" + std::to_string(m_settings.last) +
                                       ") is taken: a new guest cannot run unprivileged; widen the range.");
}

namespace {

Result<void> check_ancestors(const fs::path& absolute, const std::string& path, uid_t uid, const std::string& what)
{
    for (fs::path dir = absolute.parent_path();; dir = dir.parent_path()) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0)
            return fail(Errc::invalid_argument, what + " " + path + ": " + dir.string() + ": " + std::strerror(errno));
        const bool searchable = (st.st_mode & S_IXOTH) || (st.st_uid == uid && (st.st_mode & S_IXUSR));
        if (!searchable)
            return fail(Errc::invalid_argument,
                        what + " " + path + " is out of the guest's reach: uxl runs the guest as uid " +
                            std::to_string(uid) + ", and " + dir.string() + " (mode " + octal(st.st_mode) +
                            ") gives others no search permission; allow it (chmod o+x " + dir.string() +
                            ") or move the file.",
                        path);
        if (dir == dir.root_path() || dir.empty())
            break;
    }
    return {};
}

}  // namespace

Result<void> check_reachable(const std::string& path, uid_t uid, const std::string& what)
{
    std::error_code ec;
    fs::path absolute = fs::absolute(path, ec);
    if (ec)
        return fail(Errc::invalid_argument, what + " " + path + ": " + ec.message());
    // The directories on the way as written, and those the symlinks lead through.
    UXL_TRY(check_ancestors(absolute, path, uid, what));
    fs::path resolved = fs::weakly_canonical(absolute, ec);
    if (!ec && resolved != absolute)
        UXL_TRY(check_ancestors(resolved, path, uid, what));
    return {};
}

bool accessible_as(const std::string& path, uid_t uid, bool write)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return false;
    const mode_t need_other = S_IROTH | (write ? S_IWOTH : 0);
    const mode_t need_owner = S_IRUSR | (write ? S_IWUSR : 0);
    if (st.st_uid == uid)
        return (st.st_mode & need_owner) == need_owner;
    return (st.st_mode & need_other) == need_other;
}

Result<std::optional<Lent>> lend(const std::string& path, uid_t uid, gid_t gid, bool write,
                                 const GuestUidPool& pool, const std::string& what)
{
    UXL_TRY(check_reachable(path, uid, what));
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return fail(Errc::invalid_argument, what + " " + path + ": " + std::strerror(errno), path);
    if (accessible_as(path, uid, write))
        return std::optional<Lent>{};
    if (st.st_uid != uid && pool.in_range(st.st_uid))
        return fail(Errc::already_exists,
                    what + " " + path + " is in use by another guest (it is lent to uid " + std::to_string(st.st_uid) +
                        ").",
                    path);
    Lent lent{path, st.st_uid, st.st_gid, static_cast<mode_t>(st.st_mode & 07777)};
    if (::chown(path.c_str(), uid, gid) != 0)
        return fail(Errc::io, what + " " + path + ": cannot lend it to the guest's uid " + std::to_string(uid) + ": " +
                                  std::strerror(errno),
                    path);
    // chown clears set-user-ID and set-group-ID bits; the mode is otherwise kept. The owner
    // needs what the guest does: a file the owner may not write stays read-only.
    ::chmod(path.c_str(), lent.mode);
    return std::optional<Lent>{lent};
}

Result<void> give_back(const Lent& lent, uid_t guest_uid)
{
    struct stat st {};
    if (::stat(lent.path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return {};  // gone (a loop device the block script removed, a deleted image)
        return fail(Errc::io, lent.path + ": " + std::strerror(errno));
    }
    if (st.st_uid != guest_uid)
        return {};  // changed since: not ours to restore
    if (::chown(lent.path.c_str(), lent.uid, lent.gid) != 0)
        return fail(Errc::io, "cannot give " + lent.path + " back to uid " + std::to_string(lent.uid) + ": " +
                                  std::strerror(errno));
    if (::chmod(lent.path.c_str(), lent.mode) != 0)
        return fail(Errc::io, "cannot restore the mode of " + lent.path + ": " + std::strerror(errno));
    return {};
}

}  // namespace uxl::daemon
