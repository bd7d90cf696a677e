// The libvirt domain XML mapping (uxl/libvirt_xml.h): what comes in, what is refused and
// warned about, the parser's limits, and what goes out.
#include "uxl/libvirt_xml.h"
#include "xml_tree.h"

#include <gtest/gtest.h>

namespace uxl {
namespace {

const char* const k_kvm = R"(<domain type='kvm'>
  <name>demo</name>
  <uuid>c7a5fdb2-cdaf-9455-926a-d65c16db1809</uuid>
  <memory unit='MiB'>512</memory>
  <currentMemory unit='KiB'>262144</currentMemory>
  <vcpu placement='static' current='1'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/boot/vmlinuz</kernel>
    <cmdline>console=ttyS0</cmdline>
  </os>
  <on_reboot>destroy</on_reboot>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/srv/demo.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <mac address='00:16:3e:00:00:01'/>
      <source bridge='br0'/>
      <target dev='demo0'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'><target port='0'/></serial>
    <memballoon model='virtio'/>
  </devices>
</domain>
)";

Result<DomainSpec> from_xml(std::string_view xml, std::vector<std::string>& warnings)
{
    BuildOptions options;
    options.host_cpus = 4;
    return domain_spec_from_libvirt_xml(xml, "demo.xml", options, warnings);
}

TEST(LibvirtXml, KvmDomainBecomesAQemuSpec)
{
    std::vector<std::string> warnings;
    auto spec = from_xml(k_kvm, warnings);
    ASSERT_TRUE(spec) << spec.error().message;
    EXPECT_EQ(spec->name, "demo");
    EXPECT_EQ(spec->backend, BackendKind::qemu);
    EXPECT_EQ(spec->type, DomainType::hvm);
    EXPECT_EQ(spec->max_memkb, 512u * 1024);
    EXPECT_EQ(spec->target_memkb, 256u * 1024);
    EXPECT_EQ(spec->max_vcpus, 2);
    EXPECT_EQ(spec->vcpus, 1);
    EXPECT_EQ(spec->kernel, "/boot/vmlinuz");
    EXPECT_EQ(spec->cmdline, "console=ttyS0");
    EXPECT_EQ(spec->on_reboot, ShutdownAction::destroy);
    ASSERT_EQ(spec->disks.size(), 1u);
    EXPECT_EQ(spec->disks[0].vdev, "xvda");  // virtio-blk under uxl's QEMU backend
    EXPECT_EQ(spec->disks[0].format, DiskFormat::qcow2);
    ASSERT_EQ(spec->nics.size(), 1u);
    EXPECT_EQ(spec->nics[0].bridge, "br0");
    EXPECT_EQ(spec->nics[0].ifname, "demo0");
    EXPECT_EQ(spec->nics[0].model, "virtio");
    EXPECT_EQ(spec->nics[0].mac.to_string(), "00:16:3e:00:00:01");
    EXPECT_EQ(spec->hvm.serial, std::vector<std::string>{"pty"});
}

TEST(LibvirtXml, BalloonIsDroppedWithAWarningNamingItsLine)
{
    std::vector<std::string> warnings;
    ASSERT_TRUE(from_xml(k_kvm, warnings));
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0].rfind("demo.xml:26: /domain/devices/memballoon: ", 0), 0u) << warnings[0];
    EXPECT_NE(warnings[0].find("dropped"), std::string::npos);
}

TEST(LibvirtXml, UsbHostdevIsRefusedWithPathAndLine)
{
    std::string xml = k_kvm;
    xml.insert(xml.find("    <memballoon"), "    <hostdev mode='subsystem' type='usb'/>\n");
    std::vector<std::string> warnings;
    auto spec = from_xml(xml, warnings);
    ASSERT_FALSE(spec);
    EXPECT_EQ(spec.error().code, Errc::unsupported);
    EXPECT_EQ(spec.error().message.rfind("demo.xml:26: /domain/devices/hostdev: ", 0), 0u) << spec.error().message;
    EXPECT_NE(spec.error().message.find("is not supported"), std::string::npos);
}

TEST(LibvirtXml, UnknownElementIsRefusedNotDropped)
{
    std::string xml = k_kvm;
    xml.insert(xml.find("    <memballoon"), "    <tpm model='tpm-tis'/>\n");
    auto converted = libvirt_xml_to_native(xml, "demo.xml", NativeFormat::xen_xl);
    ASSERT_FALSE(converted);
    EXPECT_EQ(converted.error().message, "demo.xml:26: /domain/devices/tpm: <tpm> is not supported");
}

TEST(LibvirtXml, NetworkInterfaceIsRefused)
{
    std::string xml = k_kvm;
    xml.replace(xml.find("<interface type='bridge'>"), 25, "<interface type='network'>");
    auto converted = libvirt_xml_to_native(xml, "demo.xml", NativeFormat::xen_xl);
    ASSERT_FALSE(converted);
    EXPECT_NE(converted.error().message.find("/domain/devices/interface/@type: an interface of type 'network'"),
              std::string::npos) << converted.error().message;
}

