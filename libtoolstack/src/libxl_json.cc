// DomainSpec <-> the libxl_domain_config JSON that `xl create -n` prints.
//
// What this file relies on, from Xen's sources (xen-project/xen):
//
//  1. Output. xl_vmcontrol.c create_domain() prints libxl_domain_config_to_json() of the
//     config that parse_config_data() built, after applying xl.conf's affinity masks and
//     before libxl_domain_create_new() applies libxl's defaults (so no setdefault values
//     appear). libxl__object_to_json() renders it with yajl in beautify mode: see
//     yajl_writer.h.
//  2. The generator (tools/libs/light/gentypes.py, libxl_C_type_gen_json/get_default_expr)
//     writes a struct's fields in IDL order and skips `const` fields; a field is written
//     only when it differs from its default: aggregates (structs, keyed unions) always;
//     arrays when non-empty; fields with an init_val (on the field or its type) when !=
//     that value; builtins with a check_default_fn when that says "not default" (defbool
//     unset, uuid all-zero, bitmap with no bit set, empty string_list, all-zero MAC);
//     anything else when non-zero / non-NULL (so "" is written). A keyed union is written
//     under "<keyvar>.<member>", e.g. "type.pv". Enums are written as the lower-cased IDL
//     value name ("restart_rename", "soft_reset"), defbools as "True"/"False", bitmaps as
//     the array of set bit numbers, MemKB through libxl__uint64_gen_json (unsigned).
//  3. libxl_types.idl (4.19+), the fields this file writes and their defaults:
//       libxl_domain_config: c_info, b_info, disks, nics, pcidevs, rdms, dtdevs, vfbs,
//         vkbs, virtios, vtpms, p9s, pvcallsifs, vdispls, vsnds, channels, usbctrls,
//         usbdevs, on_poweroff, on_reboot, on_watchdog, on_crash, on_soft_reset;
//         libxl_action_on_shutdown's init_val is DESTROY, so on_reboot = restart and
//         on_soft_reset = soft_reset (xl's defaults) are always written.
//       c_info: type (init INVALID), hap, oos, ssidref, ssid_label, name, domid, uuid,
//         xsdata, platformdata, poolid, pool_name, run_hotplug_scripts, driver_domain,
//         passthrough, xend_suspend_evtchn_compat.
//       b_info: max_vcpus, avail_vcpus, cpumap, nodemap, vcpu_hard_affinity,
//         vcpu_soft_affinity, numa_placement, tsc_mode, max_memkb, target_memkb (MemKB,
//         init LIBXL_MEMKB_DEFAULT = ~0), ..., max_grant_frames/max_maptrack_frames (xl
//         passes LIBXL_MAX_GRANT_DEFAULT unless xl.conf says otherwise: not written), ...,
//         sched_params (struct: sched, weight, cap, period, budget, extratime, slice,
//         latency; every integer's init is -1), ioports, irqs, iomem, claim_mode,
//         event_channels, kernel, cmdline, ramdisk, device_tree, acpi, bootloader,
//         bootloader_args, ..., u (keyed by type: hvm / pv / pvh), arch_arm (struct),
//         arch_x86 (struct), altp2m, vmtrace_buf_kb, vpmu, ...
//       kernel, cmdline, ramdisk, bootloader and bootloader_args live at b_info's top level;
//         u.pv's fields of those names are deprecated and xl leaves them NULL.
//       u.pv: kernel, slack_memkb, bootloader, bootloader_args, cmdline, ramdisk, features
//         (const), e820_host. u.pvh: pvshim, pvshim_path, pvshim_cmdline, pvshim_extra.
//         u.hvm holds five structs, all written even when empty: vga, vnc, sdl, spice, rdm.
//  4. xl always sets: c_info.run_hotplug_scripts (xl.c: 1), b_info.claim_mode (xl.c: 1),
//     a uuid (generated when the config has none), b_info.u.pv.e820_host = True for a PV
//     guest with pci devices. It sets max_vcpus only from maxvcpus/vcpus and avail_vcpus
//     only from vcpus, so neither appears for a config without them; max_memkb = memory
//     when maxmem is absent, neither when memory is absent too.
//
// The reader (domain_spec_from_libxl_json) takes the same JSON back. Fields libxl would
// leave out come back as libxl's defaults.
#include "uxl/domain_spec.h"

