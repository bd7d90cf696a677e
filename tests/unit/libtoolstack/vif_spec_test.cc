#include "uxl/vif_spec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uxl {
namespace {

// What `xl -N network-attach 0 ARGS` does with its arguments: exit status and stdout.
struct DryRun {
    int rc = 0;
    std::string out;
};

DryRun network_attach_dry_run(const std::vector<std::string>& args)
{
    VifParseOptions options;
    options.source = "command line";
    options.devid = -1;
    options.mode = VifParseOptions::Mode::command_line;
    const auto nic = parse_vif_tokens(args, options);
    if (!nic)
        return {1, ""};
    return {0, "vif: " + vif_spec_to_yajl(*nic) + "\n"};
}

VifParseOptions config_options(std::vector<std::string>* warnings = nullptr, int devid = 0)
{
    VifParseOptions options;
    options.source = "guest.cfg";
    options.devid = devid;
    options.mode = VifParseOptions::Mode::config_file;
    options.warnings = warnings;
    return options;
}

VifParseOptions command_line_options(std::vector<std::string>* warnings = nullptr)
{
    VifParseOptions options;
    options.source = "command line";
    options.devid = -1;
    options.mode = VifParseOptions::Mode::command_line;
    options.warnings = warnings;
    return options;
}

std::string rate_json(std::uint64_t bytes, std::uint32_t usecs)
{
    return "vif: {\n    \"rate_bytes_per_interval\": " + std::to_string(bytes) +
           ",\n    \"rate_interval_usecs\": " + std::to_string(usecs) + "\n}\n\n";
}

// ---- Every case of tools/xl/check-xl-vif-parse ------------------------------------------

struct CheckXlCase {
    std::string arg;
    int rc;
    std::string expected;  // stdout; empty when the command fails
};

const std::vector<CheckXlCase>& check_xl_vif_parse_cases()
{
    static const std::vector<CheckXlCase> cases = {
        // test invalid vif config
        {"foo", 1, ""},
        // test invalid rate units
        {"rate=foo", 1, ""},
        {"rate=foo", 1, ""},
        {"rate=10MB", 1, ""},
        {"rate=10MB/m", 1, ""},
        {"rate=10ZB", 1, ""},
        {"rate=10ZB/s", 1, ""},
        {"rate=10ZB/m", 1, ""},
        // test b/s and B/s rate units
        {"rate=16000000b/s", 0, rate_json(100000, 50000)},
        {"rate=16000000b/s@50ms", 0, rate_json(100000, 50000)},
        {"rate=2000000B/s", 0, rate_json(100000, 50000)},
        {"rate=2000000B/s@50ms", 0, rate_json(100000, 50000)},
        // test Kb/s and KB/s rate units
        {"rate=16Kb/s", 0, rate_json(100, 50000)},
        {"rate=16Kb/s@50ms", 0, rate_json(100, 50000)},
        {"rate=2KB/s", 0, rate_json(100, 50000)},
        {"rate=2KB/s@50ms", 0, rate_json(100, 50000)},
        // test Mb/s and MB/s rate units
        {"rate=16Mb/s", 0, rate_json(100000, 50000)},
        {"rate=16Mb/s@50ms", 0, rate_json(100000, 50000)},
        {"rate=2MB/s", 0, rate_json(100000, 50000)},
        {"rate=2MB/s@50ms", 0, rate_json(100000, 50000)},
        // test Gb/s and GB/s rate units
        {"rate=8Gb/s", 0, rate_json(50000000, 50000)},
        {"rate=8Gb/s@50ms", 0, rate_json(50000000, 50000)},
        {"rate=1GB/s", 0, rate_json(50000000, 50000)},
        {"rate=1GB/s@50ms", 0, rate_json(50000000, 50000)},
        // test rate overflow
        {"rate=4294967296b/s", 1, ""},
        {"rate=4294967296Kb/s", 1, ""},
        {"rate=4294967296Mb/s", 1, ""},
        {"rate=4294967296Gb/s", 1, ""},
        // test rate underflow
        {"rate=0B/s", 1, ""},
        // test invalid replenishment interval
        {"rate=10Mb/s@foo", 1, ""},
        {"rate=10Mb/s@10h", 1, ""},
        {"rate=10MB/s@foo", 1, ""},
        {"rate=10MB/s@10h", 1, ""},
        // test replenishment interval in seconds
        {"rate=80Mb/s@1s", 0, rate_json(10000000, 1000000)},
        {"rate=10MB/s@1s", 0, rate_json(10000000, 1000000)},
        // test replenishment interval overflow
        {"rate=1B/s@4294967296us", 1, ""},
        {"rate=1B/s@4294968ms", 1, ""},
        {"rate=1B/s@4295s", 1, ""},
        // test replenishment interval underflow
        {"rate=1B/s@0us", 1, ""},
        // test rate limiting resulting in overflow
        {"rate=4294967295GB/s@5us", 1, ""},
        {"rate=4296MB/s@4294s", 1, ""},
        // test include of single '@'
        {"rate=@", 1, ""},
        // test trusted setting
        {"trusted", 0, "vif: {\n    \"trusted\": \"True\"\n}\n\n"},
        // test untrusted setting
        {"untrusted", 0, "vif: {\n    \"trusted\": \"False\"\n}\n\n"},
    };
    return cases;
}

class VifCheckXlVifParse : public testing::TestWithParam<std::size_t> {};

TEST_P(VifCheckXlVifParse, NetworkAttachDryRunMatchesXl)
{
    const CheckXlCase& c = check_xl_vif_parse_cases()[GetParam()];
    const DryRun run = network_attach_dry_run({c.arg});
    EXPECT_EQ(run.rc, c.rc) << c.arg;
    EXPECT_EQ(run.out, c.expected) << c.arg;
}

std::string case_name(const testing::TestParamInfo<std::size_t>& info)
{
    std::string name = std::to_string(info.param) + "_";
    for (char c : check_xl_vif_parse_cases()[info.param].arg)
        name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(Vif, VifCheckXlVifParse,
                         testing::Range<std::size_t>(0, check_xl_vif_parse_cases().size()),
                         case_name);

// ---- Rate units, limits and messages ----------------------------------------------------

Result<VifSpec> parse_rate_token(const std::string& rate)
{
    return parse_vif_tokens(std::vector<std::string>{"rate=" + rate}, command_line_options());
}

TEST(VifRateTest, InvalidRateMessageIsXlsWithSourceAndRatePart)
{
    const auto nic = parse_rate_token("10MB@1s");
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message, "command line: config parsing error in vif: invalid rate in `10MB'");
}

TEST(VifRateTest, RateAboveUint32IsRateOverflow)
{
    const auto nic = parse_rate_token("4294967296b/s");
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message,
              "command line: config parsing error in vif: rate overflow in `4294967296b/s'");
}

