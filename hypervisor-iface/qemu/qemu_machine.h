// The emulated PC's options for a QEMU plan, apart from qemu_backend.cc's machine, boot,
// console, disks and NICs: the CPU's flags, the platform (HPET, ACPI sleep states), the
// RTC, the graphics card, sound, the firmware and the watchdog. Each xl key maps to QEMU
// 7.2's words the way libxl_dm.c maps it where libxl has a mapping (doc/qemu.md).
//
// All pure: validate_machine() refuses, the *_arguments() functions only append argv words
// for a spec validate_machine() accepted.
#pragma once

#include "qemu/qemu_backend.h"

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

namespace uxl::qemu {

// Debian's ovmf package: the firmware (read-only) and the template of its variable store,
// which each domain gets a copy of in its run directory.
inline constexpr std::string_view ovmf_code = "/usr/share/OVMF/OVMF_CODE.fd";
inline constexpr std::string_view ovmf_vars = "/usr/share/OVMF/OVMF_VARS.fd";
inline constexpr std::string_view ovmf_vars_copy = "OVMF_VARS.fd";  // in the run directory

// Refuses the values of these keys QEMU cannot take, one sentence naming the key.
Result<void> validate_machine(const DomainSpec& spec);

// Whether an HVM guest gets a graphics card: vga = "none" never; an explicit vga or stdvga
// always; by default only when someone can see it (vnc = 1 or nographic = 0), since a card
// nobody can see only costs boot time.
bool wants_vga(const HvmSettings& hvm);

// The PCI slots these options take (card, sound cards, i6300esb).
std::size_t machine_pci_devices(const DomainSpec& spec);

// -cpu: the model (host under KVM, QEMU's default qemu64 under TCG) with the flags pae,
// nx and apic take away; nothing under TCG when no flag is taken away.
void add_cpu(std::vector<std::string>& argv, const DomainSpec& spec, QemuHost::Accelerator accelerator);
// -no-hpet and the PIIX4 power management's S3/S4 switches.
void add_platform(std::vector<std::string>& argv, const DomainSpec& spec);
// -rtc: localtime and rtc_timeoffset, for a guest started at `now` (seconds since the epoch).
void add_rtc(std::vector<std::string>& argv, const DomainSpec& spec, std::int64_t now);
// The graphics card (vga, stdvga, videoram), when wants_vga().
void add_vga(std::vector<std::string>& argv, const DomainSpec& spec);
// soundhw's cards, on an audio backend that plays nothing.
void add_sound(std::vector<std::string>& argv, const DomainSpec& spec);
// bios = "ovmf": the firmware and this domain's variable store (in run_dir) as pflash.
void add_firmware(std::vector<std::string>& argv, const DomainSpec& spec, const std::string& run_dir);
// The watchdog device; the watchdog's action is in the plan's -action (watchdog=pause).
void add_watchdog(std::vector<std::string>& argv, const DomainSpec& spec);

}  // namespace uxl::qemu
