// libvirt domain XML end to end (issue 13): `uxl create FILE.xml` boots a real UML guest
// through the same DomainSpec as a config file, `uxl dumpxml` prints the running domain, and a
// hostile document is refused with its line, leaving nothing behind.
#include "netns_fixture.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace uxl_integration;

using XmlIntegration = NetnsDaemonFixture;

TEST_F(XmlIntegration, CreateFromLibvirtXmlBootsAndDumpxmlPrintsIt)
{
    start_daemon();
    const std::string xml = m_root + "/cfg/fromxml.xml";
    spit(xml, "<domain type='xen'>\n"
              "  <name>fromxml</name>\n"
              "  <memory unit='KiB'>65536</memory>\n"
              "  <os>\n"
              "    <type>linux</type>\n"
              "    <kernel>" + std::string(kLinux) + "</kernel>\n"
              "    <initrd>" + s_image.path + "</initrd>\n"
              "  </os>\n"
              "  <on_crash>destroy</on_crash>\n"
              "  <devices>\n"
              "    <memballoon model='xen'/>\n"
              "  </devices>\n"
              "</domain>\n");
    RunResult r = uxl({"create", xml});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    // What uxl drops is said, with the element's line.
    EXPECT_NE(r.err.find(xml + ":11: /domain/devices/memballoon"), std::string::npos) << show(r);
    ASSERT_TRUE(wait_for_banner("fromxml")) << no_banner("fromxml");

    r = uxl({"dumpxml", "fromxml"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_NE(r.out.find("<name>fromxml</name>"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("<kernel>" + std::string(kLinux) + "</kernel>"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("<memory unit='KiB'>65536</memory>"), std::string::npos) << r.out;

    destroy_all_and_expect_nothing_left("after destroy");
}

TEST_F(XmlIntegration, AnXmlDocumentWithADoctypeIsRefusedAndLeavesNothing)
{
    start_daemon();
    const std::string xml = m_root + "/cfg/evil.xml";
    spit(xml, "<?xml version='1.0'?>\n"
              "<!DOCTYPE domain [ <!ENTITY x SYSTEM 'file:///etc/shadow'> ]>\n"
              "<domain type='xen'><name>&x;</name></domain>\n");
    RunResult r = uxl({"create", xml});
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find(xml + ":2"), std::string::npos) << show(r);
    EXPECT_EQ(r.err.find("root:"), std::string::npos) << show(r);
    expect_nothing_left("after the refused create");
}

}  // namespace
