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

// Which kind of userland kernel or machine runs the domain.
enum class BackendKind { uml, qemu, vkernel };

std::string_view to_string(DomainType type);
std::string_view to_string(ShutdownAction action);  // xl spelling: "rename-restart", ...
std::string_view to_string(BackendKind kind);
std::optional<ShutdownAction> parse_shutdown_action(std::string_view text);
std::optional<BackendKind> parse_backend_kind(std::string_view text);

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
    std::vector<std::vector<int>> vcpu_hard_affinity;  // `cpus`: per-vCPU CPU lists; empty = no pinning
    std::vector<std::vector<int>> vcpu_soft_affinity;  // `cpus_soft`
    std::optional<long> cpu_weight;  // sched weight
    std::optional<long> cap;         // sched cap
    std::optional<std::uint64_t> target_memkb;  // memory * 1024
    std::optional<std::uint64_t> max_memkb;     // maxmem * 1024
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

    // uxl's own keys.
    BackendKind backend = BackendKind::uml;
};

struct BuildOptions {
    // The config file's path as given; its file name is the domain name when the file sets
    // none (as xm did). Empty for a config that came only from the command line.
    std::string config_path;
    // Number of host CPUs, for `cpus = "all"` and range checks.
    int host_cpus = 1;
};

// Builds the domain from a parsed config. Warnings go to reader.diagnostics(); an Error
// carries xl's message for the cases where xl exits (unknown on_* action, maxvcpus < vcpus,
// a bad disk or vif rate, no name and no file, ...).
Result<DomainSpec> build_domain_spec(ConfigReader& reader, const BuildOptions& options);

// The libxl_domain_config JSON that `xl create -n` prints for this domain (yajl layout,
// keys in libxl IDL order, defaults omitted), ending in "\n".
std::string domain_spec_to_libxl_yajl(const DomainSpec& spec);

}  // namespace uxl
