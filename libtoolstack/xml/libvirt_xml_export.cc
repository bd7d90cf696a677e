// A domain (and the Xen-only keys of its config) → the domain XML libvirt's xen driver
// writes for it (uxl/libvirt_xml.h). The devices libvirt adds by itself are added here too
// (xenbus controller, IDE controller, PV console, inputs, video, memballoon), in libvirt's
// device order: disk, controller, interface, serial, parallel, console, input, graphics,
// sound, video, hostdev, watchdog, memballoon.
#include "libvirt_xml_export.h"

#include "uxl/cpu_list.h"
#include "uxl/vdev.h"

#include <cstdio>
#include <cstdlib>

namespace uxl::libvirt {
namespace {

XmlElement element(std::string name, std::vector<std::pair<std::string, std::string>> attributes = {},
                   std::string text = {})
{
    XmlElement e;
    e.name = std::move(name);
    e.attributes = std::move(attributes);
    e.text = std::move(text);
    return e;
}

// xl's serial= string → <serial type=...> with its sources (libvirt's xenParseSxprChar).
XmlElement chardev(const std::string& name, std::string_view spec, int port)
{
    XmlElement e = element(name);
    auto type = [&](std::string t) { e.attributes.emplace_back("type", std::move(t)); };
    auto source = [&](std::vector<std::pair<std::string, std::string>> a) { e.children.push_back(element("source", std::move(a))); };
    auto split_host = [](std::string_view text) {
        const auto colon = text.rfind(':');
        return colon == std::string_view::npos ? std::pair<std::string, std::string>{std::string(text), ""}
                                               : std::pair<std::string, std::string>{std::string(text.substr(0, colon)),
                                                                                     std::string(text.substr(colon + 1))};
    };
    const bool server = spec.find(",server") != std::string_view::npos;
    const std::string_view body = spec.substr(0, spec.find(','));
    if (spec == "pty" || spec == "null" || spec == "stdio" || spec == "vc") {
        type(std::string(spec));
    } else if (spec.starts_with("file:") || spec.starts_with("pipe:")) {
        type(std::string(spec.substr(0, 4)));
        source({{"path", std::string(spec.substr(5))}});
    } else if (spec.starts_with("/")) {
        type("dev");
        source({{"path", std::string(spec)}});
    } else if (spec.starts_with("tcp:") || spec.starts_with("telnet:")) {
        const bool telnet = spec.starts_with("telnet:");
        type("tcp");
        auto [host, service] = split_host(body.substr(telnet ? 7 : 4));
        source({{"mode", server ? "bind" : "connect"}, {"host", host}, {"service", service}});
        e.children.push_back(element("protocol", {{"type", telnet ? "telnet" : "raw"}}));
    } else if (spec.starts_with("udp:")) {
        type("udp");
        const std::string_view rest = body.substr(4);
        const auto at = rest.find('@');
        auto [host, service] = split_host(rest.substr(0, at));
        if (at != std::string_view::npos) {
            auto [bind_host, bind_service] = split_host(rest.substr(at + 1));
            source({{"mode", "bind"}, {"host", bind_host}, {"service", bind_service}});
        }
        source({{"mode", "connect"}, {"host", host}, {"service", service}});
    } else if (spec.starts_with("unix:")) {
        type("unix");
        source({{"mode", server ? "bind" : "connect"}, {"path", std::string(body.substr(5))}});
    } else {
        type("pty");
    }
    if (port >= 0)
        e.children.push_back(element("target", {{"port", std::to_string(port)}}));
    return e;
}

// The value of KEY= in a comma-separated config entry ("format=raw,vdev=hdd"), or "".
std::string entry_value(std::string_view entry, std::string_view key)
{
    for (std::size_t start = 0; start <= entry.size();) {
        const auto comma = entry.find(',', start);
        std::string_view token = entry.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        while (!token.empty() && token.front() == ' ')
            token.remove_prefix(1);
        while (!token.empty() && token.back() == ' ')
            token.remove_suffix(1);
        if (token.size() > key.size() && token.starts_with(key) && token[key.size()] == '=')
            return std::string(token.substr(key.size() + 1));
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return "";
}

// `raw`: the config's entry for the disk, when converting a config (else empty).
XmlElement disk_element(const DiskSpec& disk, bool hvm, NativeFormat format, std::string_view raw)
{
    // xm's phy: prefix leaves no backend in the spec: a /dev path is then a block device.
    // (xl's positional "/dev/...,raw,xvda,w" names no backend: libvirt says file.)
    const bool phy = disk.backend == DiskBackend::phy ||
                     (format == NativeFormat::xen_xm && disk.backend == DiskBackend::unknown && disk.pdev_path &&
                      disk.pdev_path->starts_with("/dev/"));
    const bool cdrom = disk.is_cdrom;
    const bool has_source = disk.pdev_path && !disk.pdev_path->empty();
    // xm's empty cdrom (",hdc:cdrom,r"): libvirt's xm parser makes it a phy block device.
    const bool xm_empty = format == NativeFormat::xen_xm && !has_source && !raw.empty();
    XmlElement e = element("disk", {{"type", phy || xm_empty ? "block" : "file"}, {"device", cdrom ? "cdrom" : "disk"}});
    std::string driver = (phy && disk.backend != DiskBackend::qdisk) || xm_empty ? "phy"
                         : disk.backend == DiskBackend::tap ? "tap"
                         : raw.starts_with("tap2:") ? "tap2"
                         : raw.starts_with("tap:") ? "tap"
                         : format == NativeFormat::xen_xm && disk.backend == DiskBackend::unknown ? "file"
                                                                                                 : "qemu";
    // An empty cdrom's format= is dropped by libxl's defaults (format empty); libvirt keeps it.
    const std::string written_format = has_source ? "" : entry_value(raw, "format");
    std::vector<std::pair<std::string, std::string>> driver_attributes{{"name", driver}};
    if (disk.format != DiskFormat::unknown && disk.format != DiskFormat::empty)
        driver_attributes.emplace_back("type", to_string(disk.format));
    else if (!written_format.empty())
        driver_attributes.emplace_back("type", written_format);
    else if (has_source || xm_empty)
        driver_attributes.emplace_back("type", "raw");
    if (has_source || xm_empty || !written_format.empty() || disk.format != DiskFormat::empty)
        e.children.push_back(element("driver", driver_attributes));
    if (has_source)
        e.children.push_back(element("source", {{phy ? "dev" : "file", *disk.pdev_path}}));
    const std::string vdev = disk.vdev.value_or("");
    std::string bus = vdev.starts_with("hd") ? "ide" : vdev.starts_with("sd") ? "scsi" : "xen";
    if (!hvm && bus != "xen")
        bus = "xen";
    e.children.push_back(element("target", {{"dev", vdev}, {"bus", bus}}));
    if (!disk.readwrite)
        e.children.push_back(element("readonly"));
    if (bus == "ide" || bus == "scsi") {
        const int index = vdev.size() > 2 ? vdev[2] - 'a' : 0;
        const int per_bus = bus == "ide" ? 2 : 7;
        e.children.push_back(element("address", {{"type", "drive"}, {"controller", "0"},
                                                 {"bus", std::to_string(bus == "ide" ? index / per_bus : 0)},
                                                 {"target", "0"},
                                                 {"unit", std::to_string(bus == "ide" ? index % per_bus : index)}}));
    }
    return e;
}

// `raw`: the config's entry for the NIC, when converting a config (else empty).
XmlElement interface_element(const VifSpec& nic, std::string_view raw)
{
    XmlElement e = element("interface", {{"type", nic.bridge ? "bridge" : "ethernet"}});
    if (!nic.mac.is_zero())
        e.children.push_back(element("mac", {{"address", nic.mac.to_string()}}));
    if (nic.bridge) {
        // Open vSwitch tags: bridge.TAG and bridge:TAG:TAG (libvirt's xenParseVif).
        std::string bridge = *nic.bridge;
        std::vector<std::string> tags;
        const auto cut = bridge.find_first_of(".:");
        const bool trunk = cut != std::string::npos && bridge[cut] == ':';
        if (cut != std::string::npos) {
            std::string rest = bridge.substr(cut + 1);
            bridge.resize(cut);
            for (std::size_t start = 0; start <= rest.size();) {
                const auto next = rest.find_first_of(".:", start);
                tags.push_back(rest.substr(start, next - start));
                if (next == std::string::npos)
                    break;
                start = next + 1;
            }
        }
        e.children.push_back(element("source", {{"bridge", bridge}}));
        if (!tags.empty()) {
            XmlElement vlan = element("vlan");
            if (trunk)
                vlan.attributes.emplace_back("trunk", "yes");
            for (const std::string& tag : tags)
                vlan.children.push_back(element("tag", {{"id", tag}}));
            e.children.push_back(std::move(vlan));
            e.children.push_back(element("virtualport", {{"type", "openvswitch"}}));
        }
    }
    if (nic.ip) {
        std::string_view ips = *nic.ip;
        while (!ips.empty()) {
            const auto space = ips.find(' ');
            if (space != 0)
            {
                const std::string address(ips.substr(0, space));
                e.children.push_back(element("ip", {{"address", address},
                                                    {"family", address.find(':') == std::string::npos ? "ipv4" : "ipv6"}}));
            }
            ips = space == std::string_view::npos ? std::string_view() : ips.substr(space + 1);
        }
    }
    if (nic.rate_bytes_per_interval && nic.rate_interval_usecs) {
        XmlElement bandwidth = element("bandwidth");
        const unsigned long long kib = nic.rate_bytes_per_interval * 1000000ull / nic.rate_interval_usecs / 1000;
        bandwidth.children.push_back(element("outbound", {{"average", std::to_string(kib)}}));
        e.children.push_back(std::move(bandwidth));
    }
    if (nic.script)
        e.children.push_back(element("script", {{"path", *nic.script}}));
    if (nic.ifname)
        e.children.push_back(element("target", {{"dev", *nic.ifname}}));
    if (nic.model)
        e.children.push_back(element("model", {{"type", *nic.model}}));
    else if (nic.nictype == NicType::vif || entry_value(raw, "type") == "netfront")
        e.children.push_back(element("model", {{"type", "netfront"}}));
    if (nic.backend_domname)
        e.children.push_back(element("backenddomain", {{"name", *nic.backend_domname}}));
    return e;
}

XmlElement graphics_element(bool autoport, std::optional<int> display, const std::string& listen,
                            const std::optional<std::string>& passwd, bool from_config)
{
    XmlElement e = element("graphics", {{"type", "vnc"}, {"port", autoport ? "-1" : std::to_string(5900 + display.value_or(0))},
                                        {"autoport", autoport ? "yes" : "no"}});
    if (!listen.empty())
        e.attributes.emplace_back("listen", listen);
    if (passwd)
        e.attributes.emplace_back("passwd", *passwd);
    if (!listen.empty())
        e.children.push_back(element("listen", {{"type", "address"}, {"address", listen}}));
    else if (from_config)  // libvirt's xenParseVfb: a listen of no address
        e.children.push_back(element("listen", {{"type", "address"}}));
    return e;
}

}  // namespace

XmlElement export_domain(const DomainSpec& spec, const ConfigExtras& extras, NativeFormat format)
{
    auto extra = [&](std::string_view key) -> std::optional<std::string> {
        if (auto it = extras.values.find(key); it != extras.values.end())
            return it->second;
        return std::nullopt;
    };
    const bool hvm = spec.type == DomainType::hvm;
    XmlElement domain = element("domain", {{"type", spec.backend == BackendKind::qemu && !hvm ? "xen" : "xen"}});
    auto add = [&domain](XmlElement e) { domain.children.push_back(std::move(e)); };
    add(element("name", {}, spec.name));
    add(element("uuid", {}, uuid_to_string(spec.uuid)));
    const std::uint64_t max_kib = spec.max_memkb.value_or(spec.target_memkb.value_or(128 * 1024));
    add(element("memory", {{"unit", "KiB"}}, std::to_string(max_kib)));
    add(element("currentMemory", {{"unit", "KiB"}}, std::to_string(spec.target_memkb.value_or(max_kib))));
    XmlElement vcpu = element("vcpu", {{"placement", "static"}}, std::to_string(spec.max_vcpus));
    if (!extras.cpus.empty())
        vcpu.attributes.emplace_back("cpuset", extras.cpus);
    if (spec.vcpus != spec.max_vcpus)
        vcpu.attributes.emplace_back("current", std::to_string(spec.vcpus));
    add(std::move(vcpu));
    if (!spec.bootloader.empty())
        add(element("bootloader", {}, spec.bootloader));
    if (!spec.bootloader_args.empty()) {
        std::string args;
        for (const std::string& a : spec.bootloader_args)
            args += (args.empty() ? "" : " ") + a;
        add(element("bootloader_args", {}, args));
    }
    // The backend goes into uxl's own metadata when the config named it or it is not the
    // one the domain type implies (QEMU for HVM, UML otherwise).
    const BackendKind implied = hvm ? BackendKind::qemu : BackendKind::uml;
    if (extra("backend") || (!extras.from_config && spec.backend != implied)) {
        XmlElement metadata = element("metadata");
        XmlElement mine = element("uxl:domain", {{"xmlns:uxl", "https://uxl.invalid/xmlns/domain/1"}});
        mine.children.push_back(element("uxl:backend", {}, std::string(to_string(spec.backend))));
        metadata.children.push_back(std::move(mine));
        add(std::move(metadata));
    }

    // <os>
    XmlElement os = element("os");
    const char* machine = hvm ? "xenfv" : spec.type == DomainType::pvh ? "xenpvh" : "xenpv";
    const char* os_type = hvm ? "hvm" : spec.type == DomainType::pvh ? "xenpvh" : "linux";
    os.children.push_back(element("type", {{"arch", "x86_64"}, {"machine", machine}}, os_type));
    if (hvm) {
        if (spec.hvm.bios == BiosKind::ovmf)
            os.children.push_back(element("loader", {{"readonly", "yes"}, {"type", "pflash"}},
                                          extra("bios_path_override").value_or("/usr/share/ovmf/OVMF.fd")));
        else
            os.children.push_back(element("loader", {{"type", "rom"}}, "/usr/lib/xen/boot/hvmloader"));
    }
    const bool hvmloader_kernel = hvm && spec.kernel.ends_with("hvmloader");
    if (!spec.kernel.empty() && !hvmloader_kernel)
        os.children.push_back(element("kernel", {}, spec.kernel));
    if (!spec.ramdisk.empty())
        os.children.push_back(element("initrd", {}, spec.ramdisk));
    if (!spec.cmdline.empty())
        os.children.push_back(element("cmdline", {}, spec.cmdline));
    if (hvm) {
        const std::string boot = spec.hvm.boot.empty() ? "c" : spec.hvm.boot;
        for (char letter : boot) {
            const char* dev = letter == 'a' ? "fd" : letter == 'd' ? "cdrom" : letter == 'n' ? "network" : "hd";
            os.children.push_back(element("boot", {{"dev", dev}}));
        }
    }
    add(std::move(os));

    // <features>
    XmlElement features = element("features");
    if (hvm) {
        if (spec.hvm.acpi.value_or(true))
            features.children.push_back(element("acpi"));
        if (spec.hvm.apic.value_or(true))
            features.children.push_back(element("apic"));
        if (spec.hvm.pae.value_or(true))
            features.children.push_back(element("pae"));
        if (extra("hap") == "0")
            features.children.push_back(element("hap", {{"state", "off"}}));
        if (extra("viridian") && extra("viridian") != "0")
            features.children.push_back(element("viridian"));
    }
    const auto passthrough = extra("passthrough");
    if (extra("e820_host") == "1" || passthrough) {
        XmlElement xen = element("xen");
        if (extra("e820_host") == "1")
            xen.children.push_back(element("e820_host", {{"state", "on"}}));
        if (passthrough && *passthrough != "disabled") {
            XmlElement p = element("passthrough", {{"state", "on"}});
            if (*passthrough != "enabled")
                p.attributes.emplace_back("mode", *passthrough);
            xen.children.push_back(std::move(p));
        } else if (passthrough) {
            xen.children.push_back(element("passthrough", {{"state", "off"}}));
        } else if (extra("e820_host") == "1") {
            xen.children.push_back(element("passthrough", {{"state", "on"}}));
        }
        features.children.push_back(std::move(xen));
    }
    if (!features.children.empty())
        add(std::move(features));
    if (const auto nested = extra("nestedhvm"); nested && hvm) {
        XmlElement cpu = element("cpu", {{"mode", "host-passthrough"}});
        if (*nested == "0")
            cpu.children.push_back(element("feature", {{"policy", "disable"}, {"name", "vmx"}}));
        add(std::move(cpu));
    }

    // <clock>
    const bool localtime = spec.localtime.value_or(false);
    XmlElement clock = hvm ? element("clock", {{"offset", "variable"}, {"adjustment", std::to_string(spec.rtc_timeoffset)},
                                               {"basis", localtime ? "localtime" : "utc"}})
                           : element("clock", {{"offset", localtime ? "localtime" : "utc"}, {"adjustment", "reset"}});
    if (const auto tsc = extra("tsc_mode")) {
        const std::string mode = *tsc == "always_emulate" ? "emulate" : *tsc == "native_paravirt" ? "paravirt"
                                 : *tsc == "default" ? "auto" : *tsc;
        clock.children.push_back(element("timer", {{"name", "tsc"}, {"present", "yes"}, {"mode", mode}}));
    }
    if (spec.hvm.hpet && hvm)
        clock.children.push_back(element("timer", {{"name", "hpet"}, {"present", *spec.hvm.hpet ? "yes" : "no"}}));
    add(std::move(clock));
    add(element("on_poweroff", {}, std::string(to_string(spec.on_poweroff))));
    add(element("on_reboot", {}, std::string(to_string(spec.on_reboot))));
    // libvirt's default on_crash is restart (xl's is destroy): a config without one says so.
    add(element("on_crash", {}, extras.from_config && !extras.on_crash_given ? std::string("restart")
                                                                              : std::string(to_string(spec.on_crash))));

    // <devices>
    XmlElement devices = element("devices");
    auto device = [&devices](XmlElement e) { devices.children.push_back(std::move(e)); };
    if (const auto emulator = extra("device_model_override"); emulator && hvm)
        device(element("emulator", {}, *emulator));
    bool ide = false;
    auto raw_entry = [](const std::vector<std::string>& entries, std::size_t index) {
        return index < entries.size() ? std::string_view(entries[index]) : std::string_view();
    };
    for (std::size_t i = 0; i < spec.disks.size(); ++i) {
        const DiskSpec& disk = spec.disks[i];
        device(disk_element(disk, hvm, format, raw_entry(extras.disks, i)));
        ide = ide || (hvm && disk.vdev && disk.vdev->starts_with("hd"));
    }
    XmlElement xenbus = element("controller", {{"type", "xenbus"}, {"index", "0"}});
    if (const auto frames = extra("max_grant_frames"))
        xenbus.attributes.emplace_back("maxGrantFrames", *frames);
    if (const auto channels = extra("max_event_channels"))
        xenbus.attributes.emplace_back("maxEventChannels", *channels);
    device(std::move(xenbus));
    if (ide)
        device(element("controller", {{"type", "ide"}, {"index", "0"}}));
    for (std::size_t i = 0; i < spec.nics.size(); ++i)
        device(interface_element(spec.nics[i], raw_entry(extras.vifs, i)));
    std::vector<std::string> serials;
    for (const std::string& s : spec.hvm.serial)
        if (s != "none")
            serials.push_back(s);
    if (hvm) {
        for (std::size_t i = 0; i < serials.size(); ++i)
            device(chardev("serial", serials[i], static_cast<int>(i)));
        if (const auto parallel = extra("parallel"); parallel && *parallel != "none")
            device(chardev("parallel", *parallel, 0));
        if (!serials.empty()) {
            XmlElement console = chardev("console", serials[0], -1);
            console.children.push_back(element("target", {{"type", "serial"}, {"port", "0"}}));
            device(std::move(console));
        }
        for (const std::string& usb : spec.hvm.usbdevice)
            if (usb == "tablet" || usb == "mouse")
                device(element("input", {{"type", usb}, {"bus", "usb"}}));
        device(element("input", {{"type", "mouse"}, {"bus", "ps2"}}));
        device(element("input", {{"type", "keyboard"}, {"bus", "ps2"}}));
        if (spec.hvm.sdl.value_or(false))
            device(element("graphics", {{"type", "sdl"}}));
        if (spec.hvm.vnc.enable.value_or(false)) {
            const auto& vnc = spec.hvm.vnc;
            device(graphics_element(vnc.find_unused.value_or(true), vnc.display, vnc.listen,
                                    vnc.passwd.empty() ? std::nullopt : std::optional<std::string>(vnc.passwd),
                                    extras.from_config));
        }
        for (std::size_t start = 0; !spec.hvm.soundhw.empty() && start <= spec.hvm.soundhw.size();) {
            const auto comma = spec.hvm.soundhw.find(',', start);
            device(element("sound", {{"model", spec.hvm.soundhw.substr(start, comma - start)}}));
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
        if (spec.hvm.vnc.enable.value_or(false) || spec.hvm.sdl.value_or(false)) {
            const char* model = spec.hvm.vga == VgaKind::std ? "vga" : spec.hvm.vga == VgaKind::qxl ? "qxl" : "cirrus";
            const std::uint64_t vram = spec.hvm.video_memkb.value_or(spec.hvm.vga == VgaKind::std ? 16384 : 8192);
            XmlElement video = element("video");
            video.children.push_back(element("model", {{"type", model}, {"vram", std::to_string(vram)}, {"heads", "1"}, {"primary", "yes"}}));
            if (spec.hvm.vga != VgaKind::none)
                device(std::move(video));
        }
    } else {
        XmlElement console = element("console", {{"type", "pty"}});
        console.children.push_back(element("target", {{"type", "xen"}, {"port", "0"}}));
        device(std::move(console));
        device(element("input", {{"type", "mouse"}, {"bus", "xen"}}));
        device(element("input", {{"type", "keyboard"}, {"bus", "xen"}}));
        for (const std::string& vfb : extras.vfb) {
            std::map<std::string, std::string, std::less<>> keys;
            for (std::size_t start = 0; start <= vfb.size();) {
                const auto comma = vfb.find(',', start);
                const std::string item = vfb.substr(start, comma - start);
                if (const auto eq = item.find('='); eq != std::string::npos)
                    keys[item.substr(0, eq)] = item.substr(eq + 1);
                if (comma == std::string::npos)
                    break;
                start = comma + 1;
            }
            if (keys["type"] == "sdl") {
                device(element("graphics", {{"type", "sdl"}}));
                continue;
            }
            const bool autoport = keys["vncunused"] != "0";
            std::optional<int> display;
            if (!keys["vncdisplay"].empty())
                display = std::atoi(keys["vncdisplay"].c_str());
            device(graphics_element(autoport, display, keys["vnclisten"],
                                    keys.contains("vncpasswd") ? std::optional<std::string>(keys["vncpasswd"]) : std::nullopt,
                                    extras.from_config));
            XmlElement video = element("video");
            video.children.push_back(element("model", {{"type", "xen"}, {"vram", "4096"}, {"heads", "1"}, {"primary", "yes"}}));
            device(std::move(video));
        }
    }
    for (const PciSpec& pci : spec.pcidevs) {
        XmlElement hostdev = element("hostdev", {{"mode", "subsystem"}, {"type", "pci"}, {"managed", "no"}});
        XmlElement source = element("source");
        if (pci.permissive)
            source.attributes.emplace_back("writeFiltering", "no");
        char text[8][8];
        std::snprintf(text[0], sizeof text[0], "0x%04x", pci.domain);
        std::snprintf(text[1], sizeof text[1], "0x%02x", pci.bus);
        std::snprintf(text[2], sizeof text[2], "0x%02x", pci.dev);
        std::snprintf(text[3], sizeof text[3], "0x%x", pci.func);
        source.children.push_back(element("address", {{"domain", text[0]}, {"bus", text[1]}, {"slot", text[2]}, {"function", text[3]}}));
        hostdev.children.push_back(std::move(source));
        device(std::move(hostdev));
    }
    if (!spec.watchdog.empty()) {
        const char* action = spec.on_watchdog == ShutdownAction::restart ? "reset"
                             : spec.on_watchdog == ShutdownAction::preserve ? "pause"
                             : spec.on_watchdog == ShutdownAction::coredump_destroy ? "dump" : "poweroff";
        device(element("watchdog", {{"model", spec.watchdog}, {"action", action}}));
    }
    device(element("memballoon", {{"model", "xen"}}));
    add(std::move(devices));
    return domain;
}

}  // namespace uxl::libvirt
