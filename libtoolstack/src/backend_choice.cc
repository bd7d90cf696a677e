#include "uxl/backend_choice.h"

#include "uxl/config_reader.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace uxl {
namespace {

template <class T>
T read_le(std::string_view bytes, std::size_t offset)
{
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
        value |= static_cast<T>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
    return value;
}

bool starts_with_bytes(std::string_view head, std::initializer_list<unsigned char> magic)
{
    if (head.size() < magic.size())
        return false;
    std::size_t i = 0;
    for (unsigned char byte : magic)
        if (static_cast<unsigned char>(head[i++]) != byte)
            return false;
    return true;
}

// An ELF file: a program for the host when it asks for an interpreter or is position
// independent; a kernel when it loads at physical addresses other than its virtual ones
// (vmlinux: 0xffffffff81000000 at 0x1000000) or enters in the kernel's half.
KernelImage classify_elf(std::string_view head)
{
    constexpr unsigned k_et_dyn = 3;
    constexpr unsigned k_pt_load = 1;
    constexpr unsigned k_pt_interp = 3;
    const bool is64 = head.size() > 4 && head[4] == 2;
    const bool little = head.size() > 5 && head[5] == 1;
    if (!little || head.size() < (is64 ? 64u : 52u))
        return KernelImage::unknown;
    const unsigned type = read_le<std::uint16_t>(head, 16);
    const std::uint64_t entry = is64 ? read_le<std::uint64_t>(head, 24) : read_le<std::uint32_t>(head, 24);
    const std::uint64_t phoff = is64 ? read_le<std::uint64_t>(head, 32) : read_le<std::uint32_t>(head, 28);
    const unsigned phentsize = read_le<std::uint16_t>(head, is64 ? 54 : 42);
    const unsigned phnum = read_le<std::uint16_t>(head, is64 ? 56 : 44);
    bool kernel_like = is64 ? entry >= 0xffff800000000000ull : entry >= 0xc0000000u;
    for (unsigned i = 0; i < phnum; ++i) {
        const std::uint64_t at = phoff + std::uint64_t{i} * phentsize;
        if (phentsize < (is64 ? 56u : 32u) || at + phentsize > head.size())
            break;
        const unsigned p_type = read_le<std::uint32_t>(head, at);
        if (p_type == k_pt_interp)
            return KernelImage::user_program;
        if (p_type != k_pt_load)
            continue;
        const std::uint64_t vaddr = is64 ? read_le<std::uint64_t>(head, at + 16) : read_le<std::uint32_t>(head, at + 8);
        const std::uint64_t paddr = is64 ? read_le<std::uint64_t>(head, at + 24) : read_le<std::uint32_t>(head, at + 12);
        if (vaddr != paddr)
            kernel_like = true;
    }
    if (type == k_et_dyn)
        return KernelImage::user_program;
    return kernel_like ? KernelImage::machine_kernel : KernelImage::user_program;
}

// A key a backend reads past, and why; `hvm_ok`: honoured for type = "hvm" after all.
struct Unhonoured {
    const char* key;
    const char* why;
    bool hvm_ok = false;
};

constexpr const char* k_uml_display = "a User-Mode Linux guest has no framebuffer, keyboard or mouse";
constexpr const char* k_uml_hvm = "it describes an emulated PC, which a User-Mode Linux guest is not";
constexpr const char* k_no_labels = "uxl has no XSM/FLASK security labels";
constexpr const char* k_no_passthrough = "uxl passes no host interrupts, memory or I/O ports through";
constexpr const char* k_no_pv_device = "uxl does not provide this PV device";
constexpr const char* k_qemu_display = "uxl gives only HVM guests a display (vnc=); a PV guest's console is hvc0 or the serial port";
constexpr const char* k_qemu_later = "the QEMU backend does not map this key yet";
constexpr const char* k_hvm_only = "it applies to HVM guests only (type = \"hvm\")";
constexpr const char* k_qemu_viridian =
    "QEMU gives Hyper-V enlightenments only under KVM, and uxl does not map them yet (Windows runs without them)";

constexpr std::array k_uml_unhonoured = {
    Unhonoured{"vfb", k_uml_display},       Unhonoured{"vkb", k_uml_display},
    Unhonoured{"vnc", k_uml_display},       Unhonoured{"vnclisten", k_uml_display},
    Unhonoured{"vncdisplay", k_uml_display}, Unhonoured{"vncunused", k_uml_display},
    Unhonoured{"vncpasswd", k_uml_display}, Unhonoured{"sdl", k_uml_display},
    Unhonoured{"opengl", k_uml_display},    Unhonoured{"keymap", k_uml_display},
    Unhonoured{"serial", "a User-Mode Linux guest's one terminal is its console"},
    Unhonoured{"localtime", "a User-Mode Linux guest's clock is the host's"},
    Unhonoured{"rtc_timeoffset", "a User-Mode Linux guest's clock is the host's"},
    Unhonoured{"seclabel", k_no_labels},    Unhonoured{"init_seclabel", k_no_labels},
    Unhonoured{"usb", k_uml_hvm},           Unhonoured{"usbdevice", k_uml_hvm},
    Unhonoured{"usbctrl", k_uml_hvm},       Unhonoured{"usbdev", k_uml_hvm},
    Unhonoured{"soundhw", k_uml_hvm},       Unhonoured{"vga", k_uml_hvm},
    Unhonoured{"stdvga", k_uml_hvm},        Unhonoured{"videoram", k_uml_hvm},
    Unhonoured{"nographic", k_uml_hvm},     Unhonoured{"device_model_args", k_uml_hvm},
    Unhonoured{"bios", k_uml_hvm},          Unhonoured{"pae", k_uml_hvm},
    Unhonoured{"apic", k_uml_hvm},          Unhonoured{"hpet", k_uml_hvm},
    Unhonoured{"acpi_s3", k_uml_hvm},       Unhonoured{"acpi_s4", k_uml_hvm},
    Unhonoured{"nx", k_uml_hvm},            Unhonoured{"viridian", k_uml_hvm},
    Unhonoured{"watchdog", "a User-Mode Linux guest has no emulated watchdog device (its kernel's softdog works)"},
    Unhonoured{"dtdev", k_no_passthrough},  Unhonoured{"irqs", k_no_passthrough},
    Unhonoured{"iomem", k_no_passthrough},  Unhonoured{"ioports", k_no_passthrough},
    Unhonoured{"channel", k_no_pv_device},  Unhonoured{"vtpm", k_no_pv_device},
    Unhonoured{"p9", k_no_pv_device},       Unhonoured{"vdispl", k_no_pv_device},
    Unhonoured{"vsnd", k_no_pv_device},     Unhonoured{"pvcalls", k_no_pv_device},
};

constexpr std::array k_qemu_unhonoured = {
    Unhonoured{"vfb", k_qemu_display},         Unhonoured{"vkb", k_qemu_display},
    Unhonoured{"vnc", k_qemu_display, true},   Unhonoured{"vnclisten", k_qemu_display, true},
    Unhonoured{"vncdisplay", k_qemu_display, true}, Unhonoured{"vncunused", k_qemu_display, true},
    Unhonoured{"vncpasswd", k_qemu_display, true},
    // `uxl check` says so for HVM too: its sdl = 1 is refused at create (QemuBackend::validate).
    Unhonoured{"sdl", "uxl runs guests from a daemon, which has no screen (create refuses sdl = 1 for an HVM guest)"},
    Unhonoured{"opengl", k_qemu_display},      Unhonoured{"keymap", k_qemu_display},
    Unhonoured{"seclabel", k_no_labels},       Unhonoured{"init_seclabel", k_no_labels},
    Unhonoured{"usb", k_hvm_only, true},       Unhonoured{"usbdevice", k_hvm_only, true},
    Unhonoured{"usbctrl", k_qemu_later},       Unhonoured{"usbdev", k_qemu_later},
    Unhonoured{"soundhw", k_hvm_only, true},   Unhonoured{"stdvga", k_hvm_only, true},
    Unhonoured{"vga", k_hvm_only, true},       Unhonoured{"videoram", k_hvm_only, true},
    Unhonoured{"bios", k_hvm_only, true},      Unhonoured{"pae", k_hvm_only, true},
    Unhonoured{"apic", k_hvm_only, true},      Unhonoured{"hpet", k_hvm_only, true},
    Unhonoured{"acpi_s3", k_hvm_only, true},   Unhonoured{"acpi_s4", k_hvm_only, true},
    Unhonoured{"nx", k_hvm_only, true},        Unhonoured{"viridian", k_qemu_viridian},
    Unhonoured{"cpuid", k_qemu_later},
    Unhonoured{"dtdev", k_no_passthrough},     Unhonoured{"irqs", k_no_passthrough},
    Unhonoured{"iomem", k_no_passthrough},     Unhonoured{"ioports", k_no_passthrough},
    Unhonoured{"channel", k_no_pv_device},     Unhonoured{"vtpm", k_no_pv_device},
    Unhonoured{"p9", k_no_pv_device},          Unhonoured{"vdispl", k_no_pv_device},
    Unhonoured{"vsnd", k_no_pv_device},        Unhonoured{"pvcalls", k_no_pv_device},
};

}  // namespace

