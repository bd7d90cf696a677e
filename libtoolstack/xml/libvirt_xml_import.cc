// Domain XML → xl/xm config settings (uxl/libvirt_xml.h).
//
//   1. the root must be <domain type='xen'|'kvm'|'qemu'>;
//   2. each child of <domain>, then of <devices>, goes to its handler by name; a name with
//      no handler is refused, so nothing is ever dropped without a word;
//   3. the settings come out in libvirt's key order (k_key_order), whatever the XML order.
// An attribute or child element a handler does not read is refused too (check_known).
#include "libvirt_xml_parts.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

namespace uxl::libvirt {
namespace {

// libvirt's xen driver writes the keys in this order (xenFormatConfigCommon and friends).
constexpr std::string_view k_key_order[] = {
    "name", "uuid", "maxmem", "memory", "maxvcpus", "vcpus", "cpus", "backend", "pae", "acpi",
    "apic", "hap", "viridian", "nestedhvm", "passthrough", "e820_host", "hpet", "tsc_mode",
    "rtc_timeoffset", "localtime", "on_poweroff", "on_reboot", "on_crash", "device_model_override",
    "sdl", "vnc", "vncunused", "vncdisplay", "vnclisten", "vncpasswd", "stdvga", "vga", "videoram",
    "vfb", "vif", "parallel", "serial", "soundhw", "builder", "type", "bios", "bios_path_override",
    "bootloader", "bootloader_args", "kernel", "ramdisk", "cmdline", "extra", "root", "boot", "usb",
    "usbdevice", "pci", "watchdog", "on_watchdog", "disk",
};

}  // namespace

Result<void> Importer::check_known(const XmlElement& e, std::string_view path,
                                   std::initializer_list<std::string_view> attributes,
                                   std::initializer_list<std::string_view> children) const
{
    for (const auto& [key, value] : e.attributes)
        if (std::find(attributes.begin(), attributes.end(), key) == attributes.end())
            return std::unexpected(refuse(e, std::string(path) + "/@" + key, "the attribute " + key + "='" + value + "'"));
    for (const XmlElement& child : e.children)
        if (std::find(children.begin(), children.end(), child.name) == children.end())
            return std::unexpected(refuse(child, std::string(path) + "/" + child.name, "<" + child.name + ">"));
    return {};
}

namespace {

// libvirt's memory units → KiB (virScaleInteger: KB is 1000, K/KiB 1024).
std::optional<unsigned long long> to_kib(unsigned long long value, std::string_view unit)
{
    struct Scale {
        std::string_view unit;
        unsigned long long multiply, divide;
    };
    static constexpr Scale scales[] = {
        {"", 1, 1}, {"k", 1, 1}, {"K", 1, 1}, {"KiB", 1, 1}, {"KB", 1000, 1024}, {"b", 1, 1024},
        {"bytes", 1, 1024}, {"M", 1024, 1}, {"MiB", 1024, 1}, {"MB", 1000000, 1024},
        {"G", 1 << 20, 1}, {"GiB", 1 << 20, 1}, {"GB", 1000000000, 1024},
        {"T", 1ull << 30, 1}, {"TiB", 1ull << 30, 1}, {"TB", 1000000000000ull, 1024},
    };
    for (const Scale& s : scales)
        if (s.unit == unit) {
            if (value > ~0ull / s.multiply)
                return std::nullopt;
            return (value * s.multiply + s.divide - 1) / s.divide;
        }
    return std::nullopt;
}

}  // namespace

Result<void> Importer::read_memory(const XmlElement& e, std::string_view path, std::string key)
{
    UXL_TRY(check_known(e, path, {"unit", "dumpCore", "slots"}));
    const auto value = to_number(trimmed(e.text));
    const auto kib = value ? to_kib(*value, attr(e, "unit")) : std::nullopt;
    if (!kib)
        return std::unexpected(invalid(e, path, "expected a size with a unit of libvirt's (KiB, MiB, ...), not '" +
                                                    trimmed(e.text) + "' '" + attr(e, "unit") + "'"));
    set(std::move(key), std::to_string((*kib + 1023) / 1024), e);
    return {};
}

Result<void> Importer::read_vcpu(const XmlElement& e)
{
    UXL_TRY(check_known(e, "/domain/vcpu", {"placement", "cpuset", "current"}));
    const std::string max = trimmed(e.text);
    if (!to_number(max))
        return std::unexpected(invalid(e, "/domain/vcpu", "expected a number of vCPUs, not '" + max + "'"));
    if (const std::string* current = e.attribute("current"); current && *current != max) {
        if (!to_number(*current))
            return std::unexpected(invalid(e, "/domain/vcpu/@current", "expected a number, not '" + *current + "'"));
        set("maxvcpus", max, e);
        set("vcpus", *current, e);
    } else {
        set("vcpus", max, e);
    }
    if (const std::string* cpuset = e.attribute("cpuset"))
        set_string("cpus", *cpuset, e);
    if (attr(e, "placement") == "auto")
        drop(e, "/domain/vcpu/@placement", "placement='auto' (libxl places vCPUs itself)");
    return {};
}

Result<void> Importer::read_os(const XmlElement& e)
{
    UXL_TRY(check_known(e, "/domain/os", {}, {"type", "loader", "kernel", "initrd", "cmdline", "boot", "bootmenu", "nvram"}));
    std::string kernel, cmdline;
    for (const XmlElement& child : e.children) {
        const std::string path = "/domain/os/" + child.name;
        const std::string text = trimmed(child.text);
        if (child.name == "type") {
            UXL_TRY(check_known(child, path, {"arch", "machine"}));
            const std::string machine = attr(child, "machine");
            if (text == "hvm") {
                m_hvm = true;
                if (!m_qemu_style)
                    set_string("builder", "hvm", child);
                else
                    set_string("type", "hvm", child);
            } else if (text == "xenpvh" || machine == "xenpvh") {
                if (m_qemu_style)
                    return std::unexpected(refuse(child, path, "os type '" + text + "' under <domain type='kvm'>"));
                set_string("type", "pvh", child);
            } else if (text == "linux" || text == "xen") {
                if (m_qemu_style)
                    return std::unexpected(refuse(child, path, "os type '" + text + "' under <domain type='kvm'>"));
            } else {
                return std::unexpected(refuse(child, path, "os type '" + text + "'"));
            }
        } else if (child.name == "loader") {
            UXL_TRY(check_known(child, path, {"type", "readonly", "secure"}));
            if (attr(child, "type") == "pflash") {
                set_string("bios", "ovmf", child);
                if (!m_qemu_style)
                    set_string("bios_path_override", text, child);
                else
                    drop(child, path, "the firmware's path (uxl uses OVMF from the host's ovmf package)");
            } else if (m_format == NativeFormat::xen_xm && !m_qemu_style) {
                set_string("kernel", text, child);  // xm's HVM guests "boot" hvmloader
            } else if (!text.empty() && text != "/usr/lib/xen/boot/hvmloader") {
                drop(child, path, "the BIOS image '" + text + "'");
            }
        } else if (child.name == "kernel") {
            UXL_TRY(check_known(child, path, {}));
            kernel = text;
        } else if (child.name == "initrd") {
            UXL_TRY(check_known(child, path, {}));
            set_string("ramdisk", text, child);
        } else if (child.name == "cmdline") {
            UXL_TRY(check_known(child, path, {}));
            cmdline = text;
            if (m_format == NativeFormat::xen_xm)
                set_string("extra", text, child);
            else
                set_string("cmdline", text, child);
        } else if (child.name == "boot") {
            UXL_TRY(check_known(child, path, {"dev"}));
            const std::string dev = attr(child, "dev");
            const char letter = dev == "hd" ? 'c' : dev == "cdrom" ? 'd' : dev == "fd" ? 'a' : dev == "network" ? 'n' : 0;
            if (!letter)
                return std::unexpected(invalid(child, path + "/@dev", "expected hd, cdrom, fd or network, not '" + dev + "'"));
            m_boot += letter;
        } else if (child.name == "bootmenu") {
            drop(child, path, "the boot menu");
        } else {
            return std::unexpected(refuse(child, path, "<" + child.name + ">"));
        }
        if (child.name == "kernel")
            set_string("kernel", kernel, child);
    }
    if (m_hvm && !m_boot.empty())
        set_string("boot", m_boot, e);
    else if (!m_boot.empty() && m_boot != "c")
        drop(e, "/domain/os/boot", "a boot order for a guest that boots its kernel directly");
    return {};
}

Result<void> Importer::read_features(const XmlElement& e)
{
    UXL_TRY(check_known(e, "/domain/features", {}, {"acpi", "apic", "pae", "hap", "viridian", "hyperv", "xen", "vmport", "privnet"}));
    for (const XmlElement& child : e.children) {
        const std::string path = "/domain/features/" + child.name;
        const std::string state = attr(child, "state");
        const std::string on = state == "off" ? "0" : "1";
        if (child.name == "acpi" || child.name == "apic" || child.name == "pae") {
            UXL_TRY(check_known(child, path, {"eoi"}));
            set(child.name, "1", child);
        } else if (child.name == "hap" || child.name == "viridian") {
            UXL_TRY(check_known(child, path, {"state"}));
            set(child.name, on, child);
        } else if (child.name == "hyperv") {
            if (!child.children.empty() || attr(child, "mode") != "passthrough")
                set("viridian", "1", child);
        } else if (child.name == "xen") {
            UXL_TRY(check_known(child, path, {}, {"passthrough", "e820_host"}));
            for (const XmlElement& xen : child.children) {
                UXL_TRY(check_known(xen, path + "/" + xen.name, {"state", "mode"}));
                if (xen.name == "e820_host")
                    set("e820_host", attr(xen, "state") == "on" ? "1" : "0", xen);
                else if (attr(xen, "state") == "on")
                    set_string("passthrough", xen.attribute("mode") ? attr(xen, "mode") : "enabled", xen);
                else
                    set_string("passthrough", "disabled", xen);
            }
        } else {
            drop(child, path, "<" + child.name + ">");
        }
    }
    return {};
}

Result<void> Importer::read_clock(const XmlElement& e)
{
    UXL_TRY(check_known(e, "/domain/clock", {"offset", "adjustment", "basis", "timezone"}, {"timer"}));
    const std::string offset = attr(e, "offset");
    if (offset == "utc" || offset == "localtime") {
        set("localtime", offset == "localtime" ? "1" : "0", e);
        if (m_hvm)
            set("rtc_timeoffset", "0", e);
    } else if (offset == "variable") {
        const std::string adjustment = attr(e, "adjustment");
        long value = 0;
        const auto [end, ec] = std::from_chars(adjustment.data(), adjustment.data() + adjustment.size(), value);
        if (ec != std::errc() || end != adjustment.data() + adjustment.size())
            return std::unexpected(invalid(e, "/domain/clock/@adjustment", "expected a number of seconds, not '" + adjustment + "'"));
        set("rtc_timeoffset", std::to_string(value), e);
        set("localtime", attr(e, "basis") == "localtime" ? "1" : "0", e);
    } else {
        return std::unexpected(refuse(e, "/domain/clock/@offset", "offset='" + offset + "'"));
    }
    for (const XmlElement& timer : e.children) {
        const std::string path = "/domain/clock/timer";
        UXL_TRY(check_known(timer, path, {"name", "present", "mode", "tickpolicy", "track"}));
        const std::string name = attr(timer, "name");
        if (name == "hpet") {
            set("hpet", attr(timer, "present") == "no" ? "0" : "1", timer);
        } else if (name == "tsc") {
            const std::string mode = attr(timer, "mode");
            if (mode == "auto" || mode == "native" || mode == "emulate")
                set_string("tsc_mode", mode == "auto" ? "default" : mode == "emulate" ? "always_emulate" : "native", timer);
            else if (mode == "paravirt")
                set_string("tsc_mode", "native_paravirt", timer);
            else
                return std::unexpected(refuse(timer, path + "/@mode", "tsc mode '" + mode + "'"));
        } else {
            return std::unexpected(refuse(timer, path, "the timer '" + name + "'"));
        }
    }
    return {};
}

Result<NativeConfig> Importer::run(const XmlElement& root)
{
    if (root.name != "domain")
        return std::unexpected(invalid(root, "/" + root.name, "expected the root element <domain>"));
    const std::string type = attr(root, "type");
    if (type == "kvm" || type == "qemu") {
        m_qemu_style = true;
        set_string("backend", "qemu", root);
    } else if (type != "xen") {
        return std::unexpected(refuse(root, "/domain/@type", "domain type '" + type + "' (expected xen, kvm or qemu)"));
    }
    for (const auto& [key, value] : root.attributes)
        if (key == "id")
            drop(root, "/domain/@id", "the domain id of a running domain");
        else if (key != "type" && !key.starts_with("xmlns"))
            return std::unexpected(refuse(root, "/domain/@" + key, "the attribute " + key));

    // os first: whether the guest is HVM decides how much else reads.
    if (const XmlElement* os = root.child("os"))
        UXL_TRY(read_os(*os));
    else
        return std::unexpected(invalid(root, "/domain", "expected <os>"));

    for (const XmlElement& child : root.children) {
        const std::string path = "/domain/" + child.name;
        const std::string text = trimmed(child.text);
        if (child.name == "name" || child.name == "uuid" || child.name == "bootloader") {
            UXL_TRY(check_known(child, path, {}));
            set_string(child.name, text, child);
        } else if (child.name == "bootloader_args") {
            set_string("bootloader_args", text, child);
        } else if (child.name == "memory") {
            UXL_TRY(read_memory(child, path, "maxmem"));
        } else if (child.name == "currentMemory") {
            UXL_TRY(read_memory(child, path, "memory"));
        } else if (child.name == "vcpu") {
            UXL_TRY(read_vcpu(child));
        } else if (child.name == "os") {
            // read above
        } else if (child.name == "features") {
            UXL_TRY(read_features(child));
        } else if (child.name == "clock") {
            UXL_TRY(read_clock(child));
        } else if (child.name == "on_poweroff" || child.name == "on_reboot" || child.name == "on_crash") {
            UXL_TRY(check_known(child, path, {}));
            if (!parse_shutdown_action(text) || text == "soft-reset")
                return std::unexpected(invalid(child, path, "expected destroy, restart, preserve, rename-restart, "
                                                             "coredump-destroy or coredump-restart, not '" + text + "'"));
            set_string(child.name, text, child);
        } else if (child.name == "devices") {
            UXL_TRY(read_devices(child));
        } else if (child.name == "title" || child.name == "description" || child.name == "metadata" ||
                   child.name == "seclabel" || child.name == "pm" || child.name == "resource") {
            if (child.name == "metadata")
                if (const XmlElement* uxl = child.child("uxl:domain"))
                    if (const XmlElement* backend = uxl->child("uxl:backend")) {
                        set_string("backend", trimmed(backend->text), *backend);
                        continue;
                    }
            drop(child, path, "<" + child.name + "> (uxl has no place for it)");
        } else if (child.name == "cpu") {
            // libvirt's way of saying nestedhvm: the vmx/svm feature.
            UXL_TRY(check_known(child, path, {"mode", "match", "check", "migratable"}, {"feature"}));
            for (const XmlElement& feature : child.children) {
                UXL_TRY(check_known(feature, path + "/feature", {"policy", "name"}));
                const std::string name = attr(feature, "name");
                if (name != "vmx" && name != "svm")
                    return std::unexpected(refuse(feature, path + "/feature", "the CPU feature '" + name + "'"));
                set("nestedhvm", attr(feature, "policy") == "disable" ? "0" : "1", feature);
            }
            if (child.children.empty() && attr(child, "mode") == "host-passthrough")
                set("nestedhvm", "1", child);
            else if (child.children.empty())
                drop(child, path, "the CPU model");
        } else {
            return std::unexpected(refuse(child, path, "<" + child.name + ">"));
        }
    }
    if (!m_settings.contains("memory") && m_settings.contains("maxmem"))
        m_settings["memory"] = NativeSetting{"memory", m_settings["maxmem"].value, m_settings["maxmem"].xml_line};

    auto list = [](const std::vector<std::string>& items) {
        std::string out = "[ ";
        for (std::size_t i = 0; i < items.size(); ++i)
            out += (i ? ", " : "") + quote(items[i]);
        return out + " ]";
    };
    if (!m_vfb.empty())
        m_settings["vfb"] = NativeSetting{"vfb", list({m_vfb}), 0};
    if (!m_vifs.empty())
        m_settings["vif"] = NativeSetting{"vif", list(m_vifs), m_vif_line};
    if (!m_disks.empty())
        m_settings["disk"] = NativeSetting{"disk", list(m_disks), m_disk_line};
    if (!m_pcis.empty())
        m_settings["pci"] = NativeSetting{"pci", list(m_pcis), 0};
    if (!m_sounds.empty()) {
        std::string joined;
        for (const std::string& s : m_sounds)
            joined += (joined.empty() ? "" : ",") + s;
        m_settings["soundhw"] = NativeSetting{"soundhw", quote(joined), 0};
    }
    if (!m_usbdevices.empty())
        m_settings["usbdevice"] = NativeSetting{"usbdevice", m_usbdevices.size() == 1 ? quote(m_usbdevices[0]) : list(m_usbdevices), 0};
    if (m_hvm) {
        m_settings.try_emplace("parallel", NativeSetting{"parallel", quote("none"), 0});
        m_settings["serial"] = NativeSetting{"serial",
                                             m_serials.empty() ? quote("none")
                                             : m_serials.size() == 1 ? quote(m_serials[0])
                                                                     : list(m_serials),
                                             m_serial_line};
        if (!m_qemu_style) {
            for (std::string_view key : {"pae", "acpi", "apic"})
                m_settings.try_emplace(std::string(key), NativeSetting{std::string(key), "0", 0});
            m_settings.try_emplace("viridian", NativeSetting{"viridian", "0", 0});
            m_settings.try_emplace("sdl", NativeSetting{"sdl", "0", 0});
            m_settings.try_emplace("vnc", NativeSetting{"vnc", "0", 0});
        }
    } else if (!m_serials.empty()) {
        drop(root, "/domain/devices/serial", "a serial port of a PV guest (its console is hvc0)");
    }

    for (std::string_view key : k_key_order)
        if (auto it = m_settings.find(std::string(key)); it != m_settings.end()) {
            m_out.settings.push_back(it->second);
            m_settings.erase(it);
        }
    for (auto& [key, setting] : m_settings)
        m_out.settings.push_back(setting);
    return std::move(m_out);
}
std::string attr(const XmlElement& e, std::string_view key)
{
    const std::string* value = e.attribute(key);
    return value ? *value : std::string();
}

std::string trimmed(std::string_view text)
{
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos)
        return {};
    const auto end = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(begin, end - begin + 1));
}

std::optional<unsigned long long> to_number(std::string_view text, int base)
{
    if (base == 16 && (text.starts_with("0x") || text.starts_with("0X")))
        text.remove_prefix(2);
    unsigned long long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

std::string quote(std::string_view text)
{
    if (text.find('\\') == std::string_view::npos && text.find('\n') == std::string_view::npos) {
        if (text.find('"') == std::string_view::npos)
            return "\"" + std::string(text) + "\"";
        if (text.find('\'') == std::string_view::npos)
            return "'" + std::string(text) + "'";
    }
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

std::string NativeConfig::text() const
{
    std::string out;
    for (const NativeSetting& setting : settings)
        out += setting.key + " = " + setting.value + "\n";
    return out;
}

Result<NativeConfig> import_domain(const XmlElement& root, std::string_view source, NativeFormat format)
{
    return Importer(source, format).run(root);
}

}  // namespace uxl::libvirt
