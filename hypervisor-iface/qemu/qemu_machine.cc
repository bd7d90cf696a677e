// The emulated PC's options (qemu_machine.h). Where libxl_dm.c maps a key for QEMU
// upstream, the words are libxl's: the graphics cards and their memory, soundhw as a
// device list. Where libxl leaves a key to Xen (rtc_timeoffset, the CPU flags, HPET, the
// ACPI sleep states), the words are what QEMU has for the same effect.
#include "qemu/qemu_machine.h"

#include "qemu/qemu_devices.h"

#include <string_view>

namespace uxl::qemu {
namespace {

// soundhw's names as QEMU 7.2's devices (the old -soundhw's names); "all" is every one.
struct SoundCard {
    std::string_view name;
    std::string_view devices;  // the -device words, "audiodev=" appended to the last
    bool pci;
};
constexpr SoundCard k_sound_cards[] = {
    {"hda", "intel-hda hda-duplex", true},
    {"ac97", "AC97", true},
    {"es1370", "ES1370", true},
    {"sb16", "sb16", false},
};

// soundhw = "hda,ac97": the cards in the order given; "all" expands to every card.
std::vector<std::string> sound_names(const std::string& soundhw)
{
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= soundhw.size()) {
        std::size_t comma = soundhw.find(',', start);
        if (comma == std::string::npos)
            comma = soundhw.size();
        std::string name = soundhw.substr(start, comma - start);
        if (name == "all") {
            for (const SoundCard& card : k_sound_cards)
                names.emplace_back(card.name);
        } else if (!name.empty()) {
            names.push_back(std::move(name));
        }
        start = comma + 1;
    }
    return names;
}

const SoundCard* sound_card(std::string_view name)
{
    for (const SoundCard& card : k_sound_cards)
        if (card.name == name)
            return &card;
    return nullptr;
}

VgaKind vga_kind(const HvmSettings& hvm)
{
    return hvm.vga == VgaKind::unknown ? VgaKind::cirrus : hvm.vga;  // libxl's default
}

// libxl's video memory for QEMU upstream, in MiB: videoram, else 16 (std), 8 (cirrus),
// 128 (qxl).
std::uint64_t video_mb(const HvmSettings& hvm)
{
    if (hvm.video_memkb)
        return *hvm.video_memkb / 1024;
    switch (vga_kind(hvm)) {
    case VgaKind::std: return 16;
    case VgaKind::qxl: return 128;
    default: return 8;
    }
}

}  // namespace

bool wants_vga(const HvmSettings& hvm)
{
    if (hvm.vga == VgaKind::none)
        return false;
    if (hvm.vga != VgaKind::unknown)
        return true;
    if (hvm.nographic == true)
        return false;
    return hvm.nographic == false || hvm.vnc.enable == true;
}

Result<void> validate_machine(const DomainSpec& spec)
{
    if (!spec.watchdog.empty() && spec.watchdog != "i6300esb" && spec.watchdog != "ib700")
        return fail(Errc::invalid_argument,
                    "watchdog = \"" + spec.watchdog + "\" is not a watchdog QEMU has; use \"i6300esb\" or \"ib700\".",
                    "watchdog");
    if (spec.type != DomainType::hvm)
        return {};
    const HvmSettings& hvm = spec.hvm;
    if (hvm.sdl == true)
        return fail(Errc::unsupported,
                    "sdl = 1 asks for a window on a screen, but uxl runs QEMU guests from a daemon, which has "
                    "none; use vnc = 1 and `uxl vncviewer' instead.",
                    "sdl");
    if (hvm.bios == BiosKind::rombios)
        return fail(Errc::unsupported,
                    "bios = \"rombios\" is Xen's own firmware for qemu-xen-traditional, which QEMU does not have; "
                    "use bios = \"seabios\" (the default) or \"ovmf\".",
                    "bios");
    if (wants_vga(hvm)) {
        const std::uint64_t mb = video_mb(hvm);
        const std::string given = "videoram = " + std::to_string(mb);
        switch (vga_kind(hvm)) {
        case VgaKind::std:
            if (mb < 16)
                return fail(Errc::invalid_argument,
                            given + " is too little for vga = \"stdvga\": it needs at least 16 (MiB), as libxl says.",
                            "videoram");
            break;
        case VgaKind::cirrus:
            if (mb < 8 || mb > 16)
                return fail(Errc::invalid_argument,
                            given + " does not fit the Cirrus card (vga = \"cirrus\", the default): give 8 to 16 "
                                    "(MiB), or use vga = \"stdvga\".",
                            "videoram");
            break;
        case VgaKind::qxl:
            if (mb < 128)
                return fail(Errc::invalid_argument,
                            given + " is too little for vga = \"qxl\": it needs at least 128 (MiB), as libxl says.",
                            "videoram");
            break;
        default:
            break;
        }
    }
    for (const std::string& name : sound_names(hvm.soundhw))
        if (!sound_card(name))
            return fail(Errc::unsupported,
                        "soundhw = \"" + hvm.soundhw + "\" names \"" + name +
                            "\", a sound card uxl does not know; use \"hda\", \"ac97\", \"es1370\", \"sb16\" or "
                            "\"all\".",
                        "soundhw");
    return {};
}

