// xl's list, list -l, uptime, info and device-list layouts, byte for byte, and the scripts that parse
// them: NetBSD's xendomains (awk $1/$5), osstest's row regex, Linux xendomains' greps.
#include "list_format.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace uxl::cli {
namespace {

using protocol::DomainInfo;
using protocol::ShutdownReason;

const std::string k_header = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n";

DomainInfo domain0()
{
    DomainInfo d;
    d.domid = 0;
    d.name = "Domain-0";
    d.uuid = "00000000-0000-0000-0000-000000000000";
    d.backend = "host";
    d.running = true;
    d.memory_kb = 750 * 1024;
    d.vcpus = 4;
    d.cpu_seconds = 11794.3;
    return d;
}

DomainInfo guest(int domid, std::string name)
{
    DomainInfo d;
    d.domid = domid;
    d.name = std::move(name);
    d.uuid = "5c3f2a1e-0b7d-4c2e-9f00-" + std::string("00000000000") + std::to_string(domid);
    d.backend = "uml";
    d.blocked = true;
    d.memory_kb = 128 * 1024;
    d.vcpus = 1;
    d.cpu_seconds = 1.26;
    return d;
}

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

TEST(FormatList, HeaderHasXlsSpacesAndTabs)
{
    EXPECT_EQ(format_list({}, {}), k_header);
}

TEST(FormatList, Domain0RowMatchesTheManPageExample)
{
    EXPECT_EQ(format_list({domain0()}, {}),
              k_header + "Domain-0                                     0   750     4     r-----   11794.3\n");
}

TEST(FormatList, GuestRowUsesMiBAndOneDecimalOfCpuTime)
{
    DomainInfo d = guest(3, "web");
    d.memory_kb = 131072 + 1023;  // xl truncates to whole MiB
    EXPECT_EQ(format_list({d}, {}),
              k_header + "web                                          3   128     1     -b----       1.3\n");
}

TEST(FormatList, StateLettersFollowXl)
{
    DomainInfo d = guest(1, "g");
    d.blocked = false;
    d.paused = true;
    EXPECT_EQ(state_letters(d), "--p---");

    d.paused = false;
    d.shutdown = true;
    d.reason = ShutdownReason::poweroff;
    EXPECT_EQ(state_letters(d), "---s--");
    d.reason = ShutdownReason::crash;
    EXPECT_EQ(state_letters(d), "---sc-");
    d.reason = ShutdownReason::reboot;
    EXPECT_EQ(state_letters(d), "---sr-");
    d.reason = ShutdownReason::watchdog;
    EXPECT_EQ(state_letters(d), "---sw-");
    d.reason = ShutdownReason::soft_reset;
    EXPECT_EQ(state_letters(d), "---sS-");

    DomainInfo zombie = guest(2, "z");
    zombie.dying = true;
    EXPECT_EQ(state_letters(zombie), "-b---d");
}

TEST(FormatList, ReasonLetterOnlyWhenShutDown)
{
    DomainInfo d = guest(1, "g");
    d.reason = ShutdownReason::crash;  // stale reason, not shut down
    EXPECT_EQ(state_letters(d), "-b----");
}

TEST(FormatList, VerboseAddsUuidReasonAndLabel)
{
    DomainInfo running = guest(3, "web");
    DomainInfo crashed = guest(4, "db");
    crashed.blocked = false;
    crashed.shutdown = true;
    crashed.reason = ShutdownReason::crash;
    ListOptions options;
    options.verbose = true;
    EXPECT_EQ(format_list({running, crashed}, options),
              "Name                                        ID   Mem VCPUs\tState\tTime(s)"
              "   UUID                            Reason-Code\tSecurity Label\n"
              "web                                          3   128     1     -b----       1.3"
              " 5c3f2a1e-0b7d-4c2e-9f00-000000000003        -                -\n"
              "db                                           4   128     1     ---sc-       1.3"
              " 5c3f2a1e-0b7d-4c2e-9f00-000000000004        3                -\n");
}

TEST(FormatList, ContextAloneAddsTheLabelColumn)
{
    ListOptions options;
    options.context = true;
    EXPECT_EQ(format_list({guest(3, "web")}, options),
              "Name                                        ID   Mem VCPUs\tState\tTime(s)   Security Label\n"
              "web                                          3   128     1     -b----       1.3                -\n");
}

// NetBSD rc.d/xendomains: xl list | awk '(FNR <= 2) { next } ($5 !~ /s/) { s = s " " $1 } ...'
std::string netbsd_xendomains_list(const std::string& output)
{
    std::string names;
    int line_number = 0;
    for (const std::string& line : lines_of(output)) {
        if (++line_number <= 2)
            continue;
        std::istringstream fields(line);
        std::vector<std::string> f;
        for (std::string w; fields >> w;)
            f.push_back(w);
        if (f.size() >= 5 && f[4].find('s') == std::string::npos)
            names += (names.empty() ? "" : " ") + f[0];
    }
    return names;
}

TEST(FormatList, NetBsdXendomainsAwkFindsLiveGuests)
{
    DomainInfo off = guest(5, "old");
    off.blocked = false;
    off.shutdown = true;
    off.reason = ShutdownReason::poweroff;
    DomainInfo paused = guest(6, "frozen");
    paused.blocked = false;
    paused.paused = true;
    const std::string out = format_list({domain0(), guest(3, "web"), guest(4, "db"), off, paused}, {});
    EXPECT_EQ(netbsd_xendomains_list(out), "web db frozen");
}

TEST(FormatList, OsstestRegexParsesEveryRow)
{
    // osstest: m/^(\S+) (?: \s+ \d+ ){3} \s+ ([-a-z]+) \s/x
    const std::regex row(R"(^(\S+)(?:\s+\d+){3}\s+([-a-z]+)\s)");
    DomainInfo crashed = guest(12, "a-very-long-domain-name-of-forty-chars-x");
    crashed.blocked = false;
    crashed.shutdown = true;
    crashed.reason = ShutdownReason::crash;
    const std::vector<DomainInfo> domains = {domain0(), guest(3, "web"), crashed};
    const auto lines = lines_of(format_list(domains, {}));
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_FALSE(std::regex_search(lines[0], row));  // the header is not a row
    for (std::size_t i = 0; i < domains.size(); ++i) {
        std::smatch m;
        ASSERT_TRUE(std::regex_search(lines[i + 1], m, row)) << lines[i + 1];
        EXPECT_EQ(m[1], domains[i].name);
        EXPECT_EQ(m[2], state_letters(domains[i]));
    }
}

TEST(ReindentYajl, CompactJsonGetsYajlLayout)
{
    auto text = reindent_yajl(R"({"a":1,"b":[true,null,"x, \"y\""],"c":{},"d":[],"e":{"f":-1.5e3}})");
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text,
              "{\n"
              "    \"a\": 1,\n"
              "    \"b\": [\n"
              "        true,\n"
              "        null,\n"
              "        \"x, \\\"y\\\"\"\n"
              "    ],\n"
              "    \"c\": {\n\n    },\n"
              "    \"d\": [\n\n    ],\n"
              "    \"e\": {\n"
              "        \"f\": -1.5e3\n"
              "    }\n"
              "}");
}

