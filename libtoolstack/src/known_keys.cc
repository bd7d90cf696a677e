// The key tables behind known_keys.h, and the typo suggestion.
//
// The xl keys are listed in the order parse_config_data() (tools/xl/xl_parse.c) reads
// them, so that the list can be compared with the source; the newest ones (Arm, cache
// colouring, SCI, ...) are from xl.cfg(5) and the patches that added them.
#include "uxl/known_keys.h"

#include <algorithm>
#include <tuple>
#include <vector>

namespace uxl {
namespace {

constexpr std::string_view k_xl_keys[] = {
    // Security labels, type, identity.
    "init_seclabel", "seclabel", "type", "builder", "hap", "name", "uuid", "oos", "pool",
    "pvshim", "pvshim_path", "pvshim_cmdline", "pvshim_extra",
    // Scheduler, memory, vCPUs and their placement.
    "cpu_weight", "cap", "period", "slice", "latency", "extratime", "memory", "maxmem",
    "vcpus", "maxvcpus", "vuart", "vnuma", "cpus", "cpus_soft", "llc_colors",
    "max_grant_frames", "max_maptrack_frames", "max_grant_version", "nr_spis",
    // Lifecycle actions.
    "on_poweroff", "on_reboot", "on_watchdog", "on_crash", "on_soft_reset",
    // PCI passthrough and platform.
    "e820_host", "pci_msitranslate", "pci_power_mgmt", "pci_permissive", "pci_seize", "rdm",
    "pci", "dtdev", "passthrough", "shadow_memory", "nomigrate", "tsc_mode", "rtc_timeoffset",
    "vncviewer", "localtime", "videoram", "max_event_channels",
    // Boot.
    "kernel", "ramdisk", "device_tree", "cmdline", "root", "extra", "driver_domain", "acpi",
    "bootloader", "bootloader_args", "bootloader_restrict", "bootloader_user", "timer_mode",
    "nestedhvm",
    // HVM firmware and features.
    "firmware_override", "bios_path_override", "bios", "pae", "acpi_s3", "acpi_s4",
    "acpi_laptop_slate", "nx", "hpet", "vpt_align", "apic", "hvm_pirq", "viridian",
    "mmio_hole", "altp2mhvm", "smbios_firmware", "acpi_firmware", "smbios", "ms_vm_genid",
    "rdm_mem_boundary", "mca_caps", "firmware", "altp2m", "altp2m_count", "vmtrace_buf_kb",
    "ioports", "irqs", "iomem",
    // Devices.
    "disk", "p9", "vtpm", "vdispl", "pvcalls", "vsnd", "channel", "vif", "vif2", "vfb",
    "usbctrl", "usbdev", "cpuid",
    // Device model.
    "device_model", "device_model_override", "device_model_version",
    "device_model_stubdomain_override", "device_model_stubdomain_seclabel",
    "device_model_user", "stubdomain_kernel", "stubdomain_cmdline", "stubdomain_ramdisk",
    "stubdomain_memory", "device_model_args", "device_model_args_pv",
    "device_model_args_hvm",
    // Top-level display options (a PV framebuffer, or the HVM console).
    "vnc", "vnclisten", "vncpasswd", "vncdisplay", "vncunused", "sdl", "opengl", "display",
    "xauthority", "keymap", "dm_restrict", "virtio",
    // HVM emulated hardware.
    "vga", "stdvga", "hdtype", "spice", "spiceport", "spicetls_port", "spicehost",
    "spicedisable_ticketing", "spicepasswd", "spiceagent_mouse", "spicevdagent",
    "spice_clipboard_sharing", "spiceusbredirection", "spice_image_compression",
    "spice_streaming_video", "nographic", "gfx_passthru", "serial", "boot", "usb",
    "usbversion", "usbdevice", "vkb_device", "soundhw", "xen_platform_pci", "vendor_device",
    // Architecture specific, and the last ones parse_config_data() reads.
    "gic_version", "tee", "vkb", "xend_suspend_evtchn_compat", "msr_relaxed", "vpmu",
    "trap_unmapped_accesses", "arm_sci", "sve",
};

// xm's keys that xl does not read, each with what uxl does about it. Taken from the
// example configs xm shipped (tools/examples/xmexample1..3, .hvm, .vmx, .vti, .nbd,
// .pv-grub, .hvm-stubdom and xmdefaults); keys that xl reads too (`vncunused`,
// `builder`, `vtpm`, ...) are xl keys above.
struct XmKey {
    std::string_view name;
    std::string_view advice;
};

constexpr std::string_view k_ignored = "uxl ignores it too";
constexpr std::string_view k_kernel_args =
    "uxl ignores it too; xm turned it into kernel parameters, so put them in `extra'";
constexpr std::string_view k_disk = "uxl ignores it too; list the image in `disk'";
constexpr std::string_view k_mac = "uxl ignores it too; put mac=... in a `vif' entry";

constexpr XmKey k_xm_keys[] = {
    {"nics", "uxl applies it as xm did, padding `vif' with default interfaces up to that "
             "number; write vif = [ '', ... ] instead"},
    {"restart", "uxl ignores it too; use on_poweroff, on_reboot and on_crash"},
    {"cpu", "uxl ignores it too; use `cpus'"},
    // libvirt writes `parallel = "none"' into every HVM config it converts (xm's HVM
    // parallel port); nothing reads it.
    {"parallel", "uxl ignores it too; guests get no parallel port"},
    {"mac", k_mac},
    {"macaddr", k_mac},
    {"dhcp", k_kernel_args},
    {"netmask", k_kernel_args},
    {"gateway", k_kernel_args},
    {"hostname", k_kernel_args},
    {"ip", k_kernel_args},
    {"nfs_server", k_kernel_args},
    {"nfs_root", k_kernel_args},
    {"hda", k_disk},
    {"hdb", k_disk},
    {"hdc", k_disk},
    {"hdd", k_disk},
    {"cdrom", k_disk},
    {"snapshot", k_ignored},
    {"monitor", k_ignored},
    {"vncconsole", k_ignored},
    {"memmap", k_ignored},
    {"device_config", k_ignored},
    {"qemubin", k_ignored},
    {"vscsi", k_ignored},
    {"memory_sharing", k_ignored},
    {"xen_extended_power_mgmt", k_ignored},
    {"cpuid_check", k_ignored},
};

// uxl's own keys (doc/config.md).
constexpr std::string_view k_uxl_keys[] = {"backend", "watchdog"};

// xl.conf(5) settings that are not also domain keys, including its deprecated aliases.
constexpr std::string_view k_global_keys[] = {
    "autoballoon", "run_hotplug_scripts", "lockfile", "vif.default.script",
    "vif.default.bridge", "vif.default.backend", "vif.default.gatewaydev", "vifscript",
    "defaultbridge", "output_format", "blkdev_start", "claim_mode", "vm.cpumask",
    "vm.hvm.cpumask", "vm.pv.cpumask", "domid_policy", "remus.default.netbufscript",
    "colo.default.proxyscript",
    // uxl.conf's own settings.
    "hotplug.timeout", "qemu.accelerator", "guest.uid_range", "guest.run_as_root",
};

const std::vector<std::string_view>& sorted_keys()
{
    static const std::vector<std::string_view> keys = [] {
        std::vector<std::string_view> all(std::begin(k_xl_keys), std::end(k_xl_keys));
        for (const XmKey& key : k_xm_keys)
            all.push_back(key.name);
        all.insert(all.end(), std::begin(k_uxl_keys), std::end(k_uxl_keys));
        std::sort(all.begin(), all.end());
        all.erase(std::unique(all.begin(), all.end()), all.end());
        return all;
    }();
    return keys;
}

// Optimal string alignment distance: Levenshtein plus the transposition of two adjacent
// characters as one edit, which is the commonest typing slip (`memroy`).
size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        previous[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                current[j] = std::min(current[j], before[j - 2] + 1);
        }
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return previous[b.size()];
}

}  // namespace

