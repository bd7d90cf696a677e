#include "hvm_settings.h"

namespace uxl {

void read_hvm_settings(ConfigReader& reader, DomainSpec& spec)
{
    // xl: xlu_cfg_get_defbool(config, "acpi", &b_info->acpi, 0), for every type.
    spec.hvm.acpi = reader.get_bool("acpi", /*dont_warn=*/true);
    if (spec.type != DomainType::hvm)
        return;
    if (auto boot = reader.get_string("boot", /*dont_warn=*/true))
        spec.hvm.boot = *boot;
    spec.hvm.nographic = reader.get_bool("nographic", /*dont_warn=*/true);
    // xl: vnc, vnclisten, vncpasswd, vncdisplay, vncunused into b_info->u.hvm.vnc.
    VncSettings& vnc = spec.hvm.vnc;
    vnc.enable = reader.get_bool("vnc", /*dont_warn=*/true);
    if (auto listen = reader.get_string("vnclisten", /*dont_warn=*/true))
        vnc.listen = *listen;
    if (auto passwd = reader.get_string("vncpasswd", /*dont_warn=*/true))
        vnc.passwd = *passwd;
    if (auto display = reader.get_long("vncdisplay", /*dont_warn=*/true); display && *display >= 0 &&
                                                                            *display <= 65535 - 5900)
        vnc.display = static_cast<int>(*display);
    vnc.find_unused = reader.get_bool("vncunused", /*dont_warn=*/true);
    // xl reads serial as a list of strings first, then as one string.
    if (const ConfigValue* list = reader.get_list("serial", /*dont_warn=*/true)) {
        for (const ConfigValue& element : list->items) {
            auto text = reader.element_string(element, /*dont_warn=*/true);
            if (!text)
                break;  // xl stops at the first element that is not a string
            spec.hvm.serial.push_back(*text);
        }
    } else if (auto serial = reader.get_string("serial", /*dont_warn=*/true)) {
        spec.hvm.serial.push_back(*serial);
    }
}

}  // namespace uxl