std::size_t machine_pci_devices(const DomainSpec& spec)
{
    std::size_t count = spec.watchdog == "i6300esb";
    if (spec.type != DomainType::hvm)
        return count;
    count += wants_vga(spec.hvm);
    for (const std::string& name : sound_names(spec.hvm.soundhw))
        if (const SoundCard* card = sound_card(name))
            count += card->pci;
    return count;
}

void add_cpu(std::vector<std::string>& argv, const DomainSpec& spec, QemuHost::Accelerator accelerator)
{
    // Xen hides long mode along with PAE (a 64-bit CPU cannot run without it), so pae = 0
    // takes both away.
    std::string flags;
    if (spec.type == DomainType::hvm) {
        if (spec.hvm.pae == false)
            flags += ",-pae,-lm";
        if (spec.hvm.nx == false)
            flags += ",-nx";
        if (spec.hvm.apic == false)
            flags += ",-apic";
    }
    if (accelerator == QemuHost::Accelerator::kvm)
        argv.insert(argv.end(), {"-cpu", "host" + flags});
    else if (!flags.empty())
        argv.insert(argv.end(), {"-cpu", "qemu64" + flags});
}

void add_platform(std::vector<std::string>& argv, const DomainSpec& spec)
{
    if (spec.type != DomainType::hvm)
        return;
    if (spec.hvm.hpet == false)
        argv.emplace_back("-no-hpet");
    if (spec.hvm.acpi_s3 == false)
        argv.insert(argv.end(), {"-global", "PIIX4_PM.disable_s3=1"});
    if (spec.hvm.acpi_s4 == false)
        argv.insert(argv.end(), {"-global", "PIIX4_PM.disable_s4=1"});
}

void add_rtc(std::vector<std::string>& argv, const DomainSpec& spec, std::int64_t now)
{
    const bool localtime = spec.localtime == true;
    if (spec.rtc_timeoffset == 0) {
        if (localtime)
            argv.insert(argv.end(), {"-rtc", "base=localtime"});
        return;
    }
    // As libxl hands Xen the offset (plus the host's UTC offset with localtime), QEMU gets
    // the RTC's start: the time now, moved by the offset, in UTC or the host's local time.
    const std::time_t start = static_cast<std::time_t>(now + spec.rtc_timeoffset);
    std::tm tm{};
    if (localtime)
        ::localtime_r(&start, &tm);
    else
        ::gmtime_r(&start, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    argv.insert(argv.end(), {"-rtc", std::string("base=") + text});
}

void add_vga(std::vector<std::string>& argv, const DomainSpec& spec)
{
    if (spec.type != DomainType::hvm || !wants_vga(spec.hvm))
        return;
    const std::string mb = std::to_string(video_mb(spec.hvm));
    switch (vga_kind(spec.hvm)) {
    case VgaKind::std:
        argv.insert(argv.end(), {"-device", "VGA,vgamem_mb=" + mb});
        break;
    case VgaKind::qxl: {
        // libxl: QXL's two regions, each half the video memory.
        const std::string half = std::to_string(video_mb(spec.hvm) / 2);
        argv.insert(argv.end(), {"-device", "qxl-vga,vram_size_mb=" + half + ",ram_size_mb=" + half});
        break;
    }
    default:
        argv.insert(argv.end(), {"-device", "cirrus-vga,vgamem_mb=" + mb});
        break;
    }
}

void add_sound(std::vector<std::string>& argv, const DomainSpec& spec)
{
    if (spec.type != DomainType::hvm)
        return;
    const std::vector<std::string> names = sound_names(spec.hvm.soundhw);
    if (names.empty())
        return;
    // A guest run by a daemon has nobody listening on the host: its cards play into
    // QEMU's "none" backend, which keeps their timing but makes no sound.
    argv.insert(argv.end(), {"-audiodev", "none,id=audio0"});
    for (const std::string& name : names) {
        std::string_view devices = sound_card(name)->devices;
        for (std::size_t start = 0; start < devices.size();) {
            std::size_t blank = devices.find(' ', start);
            const bool last = blank == std::string_view::npos;
            std::string device(devices.substr(start, last ? std::string_view::npos : blank - start));
            if (last)
                device += ",audiodev=audio0";
            argv.insert(argv.end(), {"-device", device});
            start = last ? devices.size() : blank + 1;
        }
    }
}

void add_firmware(std::vector<std::string>& argv, const DomainSpec& spec, const std::string& run_dir)
{
    if (spec.type != DomainType::hvm || spec.hvm.bios != BiosKind::ovmf)
        return;
    argv.insert(argv.end(), {"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + option_value(ovmf_code),
                             "-drive", "if=pflash,format=raw,unit=1,file=" +
                                           option_value(run_dir + "/" + std::string(ovmf_vars_copy))});
}

void add_watchdog(std::vector<std::string>& argv, const DomainSpec& spec)
{
    if (!spec.watchdog.empty())
        argv.insert(argv.end(), {"-device", spec.watchdog + ",id=watchdog0"});
}

}  // namespace uxl::qemu
