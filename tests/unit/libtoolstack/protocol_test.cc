// The control protocol's encoding: every request survives encode → decode, replies carry
// their device lists, and what a client may send wrong is refused with a protocol error.
#include "uxl/protocol.h"

#include <gtest/gtest.h>

namespace {

using namespace uxl;
using namespace uxl::protocol;

template <class T>
T round_trip(const Request& request, std::uint64_t id = 42)
{
    const std::string line = encode_request(id, request);
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    auto decoded = decode_request(std::string_view(line).substr(0, line.size() - 1));
    EXPECT_TRUE(decoded.has_value()) << line;
    EXPECT_EQ(decoded->id, id);
    EXPECT_TRUE(std::holds_alternative<T>(decoded->request)) << line;
    return std::get<T>(decoded->request);
}

TEST(Protocol, DeviceAttachKeepsTheSpecWordsAsTyped)
{
    DeviceAttachRequest in{"guest", DeviceKind::nic, {"bridge=br0", "mac=00:16:3e:00:00:01", "ip=a b"}};
    auto out = round_trip<DeviceAttachRequest>(in);
    EXPECT_EQ(out.domain, "guest");
    EXPECT_EQ(out.kind, DeviceKind::nic);
    EXPECT_EQ(out.spec, in.spec);
}

TEST(Protocol, DeviceDetachAndList)
{
    auto detach = round_trip<DeviceDetachRequest>(DeviceDetachRequest{"7", DeviceKind::disk, "xvdb", true});
    EXPECT_EQ(detach.domain, "7");
    EXPECT_EQ(detach.kind, DeviceKind::disk);
    EXPECT_EQ(detach.device, "xvdb");
    EXPECT_TRUE(detach.force);
    auto list = round_trip<DeviceListRequest>(DeviceListRequest{"g", DeviceKind::pci});
    EXPECT_EQ(list.kind, DeviceKind::pci);
}

TEST(Protocol, MemSet)
{
    auto r = round_trip<MemSetRequest>(MemSetRequest{"g", -8192});
    EXPECT_EQ(r.domain, "g");
    EXPECT_EQ(r.target_kb, -8192);
}

TEST(Protocol, VcpuListsTravelOnlyWhenAskedFor)
{
    auto list = round_trip<ListRequest>(ListRequest{"g", false, true});
    EXPECT_TRUE(list.vcpus);
    EXPECT_EQ(encode_request(1, ListRequest{}).find("vcpus"), std::string::npos);
    Reply reply;
    DomainInfo d;
    d.domid = 3;
    d.vcpu_list = {VcpuInfo{0, 1, true, false, true, 2.5}};
    reply.domains = {d};
    const std::string line = encode_reply(reply);
    auto back = decode_reply(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(back.has_value()) << line;
    ASSERT_EQ(back->domains.at(0).vcpu_list.size(), 1u);
    const VcpuInfo& v = back->domains[0].vcpu_list[0];
    EXPECT_EQ(v.cpu, 1);
    EXPECT_TRUE(v.blocked);
    EXPECT_FALSE(v.running);
    EXPECT_DOUBLE_EQ(v.seconds, 2.5);
}

TEST(Protocol, VcpuPinCarriesOnlyTheSetsGiven)
{
    VcpuPinRequest pin;
    pin.domain = "g";
    pin.vcpu = 0;
    pin.hard = std::vector<int>{1};
    auto back = round_trip<VcpuPinRequest>(pin);
    EXPECT_EQ(back.domain, "g");
    EXPECT_EQ(back.vcpu, 0);
    ASSERT_TRUE(back.hard);
    EXPECT_EQ(*back.hard, (std::vector<int>{1}));
    EXPECT_FALSE(back.soft);
    EXPECT_FALSE(back.force);
    pin.vcpu = -1;
    pin.hard.reset();
    pin.soft = std::vector<int>{0, 1};
    back = round_trip<VcpuPinRequest>(pin);
    EXPECT_EQ(back.vcpu, -1);
    EXPECT_FALSE(back.hard);
    EXPECT_EQ(back.soft, (std::vector<int>{0, 1}));
}

TEST(Protocol, SchedCreditSetsWhatWasGivenAndListsShowWeightCapAffinity)
{
    auto weight = round_trip<SchedCreditRequest>(SchedCreditRequest{"3", 512, std::nullopt});
    EXPECT_EQ(weight.domain, "3");
    EXPECT_EQ(weight.weight, 512);
    EXPECT_FALSE(weight.cap);
    auto cap = round_trip<SchedCreditRequest>(SchedCreditRequest{"3", std::nullopt, 20});
    EXPECT_FALSE(cap.weight);
    EXPECT_EQ(cap.cap, 20);

    Reply reply;
    DomainInfo d;
    d.weight = 512;
    d.cap = 20;
    VcpuInfo v;
    v.hard_affinity = "1";
    v.soft_affinity = "0-1";
    d.vcpu_list = {v};
    reply.domains = {d};
    const std::string line = encode_reply(reply);
    auto back = decode_reply(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(back.has_value()) << line;
    EXPECT_EQ(back->domains.at(0).weight, 512);
    EXPECT_EQ(back->domains.at(0).cap, 20);
    EXPECT_EQ(back->domains.at(0).vcpu_list.at(0).hard_affinity, "1");
    EXPECT_EQ(back->domains.at(0).vcpu_list.at(0).soft_affinity, "0-1");
}

TEST(Protocol, OlderRequestsStillRoundTrip)
{
    auto create = round_trip<CreateRequest>(CreateRequest{"{\"c_info\":{}}", "/etc/uxl/g.cfg", true});
    EXPECT_EQ(create.config_path, "/etc/uxl/g.cfg");
    EXPECT_TRUE(create.paused);
    auto sysrq = round_trip<SysrqRequest>(SysrqRequest{"g", 's'});
    EXPECT_EQ(sysrq.key, 's');
    auto trigger = round_trip<TriggerRequest>(TriggerRequest{"g", "nmi", 1});
    EXPECT_EQ(trigger.domain, "g");
    EXPECT_EQ(trigger.trigger, "nmi");
    EXPECT_EQ(trigger.vcpu, 1);
    auto vcpus = round_trip<VcpuSetRequest>(VcpuSetRequest{"g", 3});
    EXPECT_EQ(vcpus.vcpus, 3);
    auto shutdown = round_trip<ShutdownRequest>(ShutdownRequest{"", true, true});
    EXPECT_TRUE(shutdown.all);
    EXPECT_TRUE(shutdown.reboot);
}

TEST(Protocol, ConsoleCarriesTheTypeAskedForOnlyWhenGiven)
{
    DomainRequest console{DomainRequest::Op::console, "g", "serial"};
    auto back = round_trip<DomainRequest>(console);
    EXPECT_EQ(back.op, DomainRequest::Op::console);
    EXPECT_EQ(back.console_type, "serial");
    EXPECT_EQ(encode_request(1, DomainRequest{DomainRequest::Op::console, "g"}).find("console_type"),
              std::string::npos);
}

TEST(Protocol, ReplyCarriesDevices)
{
    Reply reply;
    reply.id = 3;
    DeviceInfo disk;
    disk.kind = DeviceKind::disk;
    disk.devid = 51728;
    disk.frontend_domid = 4;
    disk.vdev = "xvdb";
    disk.backend = "/srv/b.img";
    disk.guest_device = "ubdb";
    DeviceInfo pci;
    pci.kind = DeviceKind::pci;
    pci.devid = 0x20 << 3;
    pci.bdf = "0000:36:00.0";
    reply.devices = {disk, pci};
    const std::string line = encode_reply(reply);
    auto back = decode_reply(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(back.has_value()) << line;
    ASSERT_EQ(back->devices.size(), 2u);
    EXPECT_EQ(back->devices[0].kind, DeviceKind::disk);
    EXPECT_EQ(back->devices[0].devid, 51728);
    EXPECT_EQ(back->devices[0].frontend_domid, 4);
    EXPECT_EQ(back->devices[0].state, 4);
    EXPECT_EQ(back->devices[0].vdev, "xvdb");
    EXPECT_EQ(back->devices[0].backend, "/srv/b.img");
    EXPECT_EQ(back->devices[0].guest_device, "ubdb");
    EXPECT_EQ(back->devices[1].kind, DeviceKind::pci);
    EXPECT_EQ(back->devices[1].bdf, "0000:36:00.0");
}

TEST(Protocol, BadDeviceRequestsAreProtocolErrors)
{
    for (const char* line : {
             R"({"id":1,"op":"device-attach","domain":"g","kind":"usb","spec":[]})",
             R"({"id":1,"op":"device-attach","domain":"g","spec":[]})",
             R"({"id":1,"op":"device-attach","domain":"g","kind":"disk","spec":[1,2]})",
             R"({"id":1,"op":"device-detach","domain":"g","kind":"nic"})",
             R"({"id":1,"op":"device-list","kind":"nic"})",
         }) {
        auto decoded = decode_request(line);
        ASSERT_FALSE(decoded.has_value()) << line;
        EXPECT_EQ(decoded.error().code, Errc::protocol) << line;
    }
}

TEST(Protocol, IntegerFieldsTakeOnlyIntegersInRange)
{
    // nlohmann would cast any number: 1.5 to 1, -3 to an id near 2^64, 1e300 undefined.
    for (const char* line : {
             R"({"id":1.5,"op":"info"})",
             R"({"id":-3,"op":"info"})",
             R"({"id":1,"op":"wait","domain":"g","timeout":1e300})",
             R"({"id":1,"op":"wait","domain":"g","timeout":4294967296})",
             R"({"id":1,"op":"mem-set","domain":"g","target_kb":9223372036854775808})",
             R"({"id":1,"op":"mem-set","domain":"g","target_kb":2.0})",
         }) {
        auto decoded = decode_request(line);
        ASSERT_FALSE(decoded.has_value()) << line;
        EXPECT_EQ(decoded.error().code, Errc::protocol) << line;
    }
}

TEST(Protocol, IntegerFieldsKeepTheirWholeRange)
{
    auto wait = decode_request(R"({"id":18446744073709551615,"op":"wait","domain":"g","timeout":-2147483648})");
    ASSERT_TRUE(wait.has_value());
    EXPECT_EQ(wait->id, 18446744073709551615u);
    EXPECT_EQ(std::get<WaitRequest>(wait->request).timeout_seconds, -2147483647 - 1);
    auto mem = decode_request(R"({"id":1,"op":"mem-set","domain":"g","target_kb":-9223372036854775808})");
    ASSERT_TRUE(mem.has_value());
    EXPECT_EQ(std::get<MemSetRequest>(mem->request).target_kb, INT64_MIN);
}

TEST(Protocol, DeviceKindNames)
{
    for (auto kind : {DeviceKind::disk, DeviceKind::nic, DeviceKind::pci})
        EXPECT_EQ(parse_device_kind(to_string(kind)), kind);
    EXPECT_FALSE(parse_device_kind("vbd").has_value());
}

}  // namespace

namespace {

TEST(Protocol, RefusedRequestsStillNameTheirId)
{
    using uxl::protocol::peek_request_id;
    EXPECT_EQ(peek_request_id(R"({"id":77,"op":"no-such-op"})"), 77u);
    EXPECT_EQ(peek_request_id(R"({"id":"x","op":"list"})"), 0u);
    EXPECT_EQ(peek_request_id("not json"), 0u);
    EXPECT_EQ(peek_request_id("[1,2]"), 0u);
}

}  // namespace
