#include "hvm_settings.h"

namespace uxl {

void read_hvm_settings(ConfigReader& reader, DomainSpec& spec)
{
    // xl: xlu_cfg_get_defbool(config, "acpi", &b_info->acpi, 0), for every type; so are
    // localtime and the device model's extra arguments.
    spec.hvm.acpi = reader.get_bool("acpi", /*dont_warn=*/true);
    spec.localtime = reader.get_bool("localtime", /*dont_warn=*/true);
    const std::pair<const char*, std::vector<std::string>*> extras[] = {
        {"device_model_args", &spec.device_model_args},
        {"device_model_args_pv", &spec.device_model_args_pv},
        {"device_model_args_hvm", &spec.device_model_args_hvm}};
    for (const auto& [key, out] : extras)
        if (const ConfigValue* list = reader.get_list(key, /*dont_warn=*/true))
            for (const ConfigValue& element : list->items) {
                auto text = reader.element_string(element, /*dont_warn=*/true);
                if (!text)
                    break;
                out->push_back(*text);
            }
    if (spec.type != DomainType::hvm)
        return;
    spec.hvm.usb = reader.get_bool("usb", /*dont_warn=*/true);
    if (const ConfigValue* list = reader.get_list("usbdevice", /*dont_warn=*/true)) {
        for (const ConfigValue& element : list->items) {
            auto text = reader.element_string(element, /*dont_warn=*/true);
            if (!text)
                break;
            spec.hvm.usbdevice.push_back(*text);
        }
    } else if (auto device = reader.get_string("usbdevice", /*dont_warn=*/true)) {
        spec.hvm.usbdevice.push_back(*device);
    }
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
