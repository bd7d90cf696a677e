// Persistent taps. Every test that makes a device runs in a forked child that has unshared
// a network namespace (and a mount namespace with a fresh /sys, so /sys/class/net shows
// that namespace): the host's interfaces are never touched. Needs root and /dev/net/tun.
#include "tap_device.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <net/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

namespace uxl::daemon {
namespace {

// Runs `body` in a child inside a fresh network namespace; returns what it reports: ""
// for success, "SKIP: …" when namespaces are unavailable, otherwise the failure.
std::string in_netns(const std::function<std::string()>& body)
{
    int fds[2];
    if (::pipe(fds) != 0)
        return "pipe failed";
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        std::string report;
        if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0)
            report = std::string("SKIP: unshare: ") + std::strerror(errno);
        else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
                 ::mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0)
            report = std::string("SKIP: mounting sysfs: ") + std::strerror(errno);
        else
            report = body();
        (void)!::write(fds[1], report.data(), report.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string report;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
        report.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status))
        return "the namespace child crashed";
    return report;
}

#define RUN_IN_NETNS(body)                                                    \
    do {                                                                      \
        if (::geteuid() != 0 || ::access("/dev/net/tun", R_OK | W_OK) != 0)   \
            GTEST_SKIP() << "needs root and /dev/net/tun";                   \
        std::string report_ = in_netns(body);                                 \
        if (report_.starts_with("SKIP: "))                                    \
            GTEST_SKIP() << report_;                                          \
        EXPECT_EQ(report_, "");                                               \
    } while (0)

std::string sysfs(const std::string& name, const std::string& attribute)
{
    std::string value;
    std::getline(std::ifstream("/sys/class/net/" + name + "/" + attribute), value);
    return value;
}

MacAddress guest_mac()
{
    return MacAddress{{0x00, 0x16, 0x3e, 0x12, 0x34, 0x56}};
}

TEST(TapDevice, DefaultNameIsXlsLinuxName)
{
    EXPECT_EQ(default_vif_name(3, 0), "vif3.0");
    EXPECT_EQ(default_vif_name(4294967294u, 12), "vif4294967294.12");
}

TEST(TapDevice, ValidNamesAreAccepted)
{
    for (const char* name : {"vif3.0", "tap-guest_1", "a", "x23456789012345"})
        EXPECT_TRUE(validate_interface_name(name)) << name;
}

TEST(TapDevice, NamesThatAShellOrTheKernelCouldMisreadAreRejected)
{
    for (const char* name : {"", "x234567890123456", "br;touch x", "a b", "../x", "a/b", ".", "..",
                             "$(id)", "vif1:0", "tab\t", "`id`"}) {
        auto checked = validate_interface_name(name);
        ASSERT_FALSE(checked) << name;
        EXPECT_EQ(checked.error().code, Errc::invalid_argument);
    }
    EXPECT_NE(validate_interface_name("br;x").error().message.find("only letters"), std::string::npos);
    EXPECT_NE(validate_interface_name("x234567890123456").error().message.find("15"), std::string::npos);
}

TEST(TapDevice, CreateMakesAPersistentTapThatIsUpWithTheHostSideMac)
{
    RUN_IN_NETNS([]() -> std::string {
        auto created = create_tap("vif5.0", guest_mac());
        if (!created)
            return created.error().message;
        if (!interface_exists("vif5.0"))
            return "the tap did not persist";
        if (sysfs("vif5.0", "address") != "fe:16:3e:12:34:56")
            return "address is " + sysfs("vif5.0", "address");
        if ((std::stoul(sysfs("vif5.0", "flags"), nullptr, 16) & IFF_UP) == 0)
            return "not up";
        if (sysfs("vif5.0", "owner") != "0")
            return "owner is " + sysfs("vif5.0", "owner");
        unsigned long tun_flags = std::stoul(sysfs("vif5.0", "tun_flags"), nullptr, 16);
        if ((tun_flags & IFF_TAP) == 0 || (tun_flags & IFF_NO_PI) == 0)
            return "not a tap without packet info";
        return "";
    });
}

TEST(TapDevice, CreateRefusesAnExistingName)
{
    RUN_IN_NETNS([]() -> std::string {
        if (!create_tap("vif1.0", guest_mac()))
            return "first create failed";
        auto again = create_tap("vif1.0", guest_mac());
        if (again || again.error().code != Errc::already_exists)
            return "second create of vif1.0 was not refused as already existing";
        auto lo = create_tap("lo", guest_mac());
        if (lo || lo.error().code != Errc::already_exists)
            return "create of lo was not refused";
        return "";
    });
}

TEST(TapDevice, CreateRefusesAnInvalidNameAndMakesNothing)
{
    RUN_IN_NETNS([]() -> std::string {
        auto created = create_tap("br;x", guest_mac());
        if (created || created.error().code != Errc::invalid_argument)
            return "an invalid name was accepted";
        if (interface_exists("br;x"))
            return "an interface was made anyway";
        return "";
    });
}

TEST(TapDevice, DeleteRemovesTheTapAndIsIdempotent)
{
    RUN_IN_NETNS([]() -> std::string {
        if (!create_tap("vif2.1", guest_mac()))
            return "create failed";
        auto deleted = delete_tap("vif2.1");
        if (!deleted)
            return deleted.error().message;
        if (interface_exists("vif2.1"))
            return "the tap is still there";
        if (!delete_tap("vif2.1"))
            return "deleting a missing tap failed";
        return "";
    });
}

TEST(TapDevice, DeleteLeavesAnInterfaceThatIsNotATapAlone)
{
    RUN_IN_NETNS([]() -> std::string {
        auto deleted = delete_tap("lo");
        if (deleted)
            return "deleting lo succeeded";
        if (deleted.error().message.find("not a tap") == std::string::npos)
            return deleted.error().message;
        if (!interface_exists("lo"))
            return "lo is gone";
        return "";
    });
}

TEST(TapDevice, DeleteRefusesATapAGuestHasOpen)
{
    RUN_IN_NETNS([]() -> std::string {
        if (!create_tap("vif7.0", guest_mac()))
            return "create failed";
        int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        ifreq ifr{};
        std::strcpy(ifr.ifr_name, "vif7.0");
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        if (fd < 0 || ::ioctl(fd, TUNSETIFF, &ifr) != 0)
            return std::string("attaching like a guest failed: ") + std::strerror(errno);
        auto deleted = delete_tap("vif7.0");
        if (deleted || deleted.error().code != Errc::invalid_state)
            return "deleting a tap in use was not refused";
        ::close(fd);
        if (!interface_exists("vif7.0"))
            return "the tap did not survive its user";
        if (!delete_tap("vif7.0") || interface_exists("vif7.0"))
            return "delete after the guest let go failed";
        return "";
    });
}

}  // namespace
}  // namespace uxl::daemon
