// The daemon's state files: a record survives the round trip with its device table and
// tagged teardown steps (what detach and a restarted daemon rely on), and a record written
// before devices were kept still loads.
#include "state_store.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

using namespace uxl::daemon;

struct TempDir {
    TempDir()
    {
        char pattern[] = "/tmp/uxl-ss-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string path;
};

TEST(StateStore, DeviceTableAndTaggedTeardownSurviveTheRoundTrip)
{
    TempDir dir;
    StateStore store(dir.path);
    DomainRecord r;
    r.instance = 7;
    r.domid = 9;
    r.name = "hp";
    r.config_json = "{}";
    r.dir = dir.path + "/7";
    r.devices = {DeviceEntry{DeviceClass::vbd, 51712, 0, "/srv/a.img", DeviceState::connected, "ubda"},
                 DeviceEntry{DeviceClass::vif, 1, 1, "vif9.1", DeviceState::attaching, ""}};
    r.devices_changed = true;
    r.teardown = {TeardownStep{"vif/1", "vif9.1", {}, {}, {}},
                  TeardownStep{"vif/1", {}, "/etc/uxl/scripts/vif-bridge", {"down", "vif=vif9.1"}, {"devid=1"}}};
    ASSERT_TRUE(store.save(r).has_value());

    std::vector<std::string> problems;
    auto loaded = store.load_all(problems);
    EXPECT_TRUE(problems.empty());
    ASSERT_EQ(loaded.size(), 1u);
    const DomainRecord& l = loaded[0];
    ASSERT_EQ(l.devices.size(), 2u);
    EXPECT_EQ(l.devices[0].key(), "vbd/51712");
    EXPECT_EQ(l.devices[0].backend, "/srv/a.img");
    EXPECT_EQ(l.devices[0].guest_name, "ubda");
    EXPECT_EQ(l.devices[1].key(), "vif/1");
    EXPECT_EQ(l.devices[1].slot, 1);
    EXPECT_EQ(l.devices[1].state, DeviceState::attaching);
    EXPECT_TRUE(l.devices_changed);
    ASSERT_EQ(l.teardown.size(), 2u);
    EXPECT_EQ(l.teardown[0].device, "vif/1");
    EXPECT_EQ(l.teardown[0].tap, "vif9.1");
    EXPECT_EQ(l.teardown[1].args, (std::vector<std::string>{"down", "vif=vif9.1"}));
}

TEST(StateStore, RecordWithoutDevicesStillLoads)
{
    TempDir dir;
    std::ofstream(dir.path + "/domain-3.json")
        << R"({"instance":3,"domid":3,"name":"old","config":"{}","dir":"/run/uxl/d/3",)"
           R"("teardown":[{"tap":"vif3.0","script":"","args":[],"env":[]}]})";
    StateStore store(dir.path);
    std::vector<std::string> problems;
    auto loaded = store.load_all(problems);
    ASSERT_EQ(loaded.size(), 1u) << (problems.empty() ? "" : problems[0]);
    EXPECT_TRUE(loaded[0].devices.empty());
    EXPECT_FALSE(loaded[0].devices_changed);
    ASSERT_EQ(loaded[0].teardown.size(), 1u);
    EXPECT_EQ(loaded[0].teardown[0].device, "");
    EXPECT_EQ(loaded[0].teardown[0].tap, "vif3.0");
}

TEST(StateStore, DomidsAreNeverReusedByALaterDaemon)
{
    TempDir dir;
    {
        StateStore first(dir.path);
        EXPECT_EQ(first.next_domid(), 1);
        EXPECT_EQ(first.next_domid(), 2);
    }
    StateStore second(dir.path);  // a restarted uxld
    EXPECT_EQ(second.next_domid(), 3);
}

// Re-adoption keeps the guest's cgroup: its leaf's name survives the round trip.
TEST(StateStore, CgroupSurvivesTheRoundTrip)
{
    TempDir dir;
    StateStore store(dir.path);
    DomainRecord r;
    r.instance = 9;
    r.domid = 9;
    r.name = "g";
    r.cgroup = "9";
    ASSERT_TRUE(store.save(r));
    std::vector<std::string> problems;
    auto records = store.load_all(problems);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].cgroup, "9");
}

}  // namespace