TEST(ReindentYajl, YajlTextIsUnchanged)
{
    const std::string yajl = "{\n    \"c_info\": {\n        \"type\": \"pv\",\n        \"name\": \"web\"\n    },\n"
                             "    \"on_reboot\": \"restart\"\n}";
    auto text = reindent_yajl(yajl + "\n");
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, yajl);
}

TEST(ReindentYajl, InvalidJsonIsAnError)
{
    EXPECT_FALSE(reindent_yajl("{\"a\": }"));
    EXPECT_FALSE(reindent_yajl("{\"a\": 1"));
    EXPECT_FALSE(reindent_yajl("{\"a\": 1} x"));
    EXPECT_FALSE(reindent_yajl("{\"a\": bogus}"));
}

TEST(FormatListLong, EmptyListIsYajlsEmptyArrayAndPutsNewline)
{
    auto text = format_list_long({});
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "[\n\n]\n\n");
}

TEST(FormatListLong, WrapsEachStoredConfigAsXlDoes)
{
    DomainInfo d0 = domain0();  // no stored config: skipped, as xl skips it
    DomainInfo web = guest(3, "web");
    web.config_json = R"({"c_info":{"type":"pv","name":"web","uuid":"5c3f2a1e-0b7d-4c2e-9f00-000000000003"},)"
                      R"("b_info":{"max_memkb":131072},"on_reboot":"restart"})";
    DomainInfo db = guest(4, "db");
    db.config_json = "{\n    \"c_info\": {\n        \"name\": \"db\"\n    }\n}\n";
    auto text = format_list_long({d0, web, db});
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text,
              "[\n"
              "    {\n"
              "        \"domid\": 3,\n"
              "        \"config\": {\n"
              "            \"c_info\": {\n"
              "                \"type\": \"pv\",\n"
              "                \"name\": \"web\",\n"
              "                \"uuid\": \"5c3f2a1e-0b7d-4c2e-9f00-000000000003\"\n"
              "            },\n"
              "            \"b_info\": {\n"
              "                \"max_memkb\": 131072\n"
              "            },\n"
              "            \"on_reboot\": \"restart\"\n"
              "        }\n"
              "    },\n"
              "    {\n"
              "        \"domid\": 4,\n"
              "        \"config\": {\n"
              "            \"c_info\": {\n"
              "                \"name\": \"db\"\n"
              "            }\n"
              "        }\n"
              "    }\n"
              "]\n\n");
}