TEST(VifRateTest, ZeroRateIsRateOverflow)
{
    const auto nic = parse_rate_token("0B/s");
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message, "command line: config parsing error in vif: rate overflow in `0B/s'");
}

TEST(VifRateTest, MissingRateBeforeAtSignNamesWholeValue)
{
    const auto nic = parse_rate_token("@50ms");
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message,
              "command line: config parsing error in vif: no rate specified in `@50ms'");
}

TEST(VifRateTest, BadIntervalMessageNamesIntervalPart)
{
    const auto nic = parse_rate_token("10Mb/s@10h");
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message,
              "command line: config parsing error in vif: invalid replenishment interval in `10h'");
}

TEST(VifRateTest, EmptyIntervalAfterAtSignIsInvalid)
{
    const auto nic = parse_rate_token("10Mb/s@");
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message,
              "command line: config parsing error in vif: invalid replenishment interval in `'");
}

TEST(VifRateTest, IntervalOverflowMessageNamesIntervalPart)
{
    const auto nic = parse_rate_token("1B/s@4295s");
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message,
              "command line: config parsing error in vif: replenishment interval overflow in `4295s'");
}

TEST(VifRateTest, ProductOverflowMessageNamesWholeRate)
{
    const auto nic = parse_rate_token("4294967295GB/s@5us");
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message, "command line: config parsing error in vif: rate overflow in "
                                   "`4294967295GB/s@5us'");
}

