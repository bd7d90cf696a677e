// Which accelerator QEMU guests get on this host: KVM only when a guest really runs under
// it, TCG otherwise (reference/backends.md §4: a /dev/kvm that opens is not enough — here
// it is the kvm_pvm nested module, under which `-cpu host` aborts and a Linux guest
// crawls). Not pure: the probe starts a QEMU.
#pragma once

#include "qemu_backend.h"

#include <string>

namespace uxl {

// The accelerator for uxl.conf's `qemu.accelerator`, with its reason (QemuHost::reason):
// "auto" probes (probe_kvm); "kvm" and "tcg" are taken as they are (a forced KVM that
// cannot work fails at create, in check_host or in QEMU). Errc::invalid_argument for any
// other word.
Result<QemuHost> choose_qemu_accelerator(std::string_view setting);

// KVM when /dev/kvm opens, is not the kvm_pvm module, and a probe guest runs under it
// (run_probe_guest); TCG otherwise.
QemuHost probe_kvm(const std::string& program, const std::string& scratch_dir, int deadline_ms = 2000);

// The probe guest: a 64 KiB firmware whose reset vector runs a 16-million-step loop and
// leaves through isa-debug-exit. Real KVM finishes in milliseconds and TCG in about 0.15 s;
// a KVM that aborts, faults or crawls does not finish within `deadline_ms`. `program` is
// the QEMU to run (tests point it elsewhere); the firmware file goes in `scratch_dir` and is
// removed. The error says what went wrong, as a predicate: "exited with status 134 (...)".
Result<void> run_probe_guest(const std::string& program, const std::string& scratch_dir,
                             std::string_view accelerator, int deadline_ms);

}  // namespace uxl