TEST(FormatListLong, LinuxXendomainsParselnFindsIdsAndNames)
{
    // xendomains: grep '^    {$\|"name":\|^        "domid":', then per record
    // "name": "(.*)",  and  "domid": (.*),
    DomainInfo web = guest(3, "web");
    web.config_json = R"({"c_info":{"type":"pv","name":"web","uuid":"u"},"b_info":{}})";
    DomainInfo db = guest(7, "db");
    db.config_json = R"({"c_info":{"type":"pv","name":"db","uuid":"v"}})";
    auto text = format_list_long({web, db});
    ASSERT_TRUE(text);
    const std::regex record_start(R"(^    \{$)");
    const std::regex name_line(R"re("name": "(.*)",)re");
    const std::regex domid_line(R"(^        "domid": (.*),)");
    std::vector<std::pair<std::string, std::string>> found;
    for (const std::string& line : lines_of(*text)) {
        std::smatch m;
        if (std::regex_search(line, record_start))
            found.emplace_back();
        else if (std::regex_search(line, m, domid_line))
            found.back().first = m[1];
        else if (std::regex_search(line, m, name_line))
            found.back().second = m[1];
    }
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0], (std::pair<std::string, std::string>{"3", "web"}));
    EXPECT_EQ(found[1], (std::pair<std::string, std::string>{"7", "db"}));
}

TEST(FormatListLong, InvalidStoredConfigIsAnError)
{
    DomainInfo web = guest(3, "web");
    web.config_json = "{not json";
    EXPECT_FALSE(format_list_long({web}));
}

TEST(FormatVcpuList, XlsColumnsAndStateLetters)
{
    DomainInfo host = domain0();
    host.vcpu_list = {protocol::VcpuInfo{0, 0, true, true, false, 5897.15},
                      protocol::VcpuInfo{1, 1, true, false, true, 12.04}};
    DomainInfo web = guest(3, "web");
    web.vcpu_list = {protocol::VcpuInfo{0, 1, true, false, true, 1.26}};
    DomainInfo off = guest(4, "off");
    off.vcpu_list = {protocol::VcpuInfo{0, 0, false, false, false, 0}};
    EXPECT_EQ(vcpu_list_header(),
              "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)\n");
    EXPECT_EQ(format_vcpu_list({host, web, off}),
              "Domain-0                             0     0    0   r--    5897.1  all / all\n"
              "Domain-0                             0     1    1   -b-      12.0  all / all\n"
              "web                                  3     0    1   -b-       1.3  all / all\n"
              "off                                  4     0    -   --p       0.0  all / all\n");
}

