#include "uxl/mac_address.h"

#include <gtest/gtest.h>

#include <set>

namespace uxl {
namespace {

MacAddress mac_of(std::array<std::uint8_t, 6> bytes)
{
    return MacAddress{bytes};
}

TEST(MacAddressTest, ToStringIsLowerCaseTwoDigitsPerByte)
{
    EXPECT_EQ(mac_of({0x00, 0x16, 0x3e, 0x0a, 0xBC, 0xff}).to_string(), "00:16:3e:0a:bc:ff");
}

TEST(MacAddressTest, ZeroAddressIsZero)
{
    EXPECT_TRUE(MacAddress{}.is_zero());
    EXPECT_FALSE(mac_of({0, 0, 0, 0, 0, 1}).is_zero());
}

TEST(MacParseTest, ReadsColonSeparatedHex)
{
    const auto mac = parse_mac("aa:00:00:50:02:F0");
    ASSERT_TRUE(mac) << mac.error().message;
    EXPECT_EQ(*mac, mac_of({0xaa, 0x00, 0x00, 0x50, 0x02, 0xf0}));
}

TEST(MacParseTest, AcceptsAnySingleCharacterSeparator)
{
    const auto mac = parse_mac("00-16.3e_01/02|03");
    ASSERT_TRUE(mac);
    EXPECT_EQ(*mac, mac_of({0x00, 0x16, 0x3e, 0x01, 0x02, 0x03}));
}

TEST(MacParseTest, AcceptsSingleDigitGroups)
{
    const auto mac = parse_mac("0:1:2:3:4:5");
    ASSERT_TRUE(mac);
    EXPECT_EQ(*mac, mac_of({0, 1, 2, 3, 4, 5}));
}

TEST(MacParseTest, AcceptsStrtoulHexPrefixInAGroup)
{
    const auto mac = parse_mac("0x0a:0:0:0:0:1");
    ASSERT_TRUE(mac);
    EXPECT_EQ(mac->bytes[0], 0x0a);
}

TEST(MacParseTest, IgnoresTextAfterTheSixthGroup)
{
    const auto mac = parse_mac("00:16:3e:00:00:01:junk");
    ASSERT_TRUE(mac);
    EXPECT_EQ(*mac, mac_of({0x00, 0x16, 0x3e, 0x00, 0x00, 0x01}));
}

TEST(MacParseTest, RejectsGroupAbove255WithXlMessage)
{
    const auto mac = parse_mac("100:16:3e:00:00:01");
    ASSERT_FALSE(mac);
    EXPECT_EQ(mac.error().code, Errc::invalid_argument);
    EXPECT_EQ(mac.error().message, "Invalid parameter `mac'.");
}

TEST(MacParseTest, RejectsFewerThanSixGroups)
{
    EXPECT_FALSE(parse_mac("00:16:3e:00:01"));
    EXPECT_FALSE(parse_mac("00:16:3e:00:01:"));
    EXPECT_FALSE(parse_mac(""));
}

TEST(MacParseTest, RejectsEmptyGroup)
{
    EXPECT_FALSE(parse_mac("00::16:3e:00:01"));
}

TEST(MacParseTest, RejectsNonHexGroup)
{
    EXPECT_FALSE(parse_mac("00:16:3e:zz:00:01"));
}

TEST(MacParseTest, RejectsRunTogetherDigitsBecauseTheGroupIsTooLarge)
{
    EXPECT_FALSE(parse_mac("00163e000001"));
}

TEST(MacParseGroupsTest, KeepsGroupsReadBeforeABadOne)
{
    MacAddress mac = mac_of({9, 9, 9, 9, 9, 9});
    EXPECT_EQ(detail::parse_mac_groups("aa:bb:zz", mac), 2u);
    EXPECT_EQ(mac, mac_of({0xaa, 0xbb, 9, 9, 9, 9}));
}

TEST(MacGenerateTest, BuildsXenOuiAddressFromRandomBytes)
{
    const std::array<std::uint8_t, 3> random{0xff, 0x12, 0x34};
    EXPECT_EQ(generate_xen_mac(random), mac_of({0x00, 0x16, 0x3e, 0x7f, 0x12, 0x34}));
}

TEST(MacGenerateTest, RandomAddressesHaveXenPrefixAndUnicastGlobalBits)
{
    for (int i = 0; i < 64; ++i) {
        const MacAddress mac = generate_xen_mac();
        EXPECT_EQ(mac.bytes[0], 0x00);
        EXPECT_EQ(mac.bytes[1], 0x16);
        EXPECT_EQ(mac.bytes[2], 0x3e);
        EXPECT_EQ(mac.bytes[0] & 0x01, 0) << "multicast bit";
        EXPECT_EQ(mac.bytes[0] & 0x02, 0) << "locally-administered bit";
        EXPECT_LT(mac.bytes[3], 0x80);
    }
}

TEST(MacGenerateTest, RandomAddressesDiffer)
{
    std::set<std::string> seen;
    for (int i = 0; i < 16; ++i)
        seen.insert(generate_xen_mac().to_string());
    EXPECT_GT(seen.size(), 1u);
}

TEST(MacHostSideTest, ReplacesFirstByteWithFe)
{
    const MacAddress guest = mac_of({0x00, 0x16, 0x3e, 0x12, 0x34, 0x56});
    const MacAddress host = host_side_mac(guest);
    EXPECT_EQ(host, mac_of({0xfe, 0x16, 0x3e, 0x12, 0x34, 0x56}));
    EXPECT_NE(host.bytes[0] & 0x02, 0) << "locally administered";
    EXPECT_EQ(host.bytes[0] & 0x01, 0) << "unicast";
}

}  // namespace
}  // namespace uxl
