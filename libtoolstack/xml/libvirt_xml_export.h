// The exporter's input beyond a DomainSpec: the keys of a config that xl knows and libvirt
// shows but a DomainSpec does not hold. Empty for a running domain (`uxl dumpxml`).
#pragma once

#include "libvirt_xml_parts.h"

#include <map>
#include <string>
#include <vector>

namespace uxl::libvirt {

struct ConfigExtras {
    std::map<std::string, std::string, std::less<>> values;  // key → its single value
    std::vector<std::string> vfb;                           // vfb = [ ... ] entries
    std::string cpus;                                       // cpus= as written
    bool from_config = false;  // a config's conversion, not a running domain (dumpxml)
};

XmlElement export_domain(const DomainSpec& spec, const ConfigExtras& extras, NativeFormat format);

}  // namespace uxl::libvirt