KernelImage classify_kernel_image(std::string_view head)
{
    if (head.size() >= 0x206 && head.substr(0x202, 4) == "HdrS")
        return KernelImage::machine_kernel;  // a Linux bzImage's setup header
    if (starts_with_bytes(head, {0x7f, 'E', 'L', 'F'}))
        return classify_elf(head);
    // Compressed: a kernel (NetBSD's netbsd-XEN3_DOMU.gz); a program is never shipped so.
    if (starts_with_bytes(head, {0x1f, 0x8b}) || starts_with_bytes(head, {0xfd, '7', 'z', 'X', 'Z', 0}) ||
        starts_with_bytes(head, {'B', 'Z', 'h'}) || starts_with_bytes(head, {0x28, 0xb5, 0x2f, 0xfd}))
        return KernelImage::machine_kernel;
    return KernelImage::unknown;
}

BackendChoice choose_backend(const DomainSpec& spec, KernelImage kernel)
{
    if (spec.type == DomainType::hvm)
        return {BackendKind::qemu, "type = \"hvm\" is a full machine"};
    if (spec.kernel.empty())
        return {BackendKind::qemu, "a " + std::string(to_string(spec.type)) + " guest without a kernel boots a disk"};
    switch (kernel) {
    case KernelImage::machine_kernel:
        return {BackendKind::qemu, "kernel " + spec.kernel + " is a kernel image, booted directly"};
    case KernelImage::user_program:
        return {BackendKind::uml, "kernel " + spec.kernel + " is a User-Mode Linux executable"};
    case KernelImage::unknown:
        break;
    }
    return {BackendKind::uml, "kernel " + spec.kernel + " could not be read or recognised (uml is the default)"};
}

void warn_unhonoured_keys(ConfigReader& reader, const DomainSpec& spec, std::string_view source)
{
    const Unhonoured* begin = nullptr;
    const Unhonoured* end = nullptr;
    if (spec.backend == BackendKind::uml) {
        begin = k_uml_unhonoured.data();
        end = begin + k_uml_unhonoured.size();
    } else if (spec.backend == BackendKind::qemu) {
        begin = k_qemu_unhonoured.data();
        end = begin + k_qemu_unhonoured.size();
    }
    for (const Unhonoured* u = begin; u != end; ++u) {
        if (u->hvm_ok && spec.type == DomainType::hvm)
            continue;
        const Setting* setting = reader.config().find(u->key);
        if (!setting)
            continue;
        const std::string text = std::string(u->key) + " is ignored by the " + std::string(to_string(spec.backend)) +
                                 " backend: " + u->why;
        reader.warn(*setting, text, std::string(source) + ":" + std::to_string(setting->line) + ": warning: " + text);
    }
}

}  // namespace uxl
