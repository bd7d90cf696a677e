// b_info.type.hvm of libxl's JSON (libxl_types.idl's u.hvm), both ways: the emulated
// machine's settings (HvmSettings) in the IDL's order, fields at their default omitted.
// Split from libxl_json.cc, whose header comment says what the generator does.
#include "uxl/domain_spec.h"

#include "libxl_json_fields.h"
#include "libxl_json_parts.h"

namespace uxl::detail {
namespace {

const char* defbool(bool value)
{
    return value ? "True" : "False";
}

}  // namespace

OrderedJson hvm_to_libxl_json(const HvmSettings& hvm)
{
    // libxl_types.idl's order: firmware, bios, pae, apic (deprecated: b_info.apic), acpi,
    // acpi_s3, acpi_s4, acpi_laptop_slate, nx, viridian, ..., hpet, ..., nographic, vga,
    // vnc, keymap, sdl, spice, ..., serial, boot, usb, usbversion, usbdevice, vkb_device,
    // soundhw, xen_platform_pci, usbdevice_list, ..., serial_list, rdm.
    OrderedJson member = OrderedJson::object();
    if (hvm.bios != BiosKind::unknown)  // an enum without init_val: written when not 0
        member["bios"] = std::string(to_string(hvm.bios));
    for (const auto& [key, value] : {std::pair<const char*, const std::optional<bool>*>{"pae", &hvm.pae},
                                     {"acpi_s3", &hvm.acpi_s3},
                                     {"acpi_s4", &hvm.acpi_s4},
                                     {"nx", &hvm.nx},
                                     {"hpet", &hvm.hpet}})
        if (*value)
            member[key] = defbool(**value);
    if (hvm.nographic)
        member["nographic"] = defbool(*hvm.nographic);
    OrderedJson vga = OrderedJson::object();
    if (hvm.vga != VgaKind::unknown)
        vga["kind"] = std::string(to_string(hvm.vga));
    member["vga"] = std::move(vga);
    OrderedJson vnc = OrderedJson::object();
    if (hvm.vnc.enable)
        vnc["enable"] = defbool(*hvm.vnc.enable);
    if (!hvm.vnc.listen.empty())
        vnc["listen"] = hvm.vnc.listen;
    if (!hvm.vnc.passwd.empty())
        vnc["passwd"] = hvm.vnc.passwd;
    if (hvm.vnc.display.value_or(0) != 0)  // an integer: libxl omits 0
        vnc["display"] = *hvm.vnc.display;
    if (hvm.vnc.find_unused)
        vnc["findunused"] = defbool(*hvm.vnc.find_unused);
    member["vnc"] = std::move(vnc);
    OrderedJson sdl = OrderedJson::object();
    if (hvm.sdl)
        sdl["enable"] = defbool(*hvm.sdl);
    member["sdl"] = std::move(sdl);
    member["spice"] = OrderedJson::object();
    // xl: one serial device is u.hvm.serial, more are u.hvm.serial_list.
    if (hvm.serial.size() == 1)
        member["serial"] = hvm.serial.front();
    if (!hvm.boot.empty())
        member["boot"] = hvm.boot;
    if (hvm.usb)
        member["usb"] = defbool(*hvm.usb);
    // xl: one usbdevice is u.hvm.usbdevice, a list is u.hvm.usbdevice_list.
    if (hvm.usbdevice.size() == 1)
        member["usbdevice"] = hvm.usbdevice.front();
    if (!hvm.soundhw.empty())
        member["soundhw"] = hvm.soundhw;
    if (hvm.usbdevice.size() > 1)
        member["usbdevice_list"] = hvm.usbdevice;
    if (hvm.serial.size() > 1)
        member["serial_list"] = hvm.serial;
    member["rdm"] = OrderedJson::object();
    return member;
}

Result<void> read_hvm_info(const Fields& hvm, HvmSettings& out)
{
    static constexpr BiosKind bioses[] = {BiosKind::unknown, BiosKind::rombios, BiosKind::seabios, BiosKind::ovmf};
    static constexpr VgaKind vgas[] = {VgaKind::unknown, VgaKind::cirrus, VgaKind::std, VgaKind::none, VgaKind::qxl};
    out.bios = UXL_TRY(hvm.enumeration<BiosKind>("bios", names_of(bioses))).value_or(BiosKind::unknown);
    out.pae = UXL_TRY(hvm.defbool("pae"));
    out.acpi_s3 = UXL_TRY(hvm.defbool("acpi_s3"));
    out.acpi_s4 = UXL_TRY(hvm.defbool("acpi_s4"));
    out.nx = UXL_TRY(hvm.defbool("nx"));
    out.hpet = UXL_TRY(hvm.defbool("hpet"));
    // The deprecated u.hvm.apic, which libxl copies to b_info.apic (read after this).
    out.apic = UXL_TRY(hvm.defbool("apic"));
    out.nographic = UXL_TRY(hvm.defbool("nographic"));
    if (auto vga = UXL_TRY(hvm.object("vga")))
        out.vga = UXL_TRY(vga->enumeration<VgaKind>("kind", names_of(vgas))).value_or(VgaKind::unknown);
    if (auto vnc = UXL_TRY(hvm.object("vnc"))) {
        out.vnc.enable = UXL_TRY(vnc->defbool("enable"));
        out.vnc.listen = UXL_TRY(vnc->string("listen")).value_or("");
        out.vnc.passwd = UXL_TRY(vnc->string("passwd")).value_or("");
        out.vnc.display = UXL_TRY(vnc->integer<int>("display"));
        out.vnc.find_unused = UXL_TRY(vnc->defbool("findunused"));
    }
    if (auto sdl = UXL_TRY(hvm.object("sdl")))
        out.sdl = UXL_TRY(sdl->defbool("enable"));
    if (auto serial = UXL_TRY(hvm.string("serial")))
        out.serial.push_back(*serial);
    UXL_TRY(read_string_list(hvm, "serial_list", out.serial));
    out.boot = UXL_TRY(hvm.string("boot")).value_or("");
    out.usb = UXL_TRY(hvm.defbool("usb"));
    if (auto device = UXL_TRY(hvm.string("usbdevice")))
        out.usbdevice.push_back(*device);
    UXL_TRY(read_string_list(hvm, "usbdevice_list", out.usbdevice));
    out.soundhw = UXL_TRY(hvm.string("soundhw")).value_or("");
    return {};
}

}  // namespace uxl::detail
