// The DragonFly vkernel backend: a domain is one vkernel(7) process, a DragonFly kernel
// built to run as a userland program on a DragonFly host, with vkd disks (-r), vcd CD-ROMs
// (-c) and vke NICs on tap(4) interfaces (-I). It is controlled by signals only: SIGTERM is
// a clean shutdown (the vkernel passes SIGUSR2 to the guest's init), so it offers nothing
// beyond start and shutdown.
//
// A vkernel cannot run on a Linux host, so the daemon refuses to start one there; its
// plans exist so that the backend interface is shaped for more than one userland kernel,
// and they are golden-tested. The option syntax is that of
// sys/platform/vkernel64/platform/init.c (reference/backends.md §4).
#pragma once

#include "uxl/backend.h"

namespace uxl {

class VkernelBackend final : public Backend {
public:
    // init_sys_memory(): "64MB minimum, multiples of 2MB only" (SEG_SIZE on x86_64).
    static constexpr std::uint64_t min_memory_kb = 64 * 1024;
    static constexpr std::uint64_t memory_granule_kb = 2 * 1024;
    // VKDISK_MAX, shared by -r disks and -c CD-ROMs; VKNETIF_MAX.
    static constexpr std::size_t max_disks = 16;
    static constexpr std::size_t max_nics = 16;
    // MAXCPU on x86_64.
    static constexpr int max_vcpus = 256;
    // The file the vkernel writes its pid into (relative to the run directory).
    static constexpr std::string_view pid_file_name = "vkernel.pid";

    BackendKind kind() const override { return BackendKind::vkernel; }
    std::string_view name() const override { return "vkernel"; }
    Capabilities capabilities() const override;
    Result<void> validate(const DomainSpec& spec) const override;
    Result<LaunchPlan> plan_launch(const DomainSpec& spec, const DomainPaths& paths,
                                   int domid) const override;
    // Always refused: a vkernel needs a DragonFly host.
    Result<void> check_host(const DomainSpec& spec) const override;
};

}  // namespace uxl
