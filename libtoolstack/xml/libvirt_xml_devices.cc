// The <devices> of a domain XML → xl/xm config settings (the Importer's device half; see
// libvirt_xml_import.cc for the flow). Each device element has one handler; the devices
// libvirt adds on its own (the xenbus controller, the PV console, the PS/2 or xen inputs)
// are accepted as what uxl gives every guest anyway.
#include "libvirt_xml_parts.h"

#include <algorithm>
#include <cstdio>

namespace uxl::libvirt {
namespace {

// libvirt's disk name → the name uxl gives the same disk: QEMU-style virtio disks (vdX)
// are uxl's xvdX (virtio-blk in the QEMU backend), SATA ones (sdX on bus sata) IDE's hdX.
std::string uxl_vdev(const std::string& dev, const std::string& bus)
{
    if (dev.size() >= 3 && dev.starts_with("vd"))
        return "xv" + dev.substr(1);
    if (bus == "sata" && dev.starts_with("sd"))
        return "hd" + dev.substr(2);
    return dev;
}

}  // namespace

Result<void> Importer::read_devices(const XmlElement& e)
{
    for (const XmlElement& child : e.children) {
        const std::string path = "/domain/devices/" + child.name;
        const std::string type = attr(child, "type");
        if (child.name == "disk") {
            UXL_TRY(read_disk(child));
        } else if (child.name == "interface") {
            UXL_TRY(read_interface(child));
        } else if (child.name == "serial") {
            std::string serial;
            UXL_TRY(read_chardev(child, path, serial));
            m_serials.push_back(serial);
            m_serial_line = m_serial_line ? m_serial_line : child.line;
        } else if (child.name == "console") {
            // libvirt adds one for every guest: the PV console (hvc0), or serial 0 again.
            const XmlElement* target = child.child("target");
            const std::string target_type = target ? attr(*target, "type") : std::string();
            if (!m_hvm && type != "pty" && !m_qemu_style)
                return std::unexpected(refuse(child, path, "a PV console of type '" + type + "' (uxl's is the domain's own console)"));
            if (m_hvm && target_type != "serial" && !target_type.empty())
                return std::unexpected(refuse(child, path, "a console on '" + target_type + "'"));
        } else if (child.name == "parallel") {
            std::string parallel;
            UXL_TRY(read_chardev(child, path, parallel));
            set_string("parallel", parallel, child);
        } else if (child.name == "graphics") {
            UXL_TRY(read_graphics(child));
        } else if (child.name == "video") {
            UXL_TRY(read_video(child));
        } else if (child.name == "input") {
            UXL_TRY(read_input(child));
        } else if (child.name == "hostdev") {
            UXL_TRY(read_hostdev(child));
        } else if (child.name == "sound") {
            UXL_TRY(check_known(child, path, {"model"}, {"address", "alias"}));
            m_sounds.push_back(attr(child, "model"));
        } else if (child.name == "emulator") {
            if (m_qemu_style)
                drop(child, path, "the emulator (uxl runs the host's QEMU)");
            else
                set_string("device_model_override", trimmed(child.text), child);
        } else if (child.name == "watchdog") {
            UXL_TRY(check_known(child, path, {"model", "action"}, {"address", "alias"}));
            const std::string model = attr(child, "model");
            if (model != "i6300esb" && model != "ib700")
                return std::unexpected(refuse(child, path + "/@model", "the watchdog model '" + model + "'"));
            set_string("watchdog", model, child);
            const std::string action = attr(child, "action");
            const char* on = action == "reset" ? "restart"
                             : action == "poweroff" || action == "shutdown" || action.empty() ? "destroy"
                             : action == "pause" ? "preserve"
                             : action == "dump" ? "coredump-destroy" : nullptr;
            if (!on)
                return std::unexpected(refuse(child, path + "/@action", "the watchdog action '" + action + "'"));
            set_string("on_watchdog", on, child);
        } else if (child.name == "memballoon") {
            if (type != "none" && attr(child, "model") != "none")
                drop(child, path, "the balloon device (uxl sets the memory at start only)");
        } else if (child.name == "controller") {
            if (type != "xenbus" && type != "ide" && type != "pci")
                drop(child, path, "the " + type + " controller (uxl adds the controllers its disks need)");
            // The xenbus controller's limits are xl keys (libvirt's xenParseXLGntframes/Evtchns).
            for (auto [attribute, key] : {std::pair{"maxGrantFrames", "max_grant_frames"},
                                          std::pair{"maxEventChannels", "max_event_channels"}}) {
                const std::string value = attr(child, attribute);
                if (type != "xenbus" || value.empty())
                    continue;
                if (!to_number(value))
                    return std::unexpected(refuse(child, path + "/@" + attribute, "the value '" + value + "'"));
                set(key, value, child);
            }
        } else {
            return std::unexpected(refuse(child, path, "<" + child.name + ">"));
        }
    }
    return {};
}

Result<void> Importer::read_disk(const XmlElement& e)
{
    const std::string path = "/domain/devices/disk";
    UXL_TRY(check_known(e, path, {"type", "device", "snapshot"},
                        {"driver", "source", "target", "readonly", "shareable", "address", "alias", "boot", "serial"}));
    const std::string type = attr(e, "type");
    const std::string device = attr(e, "device").empty() ? "disk" : attr(e, "device");
    if (type != "file" && type != "block")
        return std::unexpected(refuse(e, path + "/@type", "a disk of type '" + type + "'"));
    if (device != "disk" && device != "cdrom")
        return std::unexpected(refuse(e, path + "/@device", "a " + device + " device"));

    std::string driver, format, source, dev, bus;
    if (const XmlElement* d = e.child("driver")) {
        for (const auto& [key, value] : d->attributes)
            if (key != "name" && key != "type")
                drop(*d, path + "/driver/@" + key, key + "='" + value + "'");
        driver = attr(*d, "name");
        format = attr(*d, "type");
    }
    if (const XmlElement* s = e.child("source")) {
        UXL_TRY(check_known(*s, path + "/source", {"file", "dev", "startupPolicy"}));
        source = type == "file" ? attr(*s, "file") : attr(*s, "dev");
    }
    const XmlElement* target = e.child("target");
    if (!target || attr(*target, "dev").empty())
        return std::unexpected(invalid(e, path, "expected <target dev='...'/>"));
    UXL_TRY(check_known(*target, path + "/target", {"dev", "bus", "tray"}));
    dev = attr(*target, "dev");
    bus = attr(*target, "bus");
    if (bus == "usb" || bus == "sd" || bus == "fdc")
        return std::unexpected(refuse(*target, path + "/target/@bus", "a disk on bus '" + bus + "'"));
    if (bus == "sata")
        m_out.warnings.push_back(m_source + ":" + std::to_string(target->line) + ": " + path +
                                 "/target: the SATA disk " + dev + " becomes the IDE disk " + uxl_vdev(dev, bus));
    dev = uxl_vdev(dev, bus);
    const bool readonly = e.child("readonly") != nullptr;
    const bool cdrom = device == "cdrom";
    if (e.child("shareable"))
        drop(*e.child("shareable"), path + "/shareable", "sharing (uxl does not check it)");
    if (const XmlElement* boot = e.child("boot"))
        drop(*boot, path + "/boot", "a per-device boot order (uxl boots from <os><boot>)");
    if (const XmlElement* serial = e.child("serial"))
        drop(*serial, path + "/serial", "the disk's serial number");
    if (format == "aio")
        format = "raw";
    if (!format.empty() && format != "raw" && format != "qcow" && format != "qcow2" && format != "vhd" && format != "qed")
        return std::unexpected(refuse(e, path + "/driver/@type", "the disk format '" + format + "'"));

    std::string spec;
    if (m_format == NativeFormat::xen_xm && !m_qemu_style) {
        if (!source.empty()) {
            if (driver == "phy")
                spec = "phy:";
            else if (driver == "tap" || driver == "tap2")
                spec = driver + ":" + (format.empty() || format == "raw" ? "aio" : format) + ":";
            else if (driver == "qemu" && !format.empty() && format != "raw")
                spec = "tap:" + format + ":";
            else
                spec = "file:";
            spec += source;
        }
        spec += "," + dev + (cdrom ? ":cdrom" : "") + "," + (readonly ? "r" : "w");
    } else {
        spec = "format=" + (format.empty() ? std::string("raw") : format) + ",vdev=" + dev +
               ",access=" + (readonly ? "ro" : "rw");
        if (driver == "phy")
            spec += ",backendtype=phy";
        else if (driver == "qemu" || driver == "file")
            spec += ",backendtype=qdisk";
        else if (driver == "tap" || driver == "tap2")
            spec += ",backendtype=tap";
        if (cdrom)
            spec += ",devtype=cdrom";
        if (!source.empty())
            spec += ",target=" + source;
    }
    m_disks.push_back(spec);
    m_disk_line = m_disk_line ? m_disk_line : e.line;
    return {};
}

Result<void> Importer::read_interface(const XmlElement& e)
{
    const std::string path = "/domain/devices/interface";
    UXL_TRY(check_known(e, path, {"type", "trustGuestRxFilters"},
                        {"mac", "source", "script", "model", "target", "ip", "bandwidth", "backenddomain",
                         "address", "alias", "virtualport", "vlan"}));
    const std::string type = attr(e, "type");
    if (type != "bridge" && type != "ethernet")
        return std::unexpected(refuse(e, path + "/@type", "an interface of type '" + type +
                                                             "' (uxl's are type='bridge' or 'ethernet')"));
    std::string spec;
    auto add = [&spec](std::string_view key, std::string_view value) {
        spec += (spec.empty() ? "" : ",") + std::string(key) + "=" + std::string(value);
    };
    if (const XmlElement* mac = e.child("mac"))
        add("mac", attr(*mac, "address"));
    if (const XmlElement* source = e.child("source")) {
        std::string bridge = attr(*source, "bridge");
        if (const XmlElement* vlan = e.child("vlan")) {
            // libvirt's Open vSwitch tags: bridge.TAG, or bridge:TAG:TAG for a trunk.
            const bool trunk = attr(*vlan, "trunk") == "yes" || vlan->children.size() > 1;
            for (const XmlElement& tag : vlan->children)
                bridge += (trunk ? ":" : ".") + attr(tag, "id");
        }
        if (!bridge.empty())
            add("bridge", bridge);
    }
    std::string ips;
    for (const XmlElement& ip : e.children)
        if (ip.name == "ip")
            ips += (ips.empty() ? "" : " ") + attr(ip, "address");
    if (!ips.empty())
        add("ip", ips);
    if (const XmlElement* script = e.child("script"))
        add("script", attr(*script, "path"));
    if (const XmlElement* model = e.child("model")) {
        const std::string name = attr(*model, "type");
        if (name == "netfront")
            add("type", m_format == NativeFormat::xen_xm ? "netfront" : "vif");
        else
            add("model", name);
    } else if (m_hvm && !m_qemu_style) {
        add("type", m_format == NativeFormat::xen_xm ? "netfront" : "vif");
    }
    if (const XmlElement* target = e.child("target"))
        add("vifname", attr(*target, "dev"));
    if (const XmlElement* backend = e.child("backenddomain"))
        add("backend", attr(*backend, "name"));
    if (const XmlElement* bandwidth = e.child("bandwidth")) {
        UXL_TRY(check_known(*bandwidth, path + "/bandwidth", {}, {"outbound", "inbound"}));
        if (const XmlElement* in = bandwidth->child("inbound"))
            return std::unexpected(refuse(*in, path + "/bandwidth/inbound", "an inbound limit (xl limits outbound only)"));
        if (const XmlElement* out = bandwidth->child("outbound")) {
            if (!to_number(attr(*out, "average")))
                return std::unexpected(invalid(*out, path + "/bandwidth/outbound/@average", "expected KiB/s as a number"));
            add("rate", attr(*out, "average") + "KB/s");
        }
    }
    if (const XmlElement* port = e.child("virtualport"); port && attr(*port, "type") != "openvswitch")
        return std::unexpected(refuse(*port, path + "/virtualport", "a virtual port of type '" + attr(*port, "type") + "'"));
    if (const XmlElement* address = e.child("address"))
        drop(*address, path + "/address", "the interface's PCI address");
    m_vifs.push_back(spec);
    m_vif_line = m_vif_line ? m_vif_line : e.line;
    return {};
}

// A character device as xl's serial= (and parallel=) string (libvirt's xenFormatSxprChr).
Result<void> Importer::read_chardev(const XmlElement& e, std::string_view path, std::string& out)
{
    UXL_TRY(check_known(e, path, {"type", "tty"}, {"source", "target", "protocol", "alias", "address", "log"}));
    const std::string type = attr(e, "type");
    std::string connect_host, connect_service, bind_host, bind_service, source_path;
    bool bind = false;
    for (const XmlElement& source : e.children) {
        if (source.name != "source")
            continue;
        source_path = attr(source, "path");
        if (attr(source, "mode") == "bind") {
            bind = true;
            bind_host = attr(source, "host");
            bind_service = attr(source, "service");
        } else {
            connect_host = attr(source, "host");
            connect_service = attr(source, "service");
        }
    }
    if (type == "pty" || type == "null" || type == "stdio" || type == "vc") {
        out = type;
    } else if (type == "file" || type == "pipe") {
        out = type + ":" + source_path;
    } else if (type == "dev") {
        out = source_path;
    } else if (type == "tcp") {
        const XmlElement* protocol = e.child("protocol");
        const std::string scheme = protocol && attr(*protocol, "type") == "telnet" ? "telnet" : "tcp";
        out = bind ? scheme + ":" + bind_host + ":" + bind_service + ",server,nowait"
                   : scheme + ":" + connect_host + ":" + connect_service;
    } else if (type == "udp") {
        out = "udp:" + connect_host + ":" + connect_service;
        if (bind)
            out += "@" + bind_host + ":" + bind_service;
    } else if (type == "unix") {
        out = "unix:" + source_path + (bind ? ",server,nowait" : "");
    } else {
        return std::unexpected(refuse(e, std::string(path) + "/@type", "a character device of type '" + type + "'"));
    }
    return {};
}

Result<void> Importer::read_graphics(const XmlElement& e)
{
    const std::string path = "/domain/devices/graphics";
    const std::string type = attr(e, "type");
    if (type == "sdl") {
        if (m_hvm)
            set("sdl", "1", e);
        else
            m_vfb = "type=sdl";
        return {};
    }
    if (type != "vnc")
        return std::unexpected(refuse(e, path + "/@type", "graphics of type '" + type + "'"));
    UXL_TRY(check_known(e, path, {"type", "port", "autoport", "listen", "passwd", "keymap", "websocket", "sharePolicy"},
                        {"listen"}));
    const std::string port = attr(e, "port");
    const bool autoport = attr(e, "autoport") == "yes" || port.empty() || port == "-1";
    std::string listen = attr(e, "listen");
    if (const XmlElement* l = e.child("listen"); l && listen.empty())
        listen = attr(*l, "address");
    std::string display;
    if (!autoport) {
        const auto number = to_number(port);
        if (!number || *number < 5900)
            return std::unexpected(invalid(e, path + "/@port", "expected a port from 5900 up, not '" + port + "'"));
        display = std::to_string(*number - 5900);
    }
    if (m_hvm) {
        set("vnc", "1", e);
        set("vncunused", autoport ? "1" : "0", e);
        if (!display.empty())
            set("vncdisplay", display, e);
        if (!listen.empty())
            set_string("vnclisten", listen, e);
        if (e.attribute("passwd"))
            set_string("vncpasswd", attr(e, "passwd"), e);
        if (!m_qemu_style)
            set("sdl", "0", e);
    } else {
        m_vfb = "type=vnc,vncunused=" + std::string(autoport ? "1" : "0");
        if (!display.empty())
            m_vfb += ",vncdisplay=" + display;
        if (!listen.empty())
            m_vfb += ",vnclisten=" + listen;
        if (e.attribute("passwd"))
            m_vfb += ",vncpasswd=" + attr(e, "passwd");
    }
    if (e.attribute("keymap"))
        drop(e, path + "/@keymap", "the keymap");
    return {};
}

Result<void> Importer::read_video(const XmlElement& e)
{
    const std::string path = "/domain/devices/video/model";
    const XmlElement* model = e.child("model");
    if (!model)
        return {};
    UXL_TRY(check_known(*model, path, {"type", "vram", "heads", "primary", "ram", "vgamem"}));
    const std::string type = attr(*model, "type");
    unsigned long long default_vram = 8192;
    if (type == "vga") {
        set("stdvga", "1", *model);
        default_vram = 16384;
    } else if (type == "qxl") {
        set_string("vga", "qxl", *model);
    } else if (type == "none") {
        set_string("vga", "none", *model);
    } else if (type == "xen") {
        default_vram = 4096;
    } else if (type != "cirrus") {
        return std::unexpected(refuse(*model, path + "/@type", "the video model '" + type + "'"));
    }
    if (const auto vram = to_number(attr(*model, "vram")); vram && *vram != default_vram && type != "xen")
        set("videoram", std::to_string(*vram / 1024), *model);
    return {};
}

Result<void> Importer::read_input(const XmlElement& e)
{
    const std::string type = attr(e, "type");
    const std::string bus = attr(e, "bus");
    if (bus == "usb" && (type == "tablet" || type == "mouse")) {
        set("usb", "1", e);
        m_usbdevices.push_back(type);
        return {};
    }
    if ((type == "mouse" || type == "keyboard") && (bus == "ps2" || bus == "xen" || bus.empty()))
        return {};  // every guest has them
    return std::unexpected(refuse(e, "/domain/devices/input", "an input of type '" + type + "' on bus '" + bus + "'"));
}

Result<void> Importer::read_hostdev(const XmlElement& e)
{
    const std::string path = "/domain/devices/hostdev";
    if (attr(e, "mode") != "subsystem" || attr(e, "type") != "pci")
        return std::unexpected(refuse(e, path, "a host device other than a PCI one (mode='subsystem' type='pci')"));
    const XmlElement* source = e.child("source");
    const XmlElement* address = source ? source->child("address") : nullptr;
    if (!address)
        return std::unexpected(invalid(e, path, "expected <source><address domain= bus= slot= function=/></source>"));
    const auto domain = to_number(attr(*address, "domain"), 16);
    const auto bus = to_number(attr(*address, "bus"), 16);
    const auto slot = to_number(attr(*address, "slot"), 16);
    const auto function = to_number(attr(*address, "function"), 16);
    if (!domain || !bus || !slot || !function || *domain > 0xffff || *bus > 0xff || *slot > 0x1f || *function > 7)
        return std::unexpected(invalid(*address, path + "/source/address", "expected hex numbers for domain, bus, slot and function"));
    char bdf[32];
    std::snprintf(bdf, sizeof bdf, "%04llx:%02llx:%02llx.%llx", *domain, *bus, *slot, *function);
    std::string spec = bdf;
    if (attr(*source, "writeFiltering") == "no")
        spec += ",permissive=1";
    m_pcis.push_back(spec);
    return {};
}

}  // namespace uxl::libvirt