TEST(FormatVmList, EveryDomainWithDomain0InXlsLayout)
{
    const std::string out = format_vm_list({domain0(), guest(3, "web"), guest(12, "db")});
    EXPECT_EQ(out,
              "UUID                                  ID    name\n"
              "00000000-0000-0000-0000-000000000000  0    Domain-0                      \n"
              "5c3f2a1e-0b7d-4c2e-9f00-000000000003  3    web                           \n"
              "5c3f2a1e-0b7d-4c2e-9f00-0000000000012  12    db                            \n");
}

TEST(UptimeToString, FollowsXlsThreeShapes)
{
    EXPECT_EQ(uptime_to_string(300, false), " 0:05:00");
    EXPECT_EQ(uptime_to_string(86400 + 3661, false), "1 day,  1:01:01");
    EXPECT_EQ(uptime_to_string(3 * 86400 + 11 * 3600 + 59 * 60 + 7, false), "3 days, 11:59:07");
    EXPECT_EQ(uptime_to_string(300, true), " 0:05");
    EXPECT_EQ(uptime_to_string(86400 + 3661, true), "1 day,  1:01");
    EXPECT_EQ(uptime_to_string(2 * 86400, true), "2 days,  0:00");
}

TEST(FormatUptime, TableWithDomain0FromHostUptime)
{
    DomainInfo web = guest(3, "web");
    web.started_at = 1'700'000'000 - 125;
    DomainInfo unknown = guest(4, "new");  // no start time yet: skipped, as xl does
    UptimeOptions options;
    options.now = 1'700'000'000;
    options.host_uptime = 86400 + 3661;
    EXPECT_EQ(format_uptime({domain0(), web, unknown}, options),
              "Name                                ID Uptime\n"
              "Domain-0                             0 1 day,  1:01:01\n"
              "web                                  3  0:02:05\n");
}

TEST(FormatUptime, ShortModeHasNoHeader)
{
    DomainInfo web = guest(3, "web");
    web.started_at = 1000;
    UptimeOptions options;
    options.short_mode = true;
    options.now = 1000 + 2 * 86400 + 3600 * 5 + 60 * 7 + 9;
    options.clock = "12:34:56";
    EXPECT_EQ(format_uptime({web}, options), " 12:34:56 up 2 days,  5:07, web (3)\n");
}

TEST(FormatInfo, KeysArePaddedToTwentyThree)
{
    const std::vector<std::pair<std::string, std::string>> info = {
        {"host", "box"}, {"nr_cpus", "2"}, {"free_memory", "1024"}, {"free_cpus", "0"},
        {"xend_config_format", "4"}};
    EXPECT_EQ(format_info(info),
              "host                   : box\n"
              "nr_cpus                : 2\n"
              "free_memory            : 1024\n"
              "free_cpus              : 0\n"
              "xend_config_format     : 4\n");
}

TEST(FormatInfo, PrefixPrintsOnlyMatchingValues)
{
    const std::vector<std::pair<std::string, std::string>> info = {
        {"host", "box"}, {"free_memory", "1024"}, {"free_cpus", "0"}};
    EXPECT_EQ(format_info(info, "free"), "1024\n0\n");
    EXPECT_EQ(format_info(info, "host"), "box\n");
    EXPECT_EQ(format_info(info, "nothing"), "");
}

// ---- Device lists ------------------------------------------------------------------

protocol::DeviceInfo disk(int devid, std::string backend, int state = 4)
{
    protocol::DeviceInfo d;
    d.kind = protocol::DeviceKind::disk;
    d.devid = devid;
    d.frontend_domid = 3;
    d.state = state;
    d.backend = std::move(backend);
    return d;
}

protocol::DeviceInfo nic(int devid, std::string mac, std::string backend)
{
    protocol::DeviceInfo d;
    d.kind = protocol::DeviceKind::nic;
    d.devid = devid;
    d.frontend_domid = 3;
    d.mac = std::move(mac);
    d.backend = std::move(backend);
    return d;
}

protocol::DeviceInfo pci(int vdevfn, std::string bdf)
{
    protocol::DeviceInfo d;
    d.kind = protocol::DeviceKind::pci;
    d.devid = vdevfn;
    d.bdf = std::move(bdf);
    return d;
}

TEST(FormatBlockList, HeaderIsXls)
{
    EXPECT_EQ(block_list_header(),
              "Vdev  BE  handle state evt-ch ring-ref BE-path                       \n");
}

