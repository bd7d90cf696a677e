#include "hvm_settings.h"

namespace uxl {
namespace {

// xlu_cfg_get_list_as_string_list, without warnings: the list's strings, up to the first
// element that is not one (xl stops there); empty when the key is absent or not a list.
std::vector<std::string> string_list(ConfigReader& reader, const char* key)
{
    std::vector<std::string> out;
    if (const ConfigValue* list = reader.get_list(key, /*dont_warn=*/true)) {
        for (const ConfigValue& element : list->items) {
            auto text = reader.element_string(element, /*dont_warn=*/true);
            if (!text)
                break;
            out.push_back(*text);
        }
    }
    return out;
}

// A key xl reads as a list of strings first, then as one string (serial, usbdevice).
std::vector<std::string> string_or_list(ConfigReader& reader, const char* key)
{
    if (reader.get_list(key, /*dont_warn=*/true))
        return string_list(reader, key);
    if (auto text = reader.get_string(key, /*dont_warn=*/true))
        return {*text};
    return {};
}

}  // namespace

void read_hvm_settings(ConfigReader& reader, DomainSpec& spec)
{
    // xl: xlu_cfg_get_defbool(config, "acpi", &b_info->acpi, 0), for every type; so are
    // localtime and the device model's extra arguments.
    spec.hvm.acpi = reader.get_bool("acpi", /*dont_warn=*/true);
    spec.localtime = reader.get_bool("localtime", /*dont_warn=*/true);
    spec.device_model_args = string_list(reader, "device_model_args");
    spec.device_model_args_pv = string_list(reader, "device_model_args_pv");
    spec.device_model_args_hvm = string_list(reader, "device_model_args_hvm");
    if (spec.type != DomainType::hvm)
        return;
    spec.hvm.usb = reader.get_bool("usb", /*dont_warn=*/true);
    spec.hvm.usbdevice = string_or_list(reader, "usbdevice");
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
    spec.hvm.serial = string_or_list(reader, "serial");
}

}  // namespace uxl