TEST(VifRateTest, BareIntervalIsSeconds)
{
    const auto nic = parse_rate_token("1MB/s@2");
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->rate_interval_usecs, 2000000u);
    EXPECT_EQ(nic->rate_bytes_per_interval, 2000000u);
}

TEST(VifRateTest, MilliWithoutSecondsSuffixIsMilliseconds)
{
    const auto nic = parse_rate_token("1MB/s@20m");
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->rate_interval_usecs, 20000u);
    EXPECT_EQ(nic->rate_bytes_per_interval, 20000u);
}

TEST(VifRateTest, MicrosecondInterval)
{
    const auto nic = parse_rate_token("1MB/s@500us");
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->rate_interval_usecs, 500u);
    EXPECT_EQ(nic->rate_bytes_per_interval, 500u);
}

TEST(VifRateTest, LeadingZeroMakesRateOctalAsStrtoullDoes)
{
    const auto nic = parse_rate_token("0100B/s@1s");
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->rate_bytes_per_interval, 64u);
}

TEST(VifRateTest, RateErrorIsFatalInConfigFileWithFileAsSource)
{
    std::vector<std::string> warnings;
    const auto nic = parse_vif_spec("bridge=br0,rate=10ZB/s", config_options(&warnings));
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message, "guest.cfg: config parsing error in vif: invalid rate in `10ZB/s'");
}

TEST(VifRateTest, LaterRateReplacesEarlierOne)
{
    const auto nic = parse_vif_spec("rate=1MB/s,rate=2MB/s@1s", config_options());
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->rate_bytes_per_interval, 2000000u);
    EXPECT_EQ(nic->rate_interval_usecs, 1000000u);
}

// ---- Splitting a config-file entry --------------------------------------------------------

TEST(VifSpecSplitTest, LeadingSpaceAfterCommaIsStripped)
{
    std::vector<std::string> warnings;
    const auto nic = parse_vif_spec("mac=aa:00:00:50:02:f0, bridge=bridge0", config_options(&warnings));
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->mac.to_string(), "aa:00:00:50:02:f0");
    EXPECT_EQ(nic->bridge, "bridge0");
    EXPECT_TRUE(warnings.empty());
}

TEST(VifSpecSplitTest, TrailingBlanksAreKept)
{
    const auto nic = parse_vif_spec("bridge=br0 ,ip=10.0.0.1", config_options());
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->bridge, "br0 ");
}

TEST(VifSpecSplitTest, EmptyTokensAreSkipped)
{
    std::vector<std::string> warnings;
    const auto nic = parse_vif_spec(",,bridge=br0,,", config_options(&warnings));
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->bridge, "br0");
    EXPECT_TRUE(warnings.empty());
}

TEST(VifSpecSplitTest, EmptySpecGivesDefaultsWithListIndexAsDevid)
{
    const auto nic = parse_vif_spec("", config_options(nullptr, 2));
    ASSERT_TRUE(nic);
    VifSpec expected;
    expected.devid = 2;
    EXPECT_EQ(*nic, expected);
}

TEST(VifSpecSplitTest, TokenOfSpacesBecomesUnrecognizedEmptyArgument)
{
    std::vector<std::string> warnings;
    ASSERT_TRUE(parse_vif_spec("bridge=br0,  ", config_options(&warnings)));
    EXPECT_EQ(warnings, std::vector<std::string>{"unrecognized argument `'"});
}

TEST(VifSpecSplitTest, TabsAreNotStripped)
{
    std::vector<std::string> warnings;
    ASSERT_TRUE(parse_vif_spec("\tbridge=br0", config_options(&warnings)));
    EXPECT_EQ(warnings, std::vector<std::string>{"unrecognized argument `\tbridge=br0'"});
}

// ---- Rejected tokens in the two modes ----------------------------------------------------

