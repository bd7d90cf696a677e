// The QEMU backend: a domain is one qemu-system-x86_64 process (Debian's qemu-system-x86)
// running a `pc` machine, under KVM when the host has a usable one and TCG otherwise. PV
// and PVH guests boot their kernel directly; HVM guests boot from the firmware. Disks are
// host files or block devices, NICs host taps, the console is the monitor's socketpair,
// and the guest is controlled through QMP (qmp.h).
//
// What is planned and why is in qemu_backend.cc and reference/backends.md §3–4.
//
#pragma once

#include "uxl/backend.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace uxl {

// What the daemon found out about the host that a QEMU plan depends on. Probing is not
// pure (KVM must be tried with a real guest: reference/backends.md §4), so the daemon does
// it once and makes the backend with the answer; planning only reads it.
struct QemuHost {
    enum class Accelerator { tcg, kvm };
    Accelerator accelerator = Accelerator::tcg;
    // Why, in one sentence ("a probe guest under KVM exited with status 134 (...)"): for
    // uxld's log and `uxl info`. qemu_probe.h makes these.
    std::string reason;
    // Seconds since the epoch, for rtc_timeoffset (the RTC starts at now + offset); unset:
    // the host's clock. Tests set it so that plans stay deterministic.
    std::function<std::int64_t()> clock;
};

std::string_view to_string(QemuHost::Accelerator accelerator);  // "tcg", "kvm"

class QemuBackend final : public Backend {
public:
    static constexpr std::string_view program = "/usr/bin/qemu-system-x86_64";
    static constexpr std::string_view debian_package = "qemu-system-x86";
    // The pc machine's most vCPUs.
    static constexpr int max_vcpus = 255;
    // PCI slots left on the pc machine's one bus once the host bridge and PIIX3 have theirs.
    static constexpr std::size_t free_pci_slots = 30;

    // QEMU's QMP socket, inside the domain's run directory.
    static std::string qmp_socket(std::string_view run_dir) { return std::string(run_dir) + "/qmp.sock"; }
    // The host end of the guest agent's virtio-serial port (guest_agent.h), beside it.
    static std::string guest_agent_socket(std::string_view run_dir) { return std::string(run_dir) + "/qga.sock"; }

    explicit QemuBackend(QemuHost host = {}) : m_host(host) {}

    BackendKind kind() const override { return BackendKind::qemu; }
    std::string_view name() const override { return "qemu"; }
    std::string virt_cap() const override { return "qemu-" + std::string(to_string(m_host.accelerator)); }
    Capabilities capabilities() const override;
    Result<void> validate(const DomainSpec& spec) const override;
    Result<LaunchPlan> plan_launch(const DomainSpec& spec, const DomainPaths& paths,
                                   int domid) const override;
    // qemu-system-x86_64 is installed (and /dev/kvm opens, when planning for KVM).
    Result<void> check_host(const DomainSpec& spec) const override;
    std::vector<std::pair<std::string, std::string>> host_facts() const override;
    // pv for a direct-boot kernel whose console is hvc0 (the virtio console), else serial.
    ConsoleType console_type(const DomainSpec& spec) const override;
    // qemu_controller.cc: the QMP controller.
    Result<std::unique_ptr<Controller>> make_controller(const ControllerSetup& setup) const override;
    // exit_reason: Backend's default (0 a poweroff, anything else a crash) fits QEMU as
    // planned here; see backend.h.

private:
    QemuHost m_host;
};

}  // namespace uxl
