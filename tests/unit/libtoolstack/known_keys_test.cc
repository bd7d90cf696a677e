// The table of domain-config keys and the typo suggestions `uxl check` makes from it.
#include "uxl/known_keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

namespace uxl {
namespace {

TEST(KnownKeys, KnowsTheKeysXlReads)
{
    for (std::string_view key : {"name", "type", "memory", "maxmem", "vcpus", "maxvcpus", "cpus",
                                 "on_reboot", "on_soft_reset", "kernel", "bootloader_args",
                                 "disk", "vif", "pci", "max_grant_version", "device_model_args_pv",
                                 "vncunused", "msr_relaxed"})
        EXPECT_TRUE(is_known_key(key)) << key;
}

TEST(KnownKeys, KnowsDeprecatedKeysXlStillReadsOrWarnsAbout)
{
    for (std::string_view key : {"builder", "device_model", "vncviewer", "vif2", "altp2mhvm", "stdvga"})
        EXPECT_TRUE(is_known_key(key)) << key;
}

TEST(KnownKeys, KnowsUxlsBackendKey)
{
    EXPECT_TRUE(is_known_key("backend"));
    EXPECT_FALSE(is_xm_only_key("backend"));
}

TEST(KnownKeys, KnowsXmKeysAndMarksThemXmOnly)
{
    for (std::string_view key : {"nics", "restart", "cpu", "dhcp", "hostname", "vncconsole"}) {
        EXPECT_TRUE(is_known_key(key)) << key;
        EXPECT_TRUE(is_xm_only_key(key)) << key;
    }
}

TEST(KnownKeys, KeysXlReadsAreNotXmOnlyEvenIfXmHadThem)
{
    for (std::string_view key : {"vncunused", "memory", "builder", "vtpm"})
        EXPECT_FALSE(is_xm_only_key(key)) << key;
}

TEST(KnownKeys, XmAdviceSaysThatNicsIsApplied)
{
    EXPECT_NE(xm_key_advice("nics").find("uxl applies it"), std::string_view::npos);
    EXPECT_NE(xm_key_advice("restart").find("ignores"), std::string_view::npos);
    EXPECT_TRUE(xm_key_advice("memory").empty());
}

TEST(KnownKeys, DoesNotKnowMisspelledOrMadeUpKeys)
{
    for (std::string_view key : {"memroy", "vpus", "zzzzzz", "autorestart", ""})
        EXPECT_FALSE(is_known_key(key)) << key;
}

TEST(KnownKeys, ListIsSortedWithoutDuplicates)
{
    auto keys = known_keys();
    ASSERT_FALSE(keys.empty());
    EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
    EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
}

TEST(KnownKeys, XlConfSettingsAreGlobalNotDomainKeys)
{
    for (std::string_view key : {"autoballoon", "vifscript", "defaultbridge", "vif.default.bridge"}) {
        EXPECT_TRUE(is_global_key(key)) << key;
        EXPECT_FALSE(is_known_key(key)) << key;
    }
}

TEST(KnownKeys, KeysOfBothXlConfAndDomainConfigsAreDomainKeys)
{
    EXPECT_FALSE(is_global_key("max_grant_frames"));
    EXPECT_TRUE(is_known_key("max_grant_frames"));
}

TEST(SuggestKey, SuggestsMemoryForATransposition)
{
    EXPECT_EQ(suggest_key("memroy"), "memory");
}

TEST(SuggestKey, SuggestsVcpusForAMissingLetterRatherThanCpus)
{
    EXPECT_EQ(suggest_key("vpus"), "vcpus");
}

TEST(SuggestKey, SuggestsOnRebootForSwappedLastLetters)
{
    EXPECT_EQ(suggest_key("on_reboto"), "on_reboot");
}

TEST(SuggestKey, SuggestsNothingForGibberish)
{
    EXPECT_EQ(suggest_key("zzzzzz"), std::nullopt);
}

TEST(SuggestKey, SuggestsNothingWhenHalfTheWordWouldChange)
{
    // "ab" is two edits from "ip" and "nx", but that is all of it.
    EXPECT_EQ(suggest_key("ab"), std::nullopt);
}

TEST(SuggestKey, SuggestsNothingForAKnownKey)
{
    EXPECT_EQ(suggest_key("memory"), std::nullopt);
}

}  // namespace
}  // namespace uxl
