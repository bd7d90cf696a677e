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
    // A config's disk = [ ... ] and vif = [ ... ] entries as written, in the spec's order:
    // what a DiskSpec/VifSpec keeps no trace of (xm's tap:/tap2: prefixes, an empty cdrom's
    // format=, xm's type=netfront) still shows, as libvirt shows it.
    std::vector<std::string> disks;
    std::vector<std::string> vifs;
    bool on_crash_given = false;  // no on_crash= in the config: libvirt says restart
};

XmlElement export_domain(const DomainSpec& spec, const ConfigExtras& extras, NativeFormat format);

}  // namespace uxl::libvirt