TEST(VifUnknownTokenTest, ConfigFileWarnsAndAppliesTheRest)
{
    std::vector<std::string> warnings;
    const auto nic = parse_vif_spec("foo=bar,bridge=br1", config_options(&warnings));
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->bridge, "br1");
    EXPECT_EQ(warnings, std::vector<std::string>{"unrecognized argument `foo=bar'"});
}

TEST(VifUnknownTokenTest, CommandLineFailsWithXlMessage)
{
    std::vector<std::string> warnings;
    const auto nic = parse_vif_tokens(std::vector<std::string>{"bridge=br1", "foo=bar"},
                                      command_line_options(&warnings));
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().code, Errc::invalid_argument);
    EXPECT_EQ(nic.error().message, "unrecognized argument `foo=bar'");
}

TEST(VifUnknownTokenTest, KeysMatchCaseSensitively)
{
    EXPECT_FALSE(parse_vif_tokens(std::vector<std::string>{"Bridge=br0"}, command_line_options()));
}

TEST(VifUnknownTokenTest, FlagWithValueIsUnrecognized)
{
    EXPECT_FALSE(parse_vif_tokens(std::vector<std::string>{"trusted=1"}, command_line_options()));
}

TEST(VifMacTokenTest, InvalidMacWarnsInConfigFileAndKeepsGroupsRead)
{
    std::vector<std::string> warnings;
    const auto nic = parse_vif_spec("mac=00:16:3e:zz", config_options(&warnings));
    ASSERT_TRUE(nic);
    EXPECT_EQ(warnings, std::vector<std::string>{"Invalid parameter `mac'."});
    EXPECT_EQ(nic->mac.to_string(), "00:16:3e:00:00:00");
}

TEST(VifMacTokenTest, InvalidMacFailsOnCommandLine)
{
    const auto nic = parse_vif_tokens(std::vector<std::string>{"mac=00:16"}, command_line_options());
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message, "Invalid parameter `mac'.");
}

TEST(VifTypeTokenTest, InvalidTypeWarnsInConfigFile)
{
    std::vector<std::string> warnings;
    const auto nic = parse_vif_spec("type=tap", config_options(&warnings));
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->nictype, NicType::unknown);
    EXPECT_EQ(warnings, std::vector<std::string>{"Invalid parameter `type'."});
}

TEST(VifTypeTokenTest, IoemuAndVifSetNicType)
{
    EXPECT_EQ(parse_vif_spec("type=ioemu", config_options())->nictype, NicType::vif_ioemu);
    EXPECT_EQ(parse_vif_spec("type=vif", config_options())->nictype, NicType::vif);
}

// ---- Numbers -----------------------------------------------------------------------------

TEST(VifNumberTest, UnreadableMtuIsFatalInConfigFile)
{
    const auto nic = parse_vif_spec("mtu=abc", config_options());
    ASSERT_FALSE(nic);
    EXPECT_EQ(nic.error().message, "xl: failed to convert \"abc\" to number");
}

TEST(VifNumberTest, TextAfterDigitsIsIgnored)
{
    const auto nic = parse_vif_spec("mtu=9000bytes", config_options());
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->mtu, 9000);
}

TEST(VifNumberTest, DevidTokenOverridesListIndex)
{
    const auto nic = parse_vif_spec("devid=7", config_options(nullptr, 1));
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->devid, 7);
}

TEST(VifNumberTest, NegativeDevidIsFatalLikeUlongMax)
{
    EXPECT_FALSE(parse_vif_spec("devid=-1", config_options()));
}

// ---- Other keys --------------------------------------------------------------------------

TEST(VifKeyTest, NetdevSetsGatewaydevWithDeprecationWarning)
{
    std::vector<std::string> warnings;
    const auto nic = parse_vif_spec("netdev=eth0", config_options(&warnings));
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->gatewaydev, "eth0");
    EXPECT_EQ(warnings, std::vector<std::string>{
                            "the netdev parameter is deprecated, please use gatewaydev instead"});
}

