// libxl's JSON for network and PCI devices, as gentypes.py generates it for
// libxl_device_nic and libxl_device_pci: keys in IDL order, and a field is written only
// when it differs from its init value (NULL strings, 0 numbers, devid -1, an all-zero MAC,
// an unset defbool, the enum's init value). Defbools print as "True"/"False", enums as
// libxl's lower-case names, MACs as "xx:xx:xx:xx:xx:xx".
#include "libxl_json_parts.h"

#include "uxl/pci_spec.h"
#include "uxl/vif_spec.h"

namespace uxl::detail {
namespace {

void put_string(OrderedJson& object, const char* key, const std::optional<std::string>& value)
{
    if (value)
        object[key] = *value;
}

}  // namespace

OrderedJson nic_to_libxl_json(const VifSpec& nic)
{
    OrderedJson object = OrderedJson::object();
    if (nic.backend_domid != 0)
        object["backend_domid"] = nic.backend_domid;
    put_string(object, "backend_domname", nic.backend_domname);
    if (nic.devid != -1)
        object["devid"] = nic.devid;
    if (nic.mtu != 0)
        object["mtu"] = nic.mtu;
    put_string(object, "vlan", nic.vlan);
    put_string(object, "model", nic.model);
    if (!nic.mac.is_zero())
        object["mac"] = nic.mac.to_string();
    put_string(object, "ip", nic.ip);
    put_string(object, "bridge", nic.bridge);
    put_string(object, "ifname", nic.ifname);
    put_string(object, "script", nic.script);
    if (nic.nictype != NicType::unknown)
        object["nictype"] = std::string(to_string(nic.nictype));
    if (nic.rate_bytes_per_interval != 0)
        object["rate_bytes_per_interval"] = nic.rate_bytes_per_interval;
    if (nic.rate_interval_usecs != 0)
        object["rate_interval_usecs"] = nic.rate_interval_usecs;
    put_string(object, "gatewaydev", nic.gatewaydev);
    for (std::string_view field : vif_colo_field_names()) {
        if (const auto found = nic.colo.find(field); found != nic.colo.end())
            object[std::string(field)] = found->second;
    }
    if (nic.trusted)
        object["trusted"] = *nic.trusted ? "True" : "False";
    return object;
}

OrderedJson pci_to_libxl_json(const PciSpec& pci)
{
    OrderedJson object = OrderedJson::object();
    if (pci.func != 0)
        object["func"] = pci.func;
    if (pci.dev != 0)
        object["dev"] = pci.dev;
    if (pci.bus != 0)
        object["bus"] = pci.bus;
    if (pci.domain != 0)
        object["domain"] = pci.domain;
    if (pci.vdevfn != 0)
        object["vdevfn"] = pci.vdevfn;
    if (pci.vfunc_mask != 0)
        object["vfunc_mask"] = pci.vfunc_mask;
    if (pci.msitranslate)
        object["msitranslate"] = true;
    if (pci.power_mgmt)
        object["power_mgmt"] = true;
    if (pci.permissive)
        object["permissive"] = true;
    if (pci.seize)
        object["seize"] = true;
    if (pci.rdm_policy != RdmReservePolicy::invalid)
        object["rdm_policy"] = std::string(to_string(pci.rdm_policy));
    put_string(object, "name", pci.name);
    return object;
}

}  // namespace uxl::detail
