// Unprivileged guests (issue 12): real UML guests, each under a uid of its own from uxl.conf's
// range, with no capabilities; what they use (their disks, their taps) lent to that uid for
// their lifetime and given back as it was; the uid kept across a uxld restart and never
// handed out twice.
#include "netns_fixture.h"

#include <gtest/gtest.h>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fcntl.h>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace uxl_integration;

constexpr unsigned long kFirstGuestUid = 1879048192;  // uxl.conf's default guest.uid_range
constexpr unsigned long kLastGuestUid = 1879049215;

// The fields of /proc/PID/status this test reads ("Uid", "CapEff", "NoNewPrivs", ...).
std::map<std::string, std::string> status_of(pid_t pid)
{
    std::map<std::string, std::string> fields;
    std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/status"));
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        fields[line.substr(0, colon)] = value;
    }
    return fields;
}

// The real uid of PID (the first of the Uid line's four).
unsigned long uid_of(pid_t pid)
{
    return std::stoul(status_of(pid)["Uid"]);
}

// Whether a process running as uid:gid (and no groups) can open PATH for reading.
bool readable_as(const std::string& path, uid_t uid)
{
    pid_t child = ::fork();
    if (child == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setresgid(uid, uid, uid) != 0 || ::setresuid(uid, uid, uid) != 0)
            ::_exit(2);
        int fd = ::open(path.c_str(), O_RDONLY);
        ::_exit(fd >= 0 ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class GuestUsers : public NetnsDaemonFixture {
protected:
    // The guest's processes: the UML kernel and its helpers, below the monitor.
    std::vector<Proc> guest_procs(const std::string& name)
    {
        std::vector<Proc> out;
        for (const auto& p : procs_mentioning(" umid=" + name + " "))
            if (p.cmdline.find(m_root) != std::string::npos)
                out.push_back(p);
        return out;
    }

    std::optional<Proc> monitor_of(const Proc& guest)
    {
        auto parent = read_proc(guest.ppid);
        if (parent && parent->cmdline.find("uxl-monitor") != std::string::npos)
            return parent;
        return std::nullopt;
    }
};

TEST_F(GuestUsers, EachGuestRunsUnderItsOwnUidWithNoCapabilities)
{
    start_daemon();
    const std::string disk1 = make_image("one.img", 4 << 20);
    const std::string disk2 = make_image("two.img", 4 << 20);
    ::chmod(disk1.c_str(), 0600);
    ::chmod(disk2.c_str(), 0640);
    ASSERT_GT(create("g1", "disk=['" + disk1 + ",raw,xvdb,w']\n"), 0);
    ASSERT_GT(create("g2", "disk=['" + disk2 + ",raw,xvdb,w']\n"), 0);
    ASSERT_TRUE(wait_for_banner("g1")) << no_banner("g1");
    ASSERT_TRUE(wait_for_banner("g2")) << no_banner("g2");

    std::map<std::string, unsigned long> uids;
    for (const std::string name : {"g1", "g2"}) {
        auto procs = guest_procs(name);
        ASSERT_FALSE(procs.empty()) << name;
        const unsigned long uid = uid_of(procs.front().pid);
        EXPECT_GE(uid, kFirstGuestUid) << name;
        EXPECT_LE(uid, kLastGuestUid) << name;
        uids[name] = uid;
        for (const Proc& p : procs) {
            auto status = status_of(p.pid);
            const std::string id = std::to_string(uid);
            EXPECT_EQ(status["Uid"], id + "\t" + id + "\t" + id + "\t" + id) << name << " pid " << p.pid;
            EXPECT_EQ(status["Gid"], id + "\t" + id + "\t" + id + "\t" + id) << name << " pid " << p.pid;
            for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
                EXPECT_EQ(status[set], "0000000000000000") << name << " pid " << p.pid << " " << set;
            EXPECT_EQ(status["NoNewPrivs"], "1") << name << " pid " << p.pid;
        }
        // Its monitor keeps CAP_KILL (bit 5) alone, to kill and reap the guest.
        auto monitor = monitor_of(procs.front());
        ASSERT_TRUE(monitor.has_value()) << name << ": " << describe(procs);
        auto status = status_of(monitor->pid);
        EXPECT_EQ(status["CapEff"], "0000000000000020") << name;
        EXPECT_EQ(status["CapBnd"], "0000000000000020") << name;
        EXPECT_EQ(status["NoNewPrivs"], "1") << name;
    }
    EXPECT_NE(uids["g1"], uids["g2"]);

    // Each disk is its guest's for now (mode kept), and out of the other guest's reach.
    struct stat st {};
    ASSERT_EQ(::stat(disk1.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, uids["g1"]);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_TRUE(readable_as(disk1, static_cast<uid_t>(uids["g1"])));
    EXPECT_FALSE(readable_as(disk1, static_cast<uid_t>(uids["g2"])));
    EXPECT_FALSE(readable_as(disk2, static_cast<uid_t>(uids["g1"])));
    // ... and a third guest that names it is refused, naming the disk.
    RunResult r = create_raw("g3", "disk=['" + disk1 + ",raw,xvdb,w']\n");
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("in use by another guest"), std::string::npos) << show(r);

    // The guest writes its disk (as its own uid): the write reaches the file.
    bool ok = false;
    std::string out = console_command("g1", "echo guest-wrote-this > /dev/ubda && sync && echo WROTE-$((6*7))",
                                      "WROTE-42", 30s, &ok);
    EXPECT_TRUE(ok) << out;
    EXPECT_NE(slurp(disk1).find("guest-wrote-this"), std::string::npos);

    // kill -9 uxld, restart: the guests keep their uids; a new guest gets another.
    stop_daemon(SIGKILL);
    start_daemon();
    EXPECT_EQ(uid_of(guest_procs("g1").front().pid), uids["g1"]);
    ASSERT_GT(create("g4", ""), 0);
    ASSERT_TRUE(wait_for_banner("g4")) << no_banner("g4");
    const unsigned long uid4 = uid_of(guest_procs("g4").front().pid);
    EXPECT_NE(uid4, uids["g1"]);
    EXPECT_NE(uid4, uids["g2"]);

    // Once the guests are gone, the disks are as they were: owner, group, mode.
    destroy_all_and_expect_nothing_left("after destroy");
    ASSERT_EQ(::stat(disk1.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, 0u);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    ASSERT_EQ(::stat(disk2.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(GuestUsers, AKernelTheGuestsUidCannotReachIsRefusedClearly)
{
    start_daemon();
    // A copy of the initramfs in a directory only root may enter.
    fs::create_directories(m_root + "/private");
    ::chmod((m_root + "/private").c_str(), 0700);
    fs::copy_file(s_image.path, m_root + "/private/initramfs.cpio.gz");
    const std::string path = m_root + "/cfg/hidden.cfg";
    spit(path, "name=\"hidden\"\nkernel=\"" + std::string(kLinux) + "\"\nramdisk=\"" + m_root +
                   "/private/initramfs.cpio.gz\"\nmemory=64\n");
    RunResult r = uxl({"create", path});
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("out of the guest's reach"), std::string::npos) << show(r);
    EXPECT_NE(r.err.find(m_root + "/private"), std::string::npos) << show(r);
    expect_nothing_left("after the refused create");
}

}  // namespace