#include "libxl_json_fields.h"
#include "libxl_json_parts.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>

namespace uxl {
namespace {

using detail::bad;
using detail::Fields;
using detail::names_of;
using detail::OrderedJson;
using detail::read_bitmap;
using detail::read_string_list;
using Json = nlohmann::json;

constexpr std::uint64_t memkb_default = ~std::uint64_t{0};  // LIBXL_MEMKB_DEFAULT
constexpr int sched_param_default = -1;  // LIBXL_DOMAIN_SCHED_PARAM_*_DEFAULT

constexpr ShutdownAction all_actions[] = {
    ShutdownAction::destroy,          ShutdownAction::restart,
    ShutdownAction::rename_restart,   ShutdownAction::preserve,
    ShutdownAction::coredump_destroy, ShutdownAction::coredump_restart,
    ShutdownAction::soft_reset,
};

// libxl_action_on_shutdown_to_string(): the IDL value names, lower-cased.
std::string_view libxl_name(ShutdownAction action)
{
    switch (action) {
    case ShutdownAction::destroy: return "destroy";
    case ShutdownAction::restart: return "restart";
    case ShutdownAction::rename_restart: return "restart_rename";
    case ShutdownAction::preserve: return "preserve";
    case ShutdownAction::coredump_destroy: return "coredump_destroy";
    case ShutdownAction::coredump_restart: return "coredump_restart";
    case ShutdownAction::soft_reset: return "soft_reset";
    }
    return "destroy";
}

const char* defbool(bool value)
{
    return value ? "True" : "False";
}

OrderedJson bitmap(const std::vector<int>& bits)
{
    OrderedJson array = OrderedJson::array();
    for (int bit : bits)
        array.push_back(bit);
    return array;
}

OrderedJson affinity(const std::vector<std::vector<int>>& per_vcpu)
{
    OrderedJson array = OrderedJson::array();
    for (const auto& bits : per_vcpu)
        array.push_back(bitmap(bits));
    return array;
}

OrderedJson create_info(const DomainSpec& spec)
{
    OrderedJson c_info = OrderedJson::object();
    c_info["type"] = std::string(to_string(spec.type));
    c_info["name"] = spec.name;
    if (spec.uuid != Uuid{})
        c_info["uuid"] = uuid_to_string(spec.uuid);
    if (!spec.pool_name.empty())
        c_info["pool_name"] = spec.pool_name;
    c_info["run_hotplug_scripts"] = defbool(true);
    return c_info;
}

OrderedJson type_union(const DomainSpec& spec)
{
    OrderedJson member = OrderedJson::object();
    switch (spec.type) {
    case DomainType::pv:
        if (!spec.pcidevs.empty())
            member["e820_host"] = defbool(true);
        break;
    case DomainType::pvh:
        break;
    case DomainType::hvm:
        member = detail::hvm_to_libxl_json(spec.hvm);
        break;
    }
    return member;
}

OrderedJson build_info(const DomainSpec& spec)
{
    OrderedJson b_info = OrderedJson::object();
    if (spec.libxl_max_vcpus != 0)
        b_info["max_vcpus"] = spec.libxl_max_vcpus;
    if (spec.libxl_avail_vcpus > 0) {
        OrderedJson avail = OrderedJson::array();
        for (int i = 0; i < spec.libxl_avail_vcpus; ++i)
            avail.push_back(i);
        b_info["avail_vcpus"] = std::move(avail);
    }
    if (!spec.vcpu_hard_affinity.empty())
        b_info["vcpu_hard_affinity"] = affinity(spec.vcpu_hard_affinity);
    if (!spec.vcpu_soft_affinity.empty())
        b_info["vcpu_soft_affinity"] = affinity(spec.vcpu_soft_affinity);
    if (spec.numa_placement)
        b_info["numa_placement"] = defbool(*spec.numa_placement);
    if (spec.max_memkb && *spec.max_memkb != memkb_default)
        b_info["max_memkb"] = *spec.max_memkb;
    if (spec.target_memkb && *spec.target_memkb != memkb_default)
        b_info["target_memkb"] = *spec.target_memkb;
    if (spec.hvm.video_memkb && *spec.hvm.video_memkb != memkb_default)
        b_info["video_memkb"] = *spec.hvm.video_memkb;
    if (spec.rtc_timeoffset != 0)  // a uint32 in libxl: a negative offset wraps
        b_info["rtc_timeoffset"] = static_cast<std::uint32_t>(spec.rtc_timeoffset);
    if (spec.localtime)
        b_info["localtime"] = defbool(*spec.localtime);
    for (const auto& [key, words] : {std::pair<const char*, const std::vector<std::string>*>{"extra", &spec.device_model_args},
                                     {"extra_pv", &spec.device_model_args_pv},
                                     {"extra_hvm", &spec.device_model_args_hvm}})
        if (!words->empty())
            b_info[key] = *words;

    // sched_params is an int struct: xl's long goes through an int.
    OrderedJson sched = OrderedJson::object();
    if (spec.cpu_weight && static_cast<int>(*spec.cpu_weight) != sched_param_default)
        sched["weight"] = static_cast<int>(*spec.cpu_weight);
    if (spec.cap && static_cast<int>(*spec.cap) != sched_param_default)
        sched["cap"] = static_cast<int>(*spec.cap);
    b_info["sched_params"] = std::move(sched);

    b_info["claim_mode"] = defbool(true);
    if (!spec.kernel.empty())
        b_info["kernel"] = spec.kernel;
    if (!spec.cmdline.empty())
        b_info["cmdline"] = spec.cmdline;
    if (!spec.ramdisk.empty())
        b_info["ramdisk"] = spec.ramdisk;
    if (spec.hvm.acpi)
        b_info["acpi"] = defbool(*spec.hvm.acpi);
    if (!spec.bootloader.empty())
        b_info["bootloader"] = spec.bootloader;
    if (!spec.bootloader_args.empty())
        b_info["bootloader_args"] = spec.bootloader_args;
    if (spec.hvm.apic)
        b_info["apic"] = defbool(*spec.hvm.apic);
    b_info["type." + std::string(to_string(spec.type))] = type_union(spec);
    b_info["arch_arm"] = OrderedJson::object();
    b_info["arch_x86"] = OrderedJson::object();
    return b_info;
}

OrderedJson domain_config(const DomainSpec& spec)
{
    OrderedJson config = OrderedJson::object();
    config["c_info"] = create_info(spec);
    config["b_info"] = build_info(spec);
    if (!spec.disks.empty()) {
        OrderedJson& disks = config["disks"] = OrderedJson::array();
        for (const auto& disk : spec.disks)
            disks.push_back(detail::disk_to_libxl_json(disk));
    }
    if (!spec.nics.empty()) {
        OrderedJson& nics = config["nics"] = OrderedJson::array();
        for (const auto& nic : spec.nics)
            nics.push_back(detail::nic_to_libxl_json(nic));
    }
    if (!spec.pcidevs.empty()) {
        OrderedJson& pcidevs = config["pcidevs"] = OrderedJson::array();
        for (const auto& pci : spec.pcidevs)
            pcidevs.push_back(detail::pci_to_libxl_json(pci));
    }
    const std::pair<const char*, ShutdownAction> actions[] = {
        {"on_poweroff", spec.on_poweroff}, {"on_reboot", spec.on_reboot},
        {"on_watchdog", spec.on_watchdog}, {"on_crash", spec.on_crash},
        {"on_soft_reset", spec.on_soft_reset},
    };
    for (const auto& [key, action] : actions)
        if (action != ShutdownAction::destroy)
            config[key] = std::string(libxl_name(action));
    OrderedJson uxl = OrderedJson::object();
    if (spec.backend != BackendKind::uml)
        uxl["backend"] = std::string(to_string(spec.backend));
    if (!spec.watchdog.empty())
        uxl["watchdog"] = spec.watchdog;
    if (!uxl.empty())
        config["uxl"] = std::move(uxl);
    return config;
}

// ---------------------------------------------------------------------------------------
Result<void> read_optional_string(const Fields& fields, std::string_view key,
                                  std::optional<std::string>& out)
{
    if (auto value = UXL_TRY(fields.string(key)))
        out = std::move(*value);
    return {};
}

Result<DiskSpec> read_disk(const Fields& f)
{
    static constexpr DiskFormat formats[] = {DiskFormat::unknown, DiskFormat::qcow,
                                             DiskFormat::qcow2,   DiskFormat::vhd,
                                             DiskFormat::raw,     DiskFormat::empty,
                                             DiskFormat::qed};
    static constexpr DiskBackend backends[] = {DiskBackend::unknown, DiskBackend::phy,
                                               DiskBackend::tap, DiskBackend::qdisk,
                                               DiskBackend::standalone};
    static constexpr DiskSpecification specifications[] = {
        DiskSpecification::unknown, DiskSpecification::xen, DiskSpecification::virtio};
    static constexpr DiskTransport transports[] = {DiskTransport::unknown, DiskTransport::mmio};

    DiskSpec disk;
    disk.backend_domid = UXL_TRY(f.integer<std::uint32_t>("backend_domid")).value_or(0);
    UXL_TRY(read_optional_string(f, "backend_domname", disk.backend_domname));
    UXL_TRY(read_optional_string(f, "pdev_path", disk.pdev_path));
    UXL_TRY(read_optional_string(f, "vdev", disk.vdev));
    disk.backend = UXL_TRY(f.enumeration<DiskBackend>("backend", names_of(backends)))
                       .value_or(DiskBackend::unknown);
    disk.format = UXL_TRY(f.enumeration<DiskFormat>("format", names_of(formats)))
                      .value_or(DiskFormat::unknown);
    UXL_TRY(read_optional_string(f, "script", disk.script));
    disk.removable = UXL_TRY(f.boolean("removable")).value_or(false);
    disk.readwrite = UXL_TRY(f.boolean("readwrite")).value_or(false);
    disk.is_cdrom = UXL_TRY(f.boolean("is_cdrom")).value_or(false);
    disk.direct_io_safe = UXL_TRY(f.boolean("direct_io_safe")).value_or(false);
    disk.discard_enable = UXL_TRY(f.defbool("discard_enable"));
    disk.specification =
        UXL_TRY(f.enumeration<DiskSpecification>("specification", names_of(specifications)))
            .value_or(DiskSpecification::unknown);
    disk.transport = UXL_TRY(f.enumeration<DiskTransport>("transport", names_of(transports)))
                         .value_or(DiskTransport::unknown);
    disk.irq = UXL_TRY(f.integer<std::uint32_t>("irq")).value_or(0);
    disk.base = UXL_TRY(f.integer<std::uint64_t>("base")).value_or(0);
    disk.colo_enable = UXL_TRY(f.defbool("colo_enable"));
    disk.colo_restore_enable = UXL_TRY(f.defbool("colo_restore_enable"));
    UXL_TRY(read_optional_string(f, "colo_host", disk.colo_host));
    disk.colo_port = UXL_TRY(f.integer<int>("colo_port")).value_or(0);
    UXL_TRY(read_optional_string(f, "colo_export", disk.colo_export));
    UXL_TRY(read_optional_string(f, "active_disk", disk.active_disk));
    UXL_TRY(read_optional_string(f, "hidden_disk", disk.hidden_disk));
    disk.trusted = UXL_TRY(f.defbool("trusted"));
    disk.grant_usage = UXL_TRY(f.defbool("grant_usage"));
    return disk;
}

Result<VifSpec> read_nic(const Fields& f)
{
    static constexpr NicType types[] = {NicType::unknown, NicType::vif_ioemu, NicType::vif};

    VifSpec nic;
    nic.backend_domid = UXL_TRY(f.integer<std::uint32_t>("backend_domid")).value_or(0);
    UXL_TRY(read_optional_string(f, "backend_domname", nic.backend_domname));
    nic.devid = UXL_TRY(f.integer<int>("devid")).value_or(-1);
    nic.mtu = UXL_TRY(f.integer<int>("mtu")).value_or(0);
    UXL_TRY(read_optional_string(f, "vlan", nic.vlan));
    UXL_TRY(read_optional_string(f, "model", nic.model));
    if (auto mac = UXL_TRY(f.string("mac"))) {
        auto parsed = parse_mac(*mac);
        if (!parsed)
            return bad(f.path_of("mac"), "is not a MAC address");
        nic.mac = *parsed;
    }
    UXL_TRY(read_optional_string(f, "ip", nic.ip));
    UXL_TRY(read_optional_string(f, "bridge", nic.bridge));
    UXL_TRY(read_optional_string(f, "ifname", nic.ifname));
    UXL_TRY(read_optional_string(f, "script", nic.script));
    nic.nictype = UXL_TRY(f.enumeration<NicType>("nictype", names_of(types))).value_or(NicType::unknown);
    nic.rate_bytes_per_interval =
        UXL_TRY(f.integer<std::uint64_t>("rate_bytes_per_interval")).value_or(0);
    nic.rate_interval_usecs = UXL_TRY(f.integer<std::uint32_t>("rate_interval_usecs")).value_or(0);
    UXL_TRY(read_optional_string(f, "gatewaydev", nic.gatewaydev));
    for (std::string_view field : vif_colo_field_names())
        if (auto value = UXL_TRY(f.string(field)))
            nic.colo.emplace(std::string(field), std::move(*value));
    nic.trusted = UXL_TRY(f.defbool("trusted"));
    return nic;
}

Result<PciSpec> read_pci(const Fields& f)
{
    static constexpr RdmReservePolicy policies[] = {
        RdmReservePolicy::invalid, RdmReservePolicy::strict, RdmReservePolicy::relaxed};

    PciSpec pci;
    pci.func = UXL_TRY(f.integer<std::uint8_t>("func")).value_or(0);
    pci.dev = UXL_TRY(f.integer<std::uint8_t>("dev")).value_or(0);
    pci.bus = UXL_TRY(f.integer<std::uint8_t>("bus")).value_or(0);
    pci.domain = UXL_TRY(f.integer<int>("domain")).value_or(0);
    pci.vdevfn = UXL_TRY(f.integer<std::uint32_t>("vdevfn")).value_or(0);
    pci.vfunc_mask = UXL_TRY(f.integer<std::uint32_t>("vfunc_mask")).value_or(0);
    pci.msitranslate = UXL_TRY(f.boolean("msitranslate")).value_or(false);
    pci.power_mgmt = UXL_TRY(f.boolean("power_mgmt")).value_or(false);
    pci.permissive = UXL_TRY(f.boolean("permissive")).value_or(false);
    pci.seize = UXL_TRY(f.boolean("seize")).value_or(false);
    pci.rdm_policy = UXL_TRY(f.enumeration<RdmReservePolicy>("rdm_policy", names_of(policies)))
                         .value_or(RdmReservePolicy::invalid);
    UXL_TRY(read_optional_string(f, "name", pci.name));
    return pci;
}

template <class T>
Result<std::vector<T>> read_devices(const Fields& config, std::string_view key,
                                    Result<T> (*read)(const Fields&))
{
    std::vector<T> devices;
    const Json* array = UXL_TRY(config.array(key));
    if (!array)
        return devices;
    for (size_t i = 0; i < array->size(); ++i) {
        const std::string path = config.path_of(key) + "[" + std::to_string(i) + "]";
        if (!(*array)[i].is_object())
            return bad(path, "must be an object");
        devices.push_back(UXL_TRY(read(Fields((*array)[i], path))));
    }
    return devices;
}

Result<std::vector<std::vector<int>>> read_affinity(const Fields& b_info, std::string_view key)
{
    std::vector<std::vector<int>> per_vcpu;
    const Json* array = UXL_TRY(b_info.array(key));
    if (!array)
        return per_vcpu;
    for (size_t i = 0; i < array->size(); ++i)
        per_vcpu.push_back(UXL_TRY(
            read_bitmap((*array)[i], b_info.path_of(key) + "[" + std::to_string(i) + "]")));
    return per_vcpu;
}

Result<void> read_build_info(const Fields& b_info, DomainSpec& spec)
{
    spec.libxl_max_vcpus = UXL_TRY(b_info.integer<int>("max_vcpus")).value_or(0);
    if (const Json* avail = UXL_TRY(b_info.array("avail_vcpus"))) {
        auto bits = UXL_TRY(read_bitmap(*avail, b_info.path_of("avail_vcpus")));
        spec.libxl_avail_vcpus = static_cast<int>(bits.size());
    }
    spec.max_vcpus = std::max(1, spec.libxl_max_vcpus);
    spec.vcpus = std::max(1, spec.libxl_avail_vcpus);
    spec.vcpu_hard_affinity = UXL_TRY(read_affinity(b_info, "vcpu_hard_affinity"));
    spec.vcpu_soft_affinity = UXL_TRY(read_affinity(b_info, "vcpu_soft_affinity"));
    spec.numa_placement = UXL_TRY(b_info.defbool("numa_placement"));

    auto memkb = [&](std::string_view key) -> Result<std::optional<std::uint64_t>> {
        auto value = UXL_TRY(b_info.integer<std::uint64_t>(key));
        if (value && *value == memkb_default)
            return std::nullopt;
        return value;
    };
    spec.max_memkb = UXL_TRY(memkb("max_memkb"));
    spec.target_memkb = UXL_TRY(memkb("target_memkb"));

    if (auto sched = UXL_TRY(b_info.object("sched_params"))) {
        auto param = [&](std::string_view key) -> Result<std::optional<long>> {
            auto value = UXL_TRY(sched->integer<int>(key));
            if (!value || *value == sched_param_default)
                return std::nullopt;
            return *value;
        };
        spec.cpu_weight = UXL_TRY(param("weight"));
        spec.cap = UXL_TRY(param("cap"));
    }

    // Older libxl kept these in u.pv; the top-level fields win, as libxl's
    // copy_deprecated does.
    if (auto pv = UXL_TRY(b_info.object("type.pv"))) {
        spec.kernel = UXL_TRY(pv->string("kernel")).value_or("");
        spec.cmdline = UXL_TRY(pv->string("cmdline")).value_or("");
        spec.ramdisk = UXL_TRY(pv->string("ramdisk")).value_or("");
        spec.bootloader = UXL_TRY(pv->string("bootloader")).value_or("");
        UXL_TRY(read_string_list(*pv, "bootloader_args", spec.bootloader_args));
    }
    if (auto kernel = UXL_TRY(b_info.string("kernel")))
        spec.kernel = *kernel;
    if (auto cmdline = UXL_TRY(b_info.string("cmdline")))
        spec.cmdline = *cmdline;
    if (auto ramdisk = UXL_TRY(b_info.string("ramdisk")))
        spec.ramdisk = *ramdisk;
    if (auto bootloader = UXL_TRY(b_info.string("bootloader")))
        spec.bootloader = *bootloader;
    UXL_TRY(read_string_list(b_info, "bootloader_args", spec.bootloader_args));
    spec.hvm.acpi = UXL_TRY(b_info.defbool("acpi"));
    spec.localtime = UXL_TRY(b_info.defbool("localtime"));
    UXL_TRY(read_string_list(b_info, "extra", spec.device_model_args));
    UXL_TRY(read_string_list(b_info, "extra_pv", spec.device_model_args_pv));
    UXL_TRY(read_string_list(b_info, "extra_hvm", spec.device_model_args_hvm));
    if (auto hvm = UXL_TRY(b_info.object("type.hvm")))
        UXL_TRY(detail::read_hvm_info(*hvm, spec.hvm));
    if (auto apic = UXL_TRY(b_info.defbool("apic")))
        spec.hvm.apic = apic;
    if (auto video = UXL_TRY(b_info.integer<std::uint64_t>("video_memkb")); video && *video != memkb_default)
        spec.hvm.video_memkb = video;
    if (auto offset = UXL_TRY(b_info.integer<std::uint32_t>("rtc_timeoffset")))
        spec.rtc_timeoffset = static_cast<std::int32_t>(*offset);
    return {};
}

Result<DomainSpec> read_domain_config(const Fields& config)
{
    static constexpr DomainType types[] = {DomainType::hvm, DomainType::pv, DomainType::pvh};
    DomainSpec spec;

    auto c_info = UXL_TRY(config.object("c_info"));
    auto b_info = UXL_TRY(config.object("b_info"));
    if (!c_info)
        return bad(config.path_of("c_info"), "is missing");

    // The type is c_info's; a config without it still names it in b_info's union key.
    std::optional<DomainType> type = UXL_TRY(c_info->enumeration<DomainType>("type", names_of(types)));
    if (!type && b_info) {
        for (DomainType candidate : types)
            if (b_info->find("type." + std::string(to_string(candidate))))
                type = candidate;
    }
    spec.type = type.value_or(DomainType::pv);

    spec.name = UXL_TRY(c_info->string("name")).value_or("");
    if (auto text = UXL_TRY(c_info->string("uuid"))) {
        auto uuid = parse_uuid(*text);
        if (!uuid)
            return bad(c_info->path_of("uuid"), "is not a UUID");
        spec.uuid = *uuid;
    }
    spec.pool_name = UXL_TRY(c_info->string("pool_name")).value_or("");

    if (b_info)
        UXL_TRY(read_build_info(*b_info, spec));
    else
        spec.max_vcpus = spec.vcpus = 1;

    spec.disks = UXL_TRY(read_devices<DiskSpec>(config, "disks", &read_disk));
    spec.nics = UXL_TRY(read_devices<VifSpec>(config, "nics", &read_nic));
    spec.pcidevs = UXL_TRY(read_devices<PciSpec>(config, "pcidevs", &read_pci));

    std::vector<std::pair<ShutdownAction, std::string>> action_names;
    for (ShutdownAction action : all_actions)
        action_names.emplace_back(action, std::string(libxl_name(action)));
    const std::pair<const char*, ShutdownAction*> actions[] = {
        {"on_poweroff", &spec.on_poweroff}, {"on_reboot", &spec.on_reboot},
        {"on_watchdog", &spec.on_watchdog}, {"on_crash", &spec.on_crash},
        {"on_soft_reset", &spec.on_soft_reset},
    };
    for (const auto& [key, out] : actions)
        *out = UXL_TRY(config.enumeration<ShutdownAction>(key, action_names))
                   .value_or(ShutdownAction::destroy);  // libxl's init value

    if (auto uxl = UXL_TRY(config.object("uxl"))) {
        static constexpr BackendKind kinds[] = {BackendKind::uml, BackendKind::qemu,
                                                BackendKind::vkernel};
        spec.backend = UXL_TRY(uxl->enumeration<BackendKind>("backend", names_of(kinds)))
                           .value_or(BackendKind::uml);
        spec.watchdog = UXL_TRY(uxl->string("watchdog")).value_or("");
    }
    return spec;
}

}  // namespace

std::string domain_spec_to_libxl_yajl(const DomainSpec& spec)
{
    return detail::to_yajl(domain_config(spec));
}

Result<DomainSpec> domain_spec_from_libxl_json(std::string_view json)
{
    const Json document = Json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded())
        return fail(Errc::invalid_argument, "libxl JSON: not valid JSON");
    if (!document.is_object())
        return fail(Errc::invalid_argument, "libxl JSON: the domain config must be an object");
    // `xl list -l` and old `xl create -n` wrap the config as {"domid": N, "config": {...}}.
    if (auto it = document.find("config"); it != document.end() && !document.contains("c_info")) {
        if (!it->is_object())
            return bad("config", "must be an object");
        return read_domain_config(Fields(*it, "config"));
    }
    return read_domain_config(Fields(document, ""));
}

}  // namespace uxl
