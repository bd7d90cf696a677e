// vdev name ↔ device number, checked against libxl's libxl__device_disk_dev_number and
// libxl__devid_to_vdev (reference §3.2).
#include "uxl/vdev.h"

#include <gtest/gtest.h>

#include <climits>
#include <optional>
#include <ostream>
#include <string>

namespace uxl {
namespace {

struct NamedNumber {
    const char* vdev;
    int number;
};

void PrintTo(const NamedNumber& n, std::ostream* out)
{
    *out << n.vdev << " = " << n.number;
}

class VdevReferenceExample : public ::testing::TestWithParam<NamedNumber> {};

TEST_P(VdevReferenceExample, MapsToLibxlNumber)
{
    EXPECT_EQ(vdev_to_number(GetParam().vdev), GetParam().number) << GetParam().vdev;
}

INSTANTIATE_TEST_SUITE_P(VdevTable, VdevReferenceExample,
                         ::testing::Values(NamedNumber{"xvda", 51712}, NamedNumber{"xvda1", 51713},
                                           NamedNumber{"xvdb", 51728},
                                           NamedNumber{"xvdq", (1 << 28) | (16 << 8)},
                                           NamedNumber{"hda", 768}, NamedNumber{"hdb", 832},
                                           NamedNumber{"hdc", 5632}, NamedNumber{"sda", 2048},
                                           NamedNumber{"d0p1", 51713}, NamedNumber{"0x301", 769}));

TEST(Vdev, XvdPartitionAboveFifteenUsesExtendedNumber)
{
    EXPECT_EQ(vdev_to_number("xvda16"), (1 << 28) | 16);
    EXPECT_EQ(vdev_to_number("xvdp15"), (202 << 8) | (15 << 4) | 15);
}

TEST(Vdev, XvdTwoLetterNamesAreBijectiveBase26)
{
    EXPECT_EQ(vdev_to_number("xvdz"), (1 << 28) | (25 << 8));
    EXPECT_EQ(vdev_to_number("xvdaa"), (1 << 28) | (26 << 8));
    EXPECT_EQ(vdev_to_number("xvdab3"), (1 << 28) | (27 << 8) | 3);
}

TEST(Vdev, XvdPartitionLimitIs255)
{
    EXPECT_EQ(vdev_to_number("xvda255"), (1 << 28) | 255);
    EXPECT_EQ(vdev_to_number("xvda256"), std::nullopt);
}

TEST(Vdev, XvdDiskLimitIsTwoToTheTwentyMinusOne)
{
    const int last = (1 << 20) - 1;
    const std::string last_name = number_to_vdev((1 << 28) | (last << 8));
    EXPECT_EQ(vdev_to_number(last_name), (1 << 28) | (last << 8));
    // One past the last disk: "xvd" + the letters of index 2^20.
    EXPECT_EQ(vdev_to_number("xvdbgqcw"), std::nullopt);
}

TEST(Vdev, PartitionWithLeadingZeroIsRejected)
{
    EXPECT_EQ(vdev_to_number("xvda01"), std::nullopt);
    EXPECT_EQ(vdev_to_number("xvda0"), std::nullopt);
}

TEST(Vdev, TrailingGarbageIsRejected)
{
    EXPECT_EQ(vdev_to_number("xvda1x"), std::nullopt);
    EXPECT_EQ(vdev_to_number("xvdA"), std::nullopt);
    EXPECT_EQ(vdev_to_number("foo"), std::nullopt);
    EXPECT_EQ(vdev_to_number("d1p1 "), std::nullopt);
}

TEST(Vdev, DiskPartitionFormLimits)
{
    EXPECT_EQ(vdev_to_number("d1048575p255"), (1 << 28) | (1048575 << 8) | 255);
    EXPECT_EQ(vdev_to_number("d1048576p0"), std::nullopt);
    EXPECT_EQ(vdev_to_number("d0p256"), std::nullopt);
    EXPECT_EQ(vdev_to_number("d16p0"), (1 << 28) | (16 << 8));
}

TEST(Vdev, DiskPartitionFormReadsNumbersLikeScanfPercentI)
{
    EXPECT_EQ(vdev_to_number("d0x1p0x1"), (202 << 8) | (1 << 4) | 1);
    EXPECT_EQ(vdev_to_number("d010p1"), (202 << 8) | (8 << 4) | 1);
    EXPECT_EQ(vdev_to_number("d 1p 2"), (202 << 8) | (1 << 4) | 2);
    EXPECT_EQ(vdev_to_number("dp1"), std::nullopt);
}

TEST(Vdev, PlainNumberIsUsedVerbatim)
{
    EXPECT_EQ(vdev_to_number("51712"), 51712);
    EXPECT_EQ(vdev_to_number("0301"), 0301);
    EXPECT_EQ(vdev_to_number("2147483647"), INT_MAX);
}

TEST(Vdev, PlainNumberAboveIntMaxIsRejected)
{
    EXPECT_EQ(vdev_to_number("2147483648"), std::nullopt);
    EXPECT_EQ(vdev_to_number("99999999999999999999999"), std::nullopt);
    EXPECT_EQ(vdev_to_number("-1"), std::nullopt);
}

TEST(Vdev, BadOctalOrHexDigitsAreRejected)
{
    EXPECT_EQ(vdev_to_number("0778"), std::nullopt);
    EXPECT_EQ(vdev_to_number("0x"), std::nullopt);
    EXPECT_EQ(vdev_to_number("0xg"), std::nullopt);
}

TEST(Vdev, HdLimitsAreFourDisksSixtyFourPartitions)
{
    EXPECT_EQ(vdev_to_number("hdd"), (22 << 8) | (1 << 6));
    EXPECT_EQ(vdev_to_number("hda63"), 768 + 63);
    EXPECT_EQ(vdev_to_number("hda64"), std::nullopt);
    EXPECT_EQ(vdev_to_number("hde"), std::nullopt);
}

TEST(Vdev, SdLimitsAreSixteenDisksSixteenPartitions)
{
    EXPECT_EQ(vdev_to_number("sdp15"), (8 << 8) | (15 << 4) | 15);
    EXPECT_EQ(vdev_to_number("sdq"), std::nullopt);
    EXPECT_EQ(vdev_to_number("sda16"), std::nullopt);
}

// libxl quirks kept on purpose: the number goes to xenstore, so it must agree with libxl.
TEST(Vdev, EmptyNameIsDeviceZeroAsInLibxl)
{
    EXPECT_EQ(vdev_to_number(""), 0);
}

TEST(Vdev, BareHdIsHdbAsInLibxl)
{
    EXPECT_EQ(vdev_to_number("hd"), 832);
}

TEST(Vdev, PartitionAcceptsStrtoulSignAndBlanksAsInLibxl)
{
    EXPECT_EQ(vdev_to_number("xvda+1"), 51713);
    EXPECT_EQ(vdev_to_number("xvda 1"), 51713);
}

// Deliberate difference: libxl computes a negative number for these and only treats -1
// as invalid.
TEST(Vdev, NamesGivingNegativeNumbersInLibxlAreRejected)
{
    EXPECT_EQ(vdev_to_number("xvd"), std::nullopt);
    EXPECT_EQ(vdev_to_number("xvd1"), std::nullopt);
    EXPECT_EQ(vdev_to_number("sd"), std::nullopt);
    EXPECT_EQ(vdev_to_number("d-1p1"), std::nullopt);
    EXPECT_EQ(vdev_to_number("xvda-1"), std::nullopt);
}

TEST(Vdev, EmbeddedNulEndsTheName)
{
    using namespace std::string_literals;
    EXPECT_EQ(vdev_to_number("xvda\0junk"s), 51712);
}

TEST(VdevName, OfStandardNumbers)
{
    EXPECT_EQ(number_to_vdev(51712), "xvda");
    EXPECT_EQ(number_to_vdev(51713), "xvda1");
    EXPECT_EQ(number_to_vdev(51728), "xvdb");
    EXPECT_EQ(number_to_vdev((202 << 8) | 255), "xvdp15");
}

TEST(VdevName, OfExtendedNumbers)
{
    EXPECT_EQ(number_to_vdev((1 << 28) | (16 << 8)), "xvdq");
    EXPECT_EQ(number_to_vdev((1 << 28) | (26 << 8)), "xvdaa");
    EXPECT_EQ(number_to_vdev((1 << 28) | (27 << 8) | 3), "xvdab3");
    EXPECT_EQ(number_to_vdev((1 << 28) | 200), "xvda200");
}

TEST(VdevName, OfEmulatedNumbersUsesTheLowByteAsInLibxl)
{
    EXPECT_EQ(number_to_vdev(768), "xvda");   // hda
    EXPECT_EQ(number_to_vdev(832), "xvde");   // hdb: minor 64 = disk 4
    EXPECT_EQ(number_to_vdev(2049), "xvda1"); // sda1
}

TEST(VdevName, RoundTripsThroughVdevToNumber)
{
    for (int disk : {0, 1, 15, 16, 25, 26, 27, 701, 702, 18277, 18278, (1 << 20) - 1}) {
        for (int partition : {0, 1, 15, 16, 255}) {
            const int number = disk <= 15 && partition <= 15
                                   ? (202 << 8) | (disk << 4) | partition
                                   : (1 << 28) | (disk << 8) | partition;
            const std::string name = number_to_vdev(number);
            EXPECT_EQ(vdev_to_number(name), number) << name;
        }
    }
}

}  // namespace
}  // namespace uxl