std::span<const std::string_view> known_keys()
{
    return sorted_keys();
}

bool is_known_key(std::string_view name)
{
    const auto& keys = sorted_keys();
    return std::binary_search(keys.begin(), keys.end(), name);
}

std::optional<std::string_view> suggest_key(std::string_view unknown)
{
    constexpr size_t max_edits = 2;
    // Among keys equally far away, prefer one that starts with the same letter (people
    // seldom mistype the first one: `vpus' is `vcpus', not `cpus'), then the one closest
    // in length, then the first in sorted order.
    auto rank = [&](std::string_view key, size_t distance) {
        const size_t gap = key.size() > unknown.size() ? key.size() - unknown.size()
                                                       : unknown.size() - key.size();
        const bool same_start = !key.empty() && !unknown.empty() && key[0] == unknown[0];
        return std::tuple(distance, same_start ? 0 : 1, gap);
    };
    std::optional<std::string_view> best;
    std::tuple<size_t, int, size_t> best_rank(max_edits + 1, 0, 0);
    for (std::string_view key : sorted_keys()) {
        // Lengths further apart than the limit cannot be within it.
        const size_t gap = key.size() > unknown.size() ? key.size() - unknown.size()
                                                       : unknown.size() - key.size();
        if (gap > max_edits)
            continue;
        const auto candidate = rank(key, edit_distance(unknown, key));
        if (candidate < best_rank) {
            best = key;
            best_rank = candidate;
        }
    }
    // A short word is a few edits away from many keys; only suggest when most of it is
    // right. Distance 0 means `unknown` is itself a key, which is no typo.
    const size_t distance = std::get<0>(best_rank);
    if (!best || distance == 0 || 2 * distance >= unknown.size())
        return std::nullopt;
    return best;
}

bool is_xm_only_key(std::string_view name)
{
    return std::any_of(std::begin(k_xm_keys), std::end(k_xm_keys),
                       [&](const XmKey& key) { return key.name == name; });
}

std::string_view xm_key_advice(std::string_view name)
{
    for (const XmKey& key : k_xm_keys) {
        if (key.name == name)
            return key.advice;
    }
    return {};
}

bool is_global_key(std::string_view name)
{
    return std::find(std::begin(k_global_keys), std::end(k_global_keys), name) !=
           std::end(k_global_keys);
}

}  // namespace uxl
