// DomainSpec: a typed domain, built from a parsed config file exactly as xl's
// parse_config_data() reads it (tools/xl/xl_parse.c), plus the keys uxl adds for its
// backends (`backend = "uml" | "qemu" | "vkernel"`, documented in doc/config.md).
//
// Building never prints: xl's warnings become diagnostics (printed by `uxl create` in
// xl's words, shown with position by `uxl check`); the cases where xl exits become an
// Error whose message is xl's text.
#pragma once

#include "uxl/config_reader.h"
#include "uxl/disk_spec.h"
#include "uxl/pci_spec.h"
#include "uxl/result.h"
#include "uxl/vif_spec.h"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace uxl {

enum class DomainType { pv, pvh, hvm };

// libxl_action_on_shutdown, in libxl's order.
enum class ShutdownAction {
    destroy,
    restart,
    rename_restart,
    preserve,
    coredump_destroy,
    coredump_restart,
    soft_reset,
};

// Why a domain shut down: libxl_shutdown_reason (its codes are the enumerator order minus
// one, so poweroff is 0 and soft_reset 5); `none` while it has not.
enum class ShutdownReason { none, poweroff, reboot, suspend, crash, watchdog, soft_reset };

// Which kind of userland kernel or machine runs the domain.
enum class BackendKind { uml, qemu, vkernel };

std::string_view to_string(DomainType type);
std::string_view to_string(ShutdownAction action);  // xl spelling: "rename-restart", ...
std::string_view to_string(BackendKind kind);
std::optional<ShutdownAction> parse_shutdown_action(std::string_view text);
std::string_view to_string(ShutdownReason reason);  // "poweroff", "soft_reset", ...
std::optional<ShutdownReason> parse_shutdown_reason(std::string_view text);
// libxl's reason code, as xl logs it ("reason code 3"): poweroff 0 ... soft_reset 5; none -1.
int shutdown_reason_code(ShutdownReason reason);
std::optional<BackendKind> parse_backend_kind(std::string_view text);

// An HVM guest's VNC server (libxl_vnc_info: vnc, vnclisten, vncpasswd, vncdisplay,
// vncunused).
struct VncSettings {
    std::optional<bool> enable;       // vnc=
    std::string listen;               // vnclisten=; empty: libxl's default, 127.0.0.1
    std::string passwd;               // vncpasswd=
    std::optional<int> display;       // vncdisplay=; unset: 0
    std::optional<bool> find_unused;  // vncunused=; unset: on (the first free display)

    friend bool operator==(const VncSettings&, const VncSettings&) = default;
};

// libxl_vga_interface_type: xl's vga = "stdvga" | "cirrus" | "none" | "qxl" (or stdvga =
// 1/0). `unknown`: not given, which libxl turns into cirrus.
enum class VgaKind { unknown, cirrus, std, none, qxl };
// libxl_bios_type: xl's bios = "rombios" | "seabios" | "ovmf". `unknown`: not given
// (libxl's default for QEMU upstream is seabios).
enum class BiosKind { unknown, rombios, seabios, ovmf };
std::string_view to_string(VgaKind kind);   // libxl's JSON names: "cirrus", "std", ...
std::string_view to_string(BiosKind kind);  // "rombios", "seabios", "ovmf"

// The emulated-machine settings xl reads for type = "hvm" (boot, serial, nographic, vnc*,
// vga, bios, the platform flags, soundhw), and acpi, which it reads for every type. Only
// the QEMU backend uses them. The libxl JSON carries them where libxl does (b_info.acpi,
// b_info.apic, b_info.video_memkb, b_info.type.hvm), so they reach uxld. The flags and
// strings are read without xl's warnings for a value of the wrong kind (left unset
// instead); an unknown vga or bios is xl's error.
struct HvmSettings {
    std::optional<bool> acpi;         // acpi= (libxl b_info.acpi; default on)
    std::string boot;                 // boot= as given (xl letters: a c d n); empty: not given
    std::vector<std::string> serial;  // serial=, a string or a list; empty: not given
    std::optional<bool> nographic;    // nographic=
    VncSettings vnc;
    std::optional<bool> usb;             // usb= (libxl u.hvm.usb)
    std::vector<std::string> usbdevice;  // usbdevice=, a string or a list
    VgaKind vga = VgaKind::unknown;      // vga=, or stdvga= (libxl u.hvm.vga.kind)
    // videoram= in KiB (libxl b_info.video_memkb, which xl reads for every type).
    std::optional<std::uint64_t> video_memkb;
    BiosKind bios = BiosKind::unknown;  // bios= (libxl u.hvm.bios)
    // The platform flags (libxl u.hvm.pae, acpi_s3, acpi_s4, nx, hpet; apic is b_info.apic).
    // Unset: libxl's default, on.
    std::optional<bool> pae;
    std::optional<bool> apic;
    std::optional<bool> acpi_s3;
    std::optional<bool> acpi_s4;
    std::optional<bool> nx;
    std::optional<bool> hpet;
    std::string soundhw;       // soundhw= as given (libxl u.hvm.soundhw); empty: none
    std::optional<bool> sdl;   // sdl= (libxl u.hvm.sdl.enable)

    friend bool operator==(const HvmSettings&, const HvmSettings&) = default;
};

using Uuid = std::array<std::uint8_t, 16>;
std::string uuid_to_string(const Uuid& uuid);  // lowercase 8-4-4-4-12
std::optional<Uuid> parse_uuid(std::string_view text);
Uuid generate_uuid();  // random (version 4)

struct DomainSpec {
    // Creation info (libxl c_info).
    std::string name;
    Uuid uuid{};
    DomainType type = DomainType::pv;
    std::string pool_name;