TEST(FormatBlockList, RowsShowTheFrontendDomidAsHandleAndMinusOneForXenOnlyFields)
{
    EXPECT_EQ(format_block_list({disk(51712, "/srv/web.img"), disk(51728, "/dev/loop0", 5)}),
              "51712 0   3      4     -1     -1       /srv/web.img                  \n"
              "51728 0   3      5     -1     -1       /dev/loop0                    \n");
}

TEST(FormatBlockList, LongValuesWidenTheirColumn)
{
    const std::string path = "/var/lib/uxl/images/a-rather-long-disk-image-name.img";
    EXPECT_EQ(format_block_list({disk(268439552, path)}),
              "268439552 0   3      4     -1     -1       " + path + "\n");
}

TEST(FormatBlockList, NoDisksNoRows)
{
    EXPECT_EQ(format_block_list({}), "");
}

TEST(FormatNetworkList, HeaderIsXls)
{
    EXPECT_EQ(network_list_header(),
              "Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path                       \n");
}

TEST(FormatNetworkList, RowHasTheMacInLowerCaseAndMinusOneRings)
{
    EXPECT_EQ(format_network_list({nic(0, "00:16:3E:5A:01:02", "vif3.0"), nic(1, "00:16:3e:00:00:0a", "vif3.1")}),
              "0   0  00:16:3e:5a:01:02     0     4     -1    -1/-1          vif3.0                        \n"
              "1   0  00:16:3e:00:00:0a     1     4     -1    -1/-1          vif3.1                        \n");
}

TEST(FormatNetworkList, AMacThatDoesNotParseIsPrintedAsGivenInItsColumn)
{
    EXPECT_EQ(format_network_list({nic(2, "", "vif3.2")}),
              "2   0  " + std::string(17, ' ') + "     2     4     -1    -1/-1          vif3.2                        \n");
}

TEST(FormatPciList, NothingAtAllForNoDevices)
{
    EXPECT_EQ(format_pci_list({}), "");
}

TEST(FormatPciList, SlotAndFunctionComeFromTheVdevfn)
{
    // vslot 5 function 1 = vdevfn 0x29; vslot 0x1f = vdevfn 0xf8.
    EXPECT_EQ(format_pci_list({pci(0x29, "0000:36:00.1"), pci(0xf8, "0001:0a:1f.7")}),
              "Vdev Device\n"
              "05.1 0000:36:00.1\n"
              "1f.0 0001:0a:1f.7\n");
}

TEST(FormatPciList, ABdfWithoutDomainIsDomainZeroAndHexIsLowerCase)
{
    EXPECT_EQ(format_pci_list({pci(0x10, "3A:0B.2")}), "Vdev Device\n02.0 0000:3a:0b.2\n");
}

TEST(FormatPciList, ABdfThatDoesNotParseIsPrintedAsGiven)
{
    EXPECT_EQ(format_pci_list({pci(0x08, "somewhere")}), "Vdev Device\n01.0 somewhere\n");
}

// xl's sched_credit_domain_output() and the pool's line before the list of every domain.
TEST(FormatSchedCredit, XlsColumns)
{
    DomainInfo host;
    host.name = "Domain-0";
    DomainInfo web;
    web.domid = 3;
    web.name = "web";
    web.weight = 512;
    web.cap = 20;
    EXPECT_EQ(sched_credit_pool_line(), "Cpupool Pool-0: tslice=30ms ratelimit=1000us migration-delay=0us\n");
    EXPECT_EQ(format_sched_credit({host, web}),
              "Name                                ID Weight  Cap\n"
              "Domain-0                             0    256    0\n"
              "web                                  3    512   20\n");
}

TEST(FormatVcpuList, AffinityColumnsComeFromTheDaemon)
{
    DomainInfo d;
    d.domid = 2;
    d.name = "g";
    protocol::VcpuInfo v{0, 1, true, true, false, 1.0};
    v.hard_affinity = "1";
    v.soft_affinity = "0";
    d.vcpu_list = {v};
    const std::string out = format_vcpu_list({d});
    EXPECT_EQ(out.substr(out.size() - 8), "  1 / 0\n") << out;
}

}  // namespace
}  // namespace uxl::cli