TEST(VifKeyTest, AccelIsIgnoredWithWarningEvenOnCommandLine)
{
    std::vector<std::string> warnings;
    const auto nic = parse_vif_tokens(std::vector<std::string>{"accel=x"}, command_line_options(&warnings));
    ASSERT_TRUE(nic);
    EXPECT_EQ(warnings,
              std::vector<std::string>{"the accel parameter for vifs is currently not supported"});
}

TEST(VifKeyTest, ForwarddevSetsColoftForwarddev)
{
    const auto nic = parse_vif_spec("forwarddev=eth1", config_options());
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->colo.at("coloft_forwarddev"), "eth1");
}

TEST(VifKeyTest, LastTrustFlagWins)
{
    EXPECT_EQ(parse_vif_spec("trusted,untrusted", config_options())->trusted, false);
}

TEST(VifKeyTest, EmptyValueSetsEmptyStringNotUnset)
{
    const auto nic = parse_vif_spec("bridge=", config_options());
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->bridge, std::optional<std::string>(""));
}

TEST(VifKeyTest, StringKeysMapToLibxlFields)
{
    const auto nic = parse_vif_spec(
        "bridge=br0,ip=10.0.0.2 10.0.0.3,script=vif-route,backend=drv,vifname=web0,"
        "model=e1000,gatewaydev=eth0,vlan=10p/20",
        config_options());
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->bridge, "br0");
    EXPECT_EQ(nic->ip, "10.0.0.2 10.0.0.3");
    EXPECT_EQ(nic->script, "vif-route");
    EXPECT_EQ(nic->backend_domname, "drv");
    EXPECT_EQ(nic->ifname, "web0");
    EXPECT_EQ(nic->model, "e1000");
    EXPECT_EQ(nic->gatewaydev, "eth0");
    EXPECT_EQ(nic->vlan, "10p/20");
}

// ---- JSON --------------------------------------------------------------------------------

TEST(VifJsonTest, KeysFollowLibxlIdlOrder)
{
    const auto nic = parse_vif_spec(
        "untrusted,colo_sock_mirror_id=m,forwarddev=f,gatewaydev=g,rate=1MB/s,type=vif,"
        "script=s,vifname=v,bridge=b,ip=i,mac=00:16:3e:01:02:03,model=e1000,vlan=10,mtu=9000,"
        "backend=d",
        config_options(nullptr, 0));
    ASSERT_TRUE(nic);
    EXPECT_EQ(vif_spec_to_yajl(*nic),
              "{\n"
              "    \"backend_domname\": \"d\",\n"
              "    \"devid\": 0,\n"
              "    \"mtu\": 9000,\n"
              "    \"vlan\": \"10\",\n"
              "    \"model\": \"e1000\",\n"
              "    \"mac\": \"00:16:3e:01:02:03\",\n"
              "    \"ip\": \"i\",\n"
              "    \"bridge\": \"b\",\n"
              "    \"ifname\": \"v\",\n"
              "    \"script\": \"s\",\n"
              "    \"nictype\": \"vif\",\n"
              "    \"rate_bytes_per_interval\": 50000,\n"
              "    \"rate_interval_usecs\": 50000,\n"
              "    \"gatewaydev\": \"g\",\n"
              "    \"coloft_forwarddev\": \"f\",\n"
              "    \"colo_sock_mirror_id\": \"m\",\n"
              "    \"trusted\": \"False\"\n"
              "}\n");
}

TEST(VifJsonTest, EmptyStringIsPrinted)
{
    const auto nic = parse_vif_tokens(std::vector<std::string>{"bridge="}, command_line_options());
    ASSERT_TRUE(nic);
    EXPECT_EQ(vif_spec_to_yajl(*nic), "{\n    \"bridge\": \"\"\n}\n");
}

TEST(VifJsonTest, IoemuPrintsLibxlEnumName)
{
    const auto nic = parse_vif_tokens(std::vector<std::string>{"type=ioemu"}, command_line_options());
    ASSERT_TRUE(nic);
    EXPECT_EQ(vif_spec_to_yajl(*nic), "{\n    \"nictype\": \"vif_ioemu\"\n}\n");
}

}  // namespace
}  // namespace uxl
