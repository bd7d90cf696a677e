// libvirt's domain XML (https://libvirt.org/formatdomain.html), both ways.
//
// In: QEMU-style XML (<domain type='kvm'|'qemu'>) and Xen-style XML (<domain type='xen'>,
// as libvirt's xen driver writes it). The XML is first turned into an xl config, the same
// text `uxl domxml-to-native xen-xl` prints, and that config is read by the ordinary config
// reader, so a domain from XML is checked exactly as one from a config file.
// Out: a DomainSpec (or an xl/xm config, through it) as the XML libvirt's xen driver writes
// for it, with the devices libvirt adds itself (xenbus controller, memballoon, inputs, ...).
//
// What cannot be expressed is refused with "FILE:LINE: /domain/devices/hostdev: ... is not
// supported"; what is harmless to drop gives a warning of the same shape ending in
// "dropped". Hostile XML is refused before it costs anything (see xml_tree.h in libtoolstack/xml/).
// doc/libvirt-xml.md lists the mapping. Every function here is pure and never throws.
//
// This is the toolstack_xml library (libtoolstack/xml/), which alone links libxml2: the
// statically linked `uxl` never links it, but runs the helper `uxl-xml` (cli/uxl_xml.cc)
// for its XML commands. uxl/xml_config.h is the part `uxl` itself uses.
#pragma once

#include "uxl/domain_spec.h"
#include "uxl/result.h"
#include "uxl/xml_config.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uxl {

// virsh's native formats: "xen-xl" (xl.cfg(5)) and "xen-xm" (xm's older disk syntax).
enum class NativeFormat { xen_xl, xen_xm };
std::optional<NativeFormat> parse_native_format(std::string_view name);

struct XmlConversion {
    std::string text;                   // the output document, ending in "\n"
    std::vector<std::string> warnings;  // "FILE:LINE: PATH: ...; dropped", in file order
};

// `domxml-to-native`: the config of a domain XML. `source` names the file in messages.
Result<XmlConversion> libvirt_xml_to_native(std::string_view xml, std::string_view source,
                                            NativeFormat format);

// `domxml-from-native`: the domain XML of a config. The config is read as `uxl create`
// reads it (options as there); the keys xl knows but a DomainSpec does not hold
// (device_model_override, viridian, parallel, ...) are carried over as libvirt does.
Result<XmlConversion> native_to_libvirt_xml(std::string_view config, std::string_view source,
                                            NativeFormat format, const BuildOptions& options);

// `uxl-xml to-native --numbered`: the xen-xl config of a domain XML, each line with the
// XML line it comes from; the importer's warnings are appended to `warnings`.
Result<XmlConfig> libvirt_xml_to_xml_config(std::string_view xml, std::string_view source,
                                            std::vector<std::string>& warnings);

// The domain of a domain XML (what `uxl create FILE.xml` makes of it, through uxl-xml), via
// libvirt_xml_to_xml_config() and domain_spec_from_xml_config(). The warnings of both steps go to `warnings`.
Result<DomainSpec> domain_spec_from_libvirt_xml(std::string_view xml, std::string_view source,
                                                const BuildOptions& options,
                                                std::vector<std::string>& warnings);

// `uxl dumpxml`: the domain's XML, Xen-style. A backend other than the default one is kept
// in <metadata> (uxl's namespace), so the XML comes back as the same domain.
std::string domain_spec_to_libvirt_xml(const DomainSpec& spec);

}  // namespace uxl
