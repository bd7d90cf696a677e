// The User-Mode Linux backend: a domain is one `linux` process (Debian's user-mode-linux),
// its kernel is the program that runs, its disks are ubd devices backed by host files, its
// NICs are host taps, and it is controlled through its mconsole socket.
//
// What is planned and why is in reference/backends.md §1–§2 and §5: ASLR off and at least
// 48 MiB (smaller guests die of an OOM panic at boot), the memory file on an exec-allowed
// tmpfs (TMPDIR), a private short uml_dir, the console on fd 0/1 (no pty helpers), and the
// mconsole notify socket that reports boot, reboot and panic.
#pragma once

#include "uxl/backend.h"

namespace uxl {

class UmlBackend final : public Backend {
public:
    // Debian's user-mode-linux puts the kernel here; used when `kernel` is empty.
    static constexpr std::string_view default_kernel = "/usr/bin/linux";
    // Below this, Debian's UML 6.1 boots into an OOM panic most of the time (backends.md §1).
    static constexpr std::uint64_t min_memory_kb = 48 * 1024;
    // The ubd driver's MAX_DEV.
    static constexpr std::size_t max_disks = 16;
    // UML's UMID_LEN (64) minus the terminating NUL.
    static constexpr std::size_t max_umid_length = 63;

    // The guest's name for ubd slot N: ubda, ubdb, ... (the driver's own naming).
    static std::string ubd_name(int slot) { return "ubd" + std::string(1, static_cast<char>('a' + slot)); }

    // Where a domain's files go inside its run directory: UML's uml_dir (it makes
    // <uml_dir>/<umid>/{mconsole,pid}) and the DGRAM socket for `mconsole=notify:`.
    static std::string uml_dir(std::string_view run_dir) { return std::string(run_dir) + "/uml"; }
    static std::string notify_socket(std::string_view run_dir) { return std::string(run_dir) + "/notify"; }

    BackendKind kind() const override { return BackendKind::uml; }
    std::string_view name() const override { return "uml"; }
    Capabilities capabilities() const override;
    Result<void> validate(const DomainSpec& spec) const override;
    Result<LaunchPlan> plan_launch(const DomainSpec& spec, const DomainPaths& paths,
                                   int domid) const override;
    Result<void> check_host(const DomainSpec& spec) const override;
    std::vector<std::pair<std::string, std::string>> host_facts() const override;
    // uml_controller.cc: the mconsole controller.
    Result<std::unique_ptr<Controller>> make_controller(const ControllerSetup& setup) const override;
};

}  // namespace uxl
