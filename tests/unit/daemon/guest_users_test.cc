// The guests' uids and lending files to them (daemon/uxld/guest_users.h), on real files in a
// temporary directory. chown needs root: those tests skip without it.
#include "guest_users.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

namespace uxl::daemon {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kGuest = 1879048192;

GuestUserSettings small_range()
{
    GuestUserSettings s;
    s.first = kGuest;
    s.last = kGuest + 2;
    return s;
}

TEST(GuestUidPool, HandsOutTheLowestFreeUidOnce)
{
    GuestUidPool pool(small_range());
    EXPECT_EQ(pool.allocate().value(), kGuest);
    EXPECT_EQ(pool.allocate().value(), kGuest + 1);
    pool.release(kGuest);
    EXPECT_EQ(pool.allocate().value(), kGuest);
    pool.mark(kGuest + 2);  // a re-adopted guest's
    auto none = pool.allocate();
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code, Errc::unsupported);
    EXPECT_NE(none.error().message.find("guest.uid_range"), std::string::npos);
    EXPECT_TRUE(pool.in_range(kGuest + 1));
    EXPECT_FALSE(pool.in_range(kGuest + 3));
}

TEST(GuestUidPool, RunAsRootTurnsItOff)
{
    GuestUserSettings s = small_range();
    s.as_root = true;
    EXPECT_FALSE(GuestUidPool(s).enabled());
}

class LendTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "chown needs root";
        char tmpl[] = "/tmp/uxl-lend-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        ::chmod(dir.c_str(), 0711);
    }
    void TearDown() override
    {
        if (!dir.empty())
            fs::remove_all(dir);
    }
    std::string file(const std::string& name, mode_t mode)
    {
        std::string path = dir + "/" + name;
        std::ofstream(path) << "disk";
        ::chmod(path.c_str(), mode);
        return path;
    }
    struct stat stat_of(const std::string& path)
    {
        struct stat st {};
        ::stat(path.c_str(), &st);
        return st;
    }

    GuestUidPool pool{small_range()};
    std::string dir;
};

TEST_F(LendTest, APrivateFileIsLentAndGivenBackAsItWas)
{
    const std::string disk = file("disk.img", 0640);
    auto lent = lend(disk, kGuest, kGuest, true, pool, "disk xvda");
    ASSERT_TRUE(lent.has_value()) << lent.error().message;
    ASSERT_TRUE(lent->has_value());
    EXPECT_EQ(stat_of(disk).st_uid, kGuest);
    EXPECT_EQ(stat_of(disk).st_gid, kGuest);
    EXPECT_EQ(stat_of(disk).st_mode & 07777, 0640u);
    EXPECT_TRUE(accessible_as(disk, kGuest, true));

    ASSERT_TRUE(give_back(**lent, kGuest).has_value());
    EXPECT_EQ(stat_of(disk).st_uid, 0u);
    EXPECT_EQ(stat_of(disk).st_gid, 0u);
    EXPECT_EQ(stat_of(disk).st_mode & 07777, 0640u);
}

TEST_F(LendTest, AFileTheUidMayAlreadyUseIsLeftAlone)
{
    const std::string iso = file("cd.iso", 0644);
    auto lent = lend(iso, kGuest, kGuest, false, pool, "cdrom hdc");
    ASSERT_TRUE(lent.has_value());
    EXPECT_FALSE(lent->has_value());
    EXPECT_EQ(stat_of(iso).st_uid, 0u);
}

TEST_F(LendTest, AFileAnotherGuestHoldsIsRefused)
{
    const std::string disk = file("disk.img", 0600);
    ASSERT_TRUE(lend(disk, kGuest, kGuest, true, pool, "disk xvda").has_value());
    auto refused = lend(disk, kGuest + 1, kGuest + 1, true, pool, "disk xvdb");
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, Errc::already_exists);
    EXPECT_NE(refused.error().message.find("in use by another guest"), std::string::npos);
}

TEST_F(LendTest, AFileChangedSinceIsNotTakenBack)
{
    const std::string disk = file("disk.img", 0600);
    auto lent = lend(disk, kGuest, kGuest, true, pool, "disk xvda");
    ASSERT_TRUE(lent.has_value() && lent->has_value());
    ASSERT_EQ(::chown(disk.c_str(), 1000, 1000), 0);  // someone gave it away meanwhile
    ASSERT_TRUE(give_back(**lent, kGuest).has_value());
    EXPECT_EQ(stat_of(disk).st_uid, 1000u);
    // ... and a file gone since is no error.
    fs::remove(disk);
    EXPECT_TRUE(give_back(**lent, kGuest).has_value());
}

TEST_F(LendTest, ADirectoryTheUidCannotPassIsNamed)
{
    fs::create_directories(dir + "/private");
    ::chmod((dir + "/private").c_str(), 0700);
    const std::string disk = dir + "/private/disk.img";
    std::ofstream(disk) << "disk";
    auto refused = lend(disk, kGuest, kGuest, true, pool, "disk xvda");
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message.find(dir + "/private (mode 0700)"), std::string::npos)
        << refused.error().message;
    EXPECT_EQ(stat_of(disk).st_uid, 0u);
}

}  // namespace
}  // namespace uxl::daemon