TEST(LibvirtXml, XenPvDomainConvertsToXlKeys)
{
    const char* xml = R"(<domain type='xen'>
  <name>pv</name>
  <memory unit='KiB'>131072</memory>
  <vcpu>1</vcpu>
  <os><type>linux</type><kernel>/k</kernel><cmdline>root=/dev/xvda1</cmdline></os>
  <devices>
    <disk type='block' device='disk'><driver name='phy'/><source dev='/dev/vg/pv'/><target dev='xvda' bus='xen'/></disk>
    <console type='pty'><target type='xen' port='0'/></console>
  </devices>
</domain>)";
    auto converted = libvirt_xml_to_native(xml, "pv.xml", NativeFormat::xen_xl);
    ASSERT_TRUE(converted) << converted.error().message;
    EXPECT_EQ(converted->text,
              "name = \"pv\"\nmaxmem = 128\nmemory = 128\nvcpus = 1\nkernel = \"/k\"\n"
              "cmdline = \"root=/dev/xvda1\"\n"
              "disk = [ \"format=raw,vdev=xvda,access=rw,backendtype=phy,target=/dev/vg/pv\" ]\n");
    auto xm = libvirt_xml_to_native(xml, "pv.xml", NativeFormat::xen_xm);
    ASSERT_TRUE(xm);
    EXPECT_NE(xm->text.find("disk = [ \"phy:/dev/vg/pv,xvda,w\" ]"), std::string::npos) << xm->text;
}

TEST(LibvirtXml, DoctypeIsRefusedBeforeAnyEntityExpands)
{
    const char* xml = "<?xml version='1.0'?>\n<!DOCTYPE d [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]>\n"
                      "<domain type='xen'><name>&b;</name></domain>";
    auto tree = parse_xml_tree(xml, "bomb.xml");
    ASSERT_FALSE(tree);
    EXPECT_NE(tree.error().message.find("<!DOCTYPE> is not supported"), std::string::npos) << tree.error().message;
}

TEST(LibvirtXml, ExternalEntityIsNeverRead)
{
    const char* xml = "<!DOCTYPE d SYSTEM 'file:///etc/passwd'><domain/>";
    EXPECT_FALSE(parse_xml_tree(xml, "xxe.xml"));
}

TEST(LibvirtXml, DepthBeyondTheLimitIsRefused)
{
    std::string xml;
    for (int i = 0; i < 40; ++i)
        xml += "<a>";
    for (int i = 0; i < 40; ++i)
        xml += "</a>";
    auto tree = parse_xml_tree(xml, "deep.xml");
    ASSERT_FALSE(tree);
    EXPECT_NE(tree.error().message.find("nested more than 32"), std::string::npos) << tree.error().message;
}

TEST(LibvirtXml, InputOverTheSizeLimitIsRefused)
{
    XmlLimits limits;
    limits.max_bytes = 16;
    EXPECT_FALSE(parse_xml_tree("<domain>0123456789</domain>", "big.xml", limits));
}

TEST(LibvirtXml, MalformedXmlNamesFileAndLine)
{
    auto tree = parse_xml_tree("<domain>\n<name>x</nam>\n</domain>", "bad.xml");
    ASSERT_FALSE(tree);
    EXPECT_EQ(tree.error().message.rfind("bad.xml:2: XML parse error: ", 0), 0u) << tree.error().message;
}

TEST(LibvirtXml, XmlIsToldFromAConfigByItsFirstCharacter)
{
    EXPECT_TRUE(looks_like_xml("\n  <domain type='xen'/>"));
    EXPECT_TRUE(looks_like_xml("<?xml version='1.0'?><domain/>"));
    EXPECT_FALSE(looks_like_xml("name = \"x\"\n"));
    EXPECT_FALSE(looks_like_xml("# <domain>\n"));
    EXPECT_FALSE(looks_like_xml(""));
}

TEST(LibvirtXml, DumpedXmlIsAFixedPoint)
{
    // The first XML spells out defaults the hand-written one left to uxl (acpi, boot, ...),
    // so the domain it reads back as is compared with the one after a second round.
    std::vector<std::string> warnings;
    auto spec = from_xml(k_kvm, warnings);
    ASSERT_TRUE(spec);
    auto once = from_xml(domain_spec_to_libvirt_xml(*spec), warnings);
    ASSERT_TRUE(once) << once.error().message;
    EXPECT_EQ(once->backend, BackendKind::qemu);
    const std::string xml = domain_spec_to_libvirt_xml(*once);
    auto twice = from_xml(xml, warnings);
    ASSERT_TRUE(twice) << twice.error().message;
    EXPECT_EQ(domain_spec_to_libxl_yajl(*twice), domain_spec_to_libxl_yajl(*once)) << xml;
}

}  // namespace
}  // namespace uxl
