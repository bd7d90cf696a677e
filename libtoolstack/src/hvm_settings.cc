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

// "SOURCE:LINE" of a key's setting (just SOURCE when it has no line).
std::string where(ConfigReader& reader, const char* key, std::string_view source)
{
    std::string text(source);
    if (const Setting* setting = reader.config().find(key); setting && setting->line > 0)
        text += ":" + std::to_string(setting->line);
    return text;
}

std::unexpected<Error> bad_value(ConfigReader& reader, const char* key, std::string text, std::string_view source)
{
    return fail(Errc::invalid_argument, std::move(text), where(reader, key, source));
}

// xl: vga = "stdvga" | "cirrus" | "none" | "qxl" (anything else: "Unknown vga"), else
// stdvga = 1 (std) or 0 (cirrus).
Result<VgaKind> read_vga(ConfigReader& reader, std::string_view source)
{
    if (auto vga = reader.get_string("vga", /*dont_warn=*/true)) {
        constexpr std::pair<const char*, VgaKind> names[] = {
            {"stdvga", VgaKind::std}, {"cirrus", VgaKind::cirrus}, {"none", VgaKind::none}, {"qxl", VgaKind::qxl}};
        for (const auto& [name, kind] : names)
            if (*vga == name)
                return kind;
        return bad_value(reader, "vga", "Unknown vga \"" + *vga + "\" specified", source);
    }
    if (auto stdvga = reader.get_long("stdvga", /*dont_warn=*/true))
        return *stdvga ? VgaKind::std : VgaKind::cirrus;
    return VgaKind::unknown;
}

// xl: libxl_bios_type_from_string, else "ERROR: invalid value ... for \"bios\"".
Result<BiosKind> read_bios(ConfigReader& reader, std::string_view source)
{
    auto bios = reader.get_string("bios", /*dont_warn=*/true);
    if (!bios)
        return BiosKind::unknown;
    for (BiosKind kind : {BiosKind::rombios, BiosKind::seabios, BiosKind::ovmf})
        if (*bios == to_string(kind))
            return kind;
    return bad_value(reader, "bios", "ERROR: invalid value \"" + *bios + "\" for \"bios\"", source);
}

}  // namespace

std::string_view to_string(VgaKind kind)
{
    switch (kind) {
    case VgaKind::unknown: return "unknown";
    case VgaKind::cirrus: return "cirrus";
    case VgaKind::std: return "std";
    case VgaKind::none: return "none";
    case VgaKind::qxl: return "qxl";
    }
    return "unknown";
}

std::string_view to_string(BiosKind kind)
{
    switch (kind) {
    case BiosKind::unknown: return "unknown";
    case BiosKind::rombios: return "rombios";
    case BiosKind::seabios: return "seabios";
    case BiosKind::ovmf: return "ovmf";
    }
    return "unknown";
}

Result<void> read_hvm_settings(ConfigReader& reader, DomainSpec& spec, std::string_view source)
{
    // xl: xlu_cfg_get_defbool(config, "acpi", &b_info->acpi, 0), for every type; so are
    // localtime, rtc_timeoffset, videoram and the device model's extra arguments.
    spec.hvm.acpi = reader.get_bool("acpi", /*dont_warn=*/true);
    // xl stores the long in a uint32 and libxl hands it to Xen as an int32.
    if (auto offset = reader.get_long("rtc_timeoffset", /*dont_warn=*/true))
        spec.rtc_timeoffset = static_cast<std::int32_t>(static_cast<std::uint32_t>(*offset));
    spec.localtime = reader.get_bool("localtime", /*dont_warn=*/true);
    if (auto videoram = reader.get_long("videoram", /*dont_warn=*/true); videoram && *videoram >= 0)
        spec.hvm.video_memkb = static_cast<std::uint64_t>(*videoram) * 1024;
    spec.device_model_args = string_list(reader, "device_model_args");
    spec.device_model_args_pv = string_list(reader, "device_model_args_pv");
    spec.device_model_args_hvm = string_list(reader, "device_model_args_hvm");
    // uxl's watchdog (a device of the device model, so read here, for every type).
    if (auto watchdog = reader.get_string("watchdog", /*dont_warn=*/true)) {
        if (*watchdog != "i6300esb" && *watchdog != "ib700")
            return bad_value(reader, "watchdog",
                             where(reader, "watchdog", source) + ": watchdog = \"" + *watchdog +
                                 "\" is not a watchdog uxl knows; use \"i6300esb\" or \"ib700\"",
                             source);
        spec.watchdog = *watchdog;
    }
    if (spec.type != DomainType::hvm)
        return {};
    // xl reads these in parse_config_data()'s HVM case.
    spec.hvm.bios = UXL_TRY(read_bios(reader, source));
    spec.hvm.pae = reader.get_bool("pae", /*dont_warn=*/true);
    spec.hvm.acpi_s3 = reader.get_bool("acpi_s3", /*dont_warn=*/true);
    spec.hvm.acpi_s4 = reader.get_bool("acpi_s4", /*dont_warn=*/true);
    spec.hvm.nx = reader.get_bool("nx", /*dont_warn=*/true);
    spec.hvm.hpet = reader.get_bool("hpet", /*dont_warn=*/true);
    spec.hvm.apic = reader.get_bool("apic", /*dont_warn=*/true);
    // xl: vnc, vnclisten, vncpasswd, vncdisplay, vncunused into b_info->u.hvm.vnc, and sdl.
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
    spec.hvm.sdl = reader.get_bool("sdl", /*dont_warn=*/true);
    spec.hvm.vga = UXL_TRY(read_vga(reader, source));
    spec.hvm.nographic = reader.get_bool("nographic", /*dont_warn=*/true);
    spec.hvm.serial = string_or_list(reader, "serial");
    if (auto boot = reader.get_string("boot", /*dont_warn=*/true))
        spec.hvm.boot = *boot;
    spec.hvm.usb = reader.get_bool("usb", /*dont_warn=*/true);
    spec.hvm.usbdevice = string_or_list(reader, "usbdevice");
    if (auto soundhw = reader.get_string("soundhw", /*dont_warn=*/true))
        spec.hvm.soundhw = *soundhw;
    return {};
}

}  // namespace uxl
