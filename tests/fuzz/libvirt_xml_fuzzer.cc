// libFuzzer target for the libvirt domain XML reader (uxl/libvirt_xml.h).
//
// Properties, beyond "no crash, no sanitizer report":
//   1. any byte string converts to a config or is refused with an Error, never more;
//   2. what converts also builds a DomainSpec or is refused, and a spec that builds
//      survives spec → libxl JSON → spec (fuzz_support.h) and prints as XML that reads
//      back as a domain.
// Built with clang -fsanitize=fuzzer when UXL_FUZZ=ON; fuzz_replay.cc feeds it the seed
// corpus (tests/fuzz/corpus/libvirt_xml and libvirt's XMLs) as an ordinary test.
#include "fuzz_support.h"

#include "uxl/libvirt_xml.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)uxl::libvirt_xml_to_native(text, "fuzz.xml", uxl::NativeFormat::xen_xm);
    if (!uxl::libvirt_xml_to_native(text, "fuzz.xml", uxl::NativeFormat::xen_xl))
        return 0;
    uxl::BuildOptions options;
    options.host_cpus = 4;
    std::vector<std::string> warnings;
    auto spec = uxl::domain_spec_from_libvirt_xml(text, "fuzz.xml", options, warnings);
    if (!spec)
        return 0;
    uxl::fuzz::check_libxl_round_trip(*spec);
    const std::string xml = uxl::domain_spec_to_libvirt_xml(*spec);
    if (!uxl::libvirt_xml_to_native(xml, "printed.xml", uxl::NativeFormat::xen_xl))
        uxl::fuzz::property_failed("the XML uxl prints reads back", xml);
    return 0;
}