    // Build info (libxl b_info).
    int max_vcpus = 1;      // maxvcpus (defaults to vcpus)
    int vcpus = 1;          // vcpus online at start (avail_vcpus)
    // The same counts as xl's b_info holds them before libxl fills in its defaults, which
    // is what the libxl JSON shows: 0 means "not given". xl sets max_vcpus from `maxvcpus`,
    // else from `vcpus`, and avail_vcpus (bits 0 .. n-1) from `vcpus` only, so a config
    // with neither key has neither field.
    int libxl_max_vcpus = 0;
    int libxl_avail_vcpus = 0;
    // `cpus`: per-vCPU sets of host CPUs (see cpu_list.h); empty = no pinning. Like xl, one
    // entry per vCPU up to max_vcpus: a string applies to every vCPU, a list to the first ones.
    std::vector<std::vector<int>> vcpu_hard_affinity;
    std::vector<std::vector<int>> vcpu_soft_affinity;  // `cpus_soft`
    // libxl's automatic NUMA placement; xl turns it off (false) when `cpus` is a list or
    // `cpus_soft` is given. Empty: libxl decides.
    std::optional<bool> numa_placement;
    std::optional<long> cpu_weight;  // sched weight
    std::optional<long> cap;         // sched cap
    std::optional<std::uint64_t> target_memkb;  // memory * 1024
    std::optional<std::uint64_t> max_memkb;     // maxmem * 1024
    // Empty strings here mean "not given" (xl would keep a given "" and print it).
    std::string kernel;
    std::string ramdisk;
    std::string cmdline;  // the final command line: cmdline, or root=/extra combined as xl does
    std::string bootloader;
    std::vector<std::string> bootloader_args;

    // Lifecycle actions.
    ShutdownAction on_poweroff = ShutdownAction::destroy;
    ShutdownAction on_reboot = ShutdownAction::restart;
    ShutdownAction on_watchdog = ShutdownAction::destroy;
    ShutdownAction on_crash = ShutdownAction::destroy;
    ShutdownAction on_soft_reset = ShutdownAction::soft_reset;

    // Devices.
    std::vector<DiskSpec> disks;
    std::vector<VifSpec> nics;
    std::vector<PciSpec> pcidevs;

    // Emulated-machine settings (see HvmSettings).
    HvmSettings hvm;
    // localtime= (libxl b_info.localtime, every type): the guest's RTC in local time.
    std::optional<bool> localtime;
    // rtc_timeoffset= in seconds, added to the RTC's start (libxl b_info.rtc_timeoffset, a
    // uint32 there: a negative offset is kept as libxl wraps it, and read back signed).
    std::int32_t rtc_timeoffset = 0;
    // device_model_args, _pv, _hvm (libxl b_info.extra, extra_pv, extra_hvm): extra words
    // for the device model (QEMU), each one argv entry.
    std::vector<std::string> device_model_args;
    std::vector<std::string> device_model_args_pv;
    std::vector<std::string> device_model_args_hvm;

    // uxl's own keys.
    BackendKind backend = BackendKind::uml;
    // watchdog = "i6300esb" | "ib700": the emulated watchdog device (QEMU), whose expiry is
    // the guest's watchdog shutdown (on_watchdog). Empty: none. JSON: "uxl": {"watchdog"}.
    std::string watchdog;
    // Why this backend, in one clause ("backend = \"qemu\"", "type = \"hvm\" is a full
    // machine"): for `uxl check` and `create -n`. Not part of the JSON.
    std::string backend_reason;
};

struct BuildOptions {
    // The config file's path as given; its file name is the domain name when the file sets
    // none (as xm did). Empty for a config that came only from the command line.
    std::string config_path;
    // Number of host CPUs, for `cpus = "all"` and range checks.
    int host_cpus = 1;
    // The NUMA node of each host CPU, for `cpus = "node:N"`; empty: all CPUs on node 0.
    std::vector<int> host_cpu_nodes;
    // `xl create -i`: skip the check that each vCPU keeps at least one CPU to run on.
    bool ignore_global_affinity_masks = false;
    // For a config without `backend =`: the first bytes (4 KiB) of the kernel file, or
    // nothing when it cannot be read (backend_choice.h). Unset: the file is not looked at.
    std::function<std::optional<std::string>(const std::string& path)> read_kernel_head;
};

// Builds the domain from a parsed config, reading the keys in the order xl's
// parse_config_data() does, so that warnings come out in xl's order. Warnings go to
// reader.diagnostics(); an Error carries xl's message for the cases where xl exits
// (unknown on_* action, maxvcpus < vcpus, a bad disk or vif rate, no name and no file,
// ...), and its context is "FILE:LINE" of the setting at fault when there is one.
// May be called anywhere; the result does not refer to the config.
Result<DomainSpec> build_domain_spec(ConfigReader& reader, const BuildOptions& options);

// The libxl_domain_config object as `xl create -n` prints it for this domain (libxl's
// JSON generator in yajl's beautified layout, keys in libxl IDL order, fields at their
// default omitted), ending in "\n". Where uxl has something xl lacks (a backend other than
// the default), one object `"uxl": {...}` follows the libxl keys. Pure.
std::string domain_spec_to_libxl_yajl(const DomainSpec& spec);

// The inverse, for the daemon's stored configs and the control protocol: reads what
// domain_spec_to_libxl_yajl() writes (any JSON layout), and also libxl's own stored
// configs and `xl list -l` elements ({"domid": N, "config": {...}}). Fields libxl leaves
// out take libxl's defaults (so an absent on_reboot is "destroy"); unknown keys are
// ignored, as libxl ignores them; a field of the wrong type or an unknown enum value is an
// Errc::invalid_argument error naming the field. Never throws.
Result<DomainSpec> domain_spec_from_libxl_json(std::string_view json);

}  // namespace uxl
