#include "plan_util.h"

#include "uxl/vdev.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <tuple>
#include <utility>

namespace uxl::plan {

MemorySizes memory_sizes(const DomainSpec& spec)
{
    // libxl: max_memkb defaults to 32 MiB and target_memkb to max_memkb; xl sets maxmem
    // from memory when only memory is given.
    MemorySizes sizes;
    std::optional<std::uint64_t> target = spec.target_memkb;
    std::optional<std::uint64_t> max = spec.max_memkb;
    sizes.defaulted = !target && !max;
    sizes.target_kb = target.value_or(max.value_or(libxl_default_memkb));
    sizes.boot_kb = std::max(sizes.target_kb, max.value_or(sizes.target_kb));
    return sizes;
}

std::string describe_kb(std::uint64_t kb)
{
    if (kb % 1024 == 0)
        return std::to_string(kb / 1024) + " MiB";
    return std::to_string(kb) + " KiB";
}

// A bare number that fits none of the encodings sorts by its value after every named disk.
std::pair<std::uint64_t, int> disk_index_and_partition(int number)
{
    const auto n = static_cast<std::uint32_t>(number);
    if (n & (std::uint32_t{1} << 28))
        return {(n & ~(std::uint32_t{1} << 28)) >> 8, static_cast<int>(n & 0xff)};
    switch (n >> 8) {
    case 202:  // xvd
    case 8:    // sd
        return {(n >> 4) & 0xf, static_cast<int>(n & 0xf)};
    case 3:  // hda, hdb
        return {(n >> 6) & 1, static_cast<int>(n & 0x3f)};
    case 22:  // hdc, hdd
        return {2 + ((n >> 6) & 1), static_cast<int>(n & 0x3f)};
    default:
        return {(std::uint64_t{1} << 32) + n, 0};
    }
}

Result<std::vector<OrderedDisk>> disks_in_vdev_order(const DomainSpec& spec)
{
    struct Keyed {
        std::pair<std::uint64_t, int> key;
        std::size_t position;
        OrderedDisk disk;
    };
    std::vector<Keyed> keyed;
    std::map<std::pair<std::uint64_t, int>, std::string> seen;
    for (std::size_t i = 0; i < spec.disks.size(); ++i) {
        const DiskSpec& disk = spec.disks[i];
        const std::string context = "disk " + std::to_string(i + 1);
        if (!disk.vdev || disk.vdev->empty())
            return fail(Errc::invalid_argument,
                        "Disk " + std::to_string(i + 1) +
                            " has no vdev; give each disk a virtual device name such as xvda.",
                        context);
        std::optional<int> number = vdev_to_number(*disk.vdev);
        if (!number)
            return fail(Errc::invalid_argument,
                        "Disk " + std::to_string(i + 1) + " has vdev `" + *disk.vdev +
                            "', which is not a virtual device name (xvda, hdc, sdb, ...).",
                        context);
        auto key = disk_index_and_partition(*number);
        if (auto [it, inserted] = seen.emplace(key, *disk.vdev); !inserted)
            return fail(Errc::invalid_argument,
                        "Disks " + it->second + " and " + *disk.vdev +
                            " name the same virtual device; give each disk its own vdev.",
                        "disk " + *disk.vdev);
        keyed.push_back({key, i, OrderedDisk{&disk, *disk.vdev}});
    }
    std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
        return std::tie(a.key, a.position) < std::tie(b.key, b.position);
    });
    std::vector<OrderedDisk> ordered;
    ordered.reserve(keyed.size());
    for (Keyed& k : keyed)
        ordered.push_back(std::move(k.disk));
    return ordered;
}

int nic_devid(const VifSpec& nic, std::size_t index)
{
    return nic.devid >= 0 ? nic.devid : static_cast<int>(index);
}

Result<void> check_unique_devids(const DomainSpec& spec)
{
    std::map<int, std::size_t> seen;
    for (std::size_t i = 0; i < spec.nics.size(); ++i) {
        int devid = nic_devid(spec.nics[i], i);
        if (auto [it, inserted] = seen.emplace(devid, i); !inserted)
            return fail(Errc::invalid_argument,
                        "Vifs " + std::to_string(it->second + 1) + " and " +
                            std::to_string(i + 1) + " both have devid " +
                            std::to_string(devid) + "; give each vif its own devid.",
                        "vif " + std::to_string(devid));
    }
    return {};
}

std::string tap_name(const VifSpec& nic, int domid, int devid)
{
    if (nic.ifname && !nic.ifname->empty())
        return *nic.ifname;
    return "vif" + std::to_string(domid) + "." + std::to_string(devid);
}

Result<void> check_tap_name(std::string_view tap, int devid)
{
    constexpr std::size_t max_ifname_length = 15;  // IFNAMSIZ - 1
    const std::string context = "vif " + std::to_string(devid);
    if (tap.size() > max_ifname_length)
        return fail(Errc::invalid_argument,
                    "Vif " + std::to_string(devid) + "'s host interface name `" + std::string(tap) +
                        "' is longer than the 15 characters Linux allows.",
                    context);
    if (tap.find_first_of(",/") != std::string_view::npos || has_blank(tap))
        return fail(Errc::invalid_argument,
                    "Vif " + std::to_string(devid) + "'s host interface name `" + std::string(tap) +
                        "' may not contain `,', `/' or blanks.",
                    context);
    return {};
}

bool has_blank(std::string_view text)
{
    return text.find_first_of(" \t\n\r\v\f") != std::string_view::npos;
}

std::vector<std::string> split_blanks(std::string_view text)
{
    std::vector<std::string> words;
    constexpr std::string_view blanks = " \t\n\r\v\f";
    std::size_t start = text.find_first_not_of(blanks);
    while (start != std::string_view::npos) {
        std::size_t end = text.find_first_of(blanks, start);
        words.emplace_back(text.substr(start, end - start));
        start = end == std::string_view::npos ? end : text.find_first_not_of(blanks, end);
    }
    return words;
}

Result<void> check_absolute(std::string_view path, std::string_view what,
                            std::string_view context)
{
    if (!path.starts_with('/'))
        return fail(Errc::invalid_argument,
                    std::string(what) + ", `" + std::string(path) +
                        "', must be an absolute path, because the guest runs in its own "
                        "directory.",
                    std::string(context));
    return {};
}

Result<void> check_userland_kernel_basics(const DomainSpec& spec, std::string_view who)
{
    const std::string name(who);
    if (spec.type != DomainType::pv)
        return fail(Errc::unsupported,
                    name + " runs its kernel as a host program, which is a PV guest; type = \"" +
                        std::string(to_string(spec.type)) + "\" needs backend = \"qemu\".",
                    "type");
    if (!spec.bootloader.empty())
        return fail(Errc::unsupported,
                    name + " has no bootloader step: leave out bootloader = \"" + spec.bootloader +
                        "\" and name the kernel with kernel =.",
                    "bootloader");
    if (!spec.pcidevs.empty())
        return fail(Errc::unsupported,
                    name + " has no PCI bus, so it cannot pass PCI devices through; remove "
                           "pci = [...].",
                    "pci");
    return {};
}

Result<void> check_unicast_mac(const VifSpec& nic, int devid)
{
    if (nic.mac.bytes[0] & 1)
        return fail(Errc::invalid_argument,
                    "Vif " + std::to_string(devid) + " has the multicast MAC address " +
                        nic.mac.to_string() +
                        ", which no interface may have; clear bit 0 of the first byte.",
                    "vif " + std::to_string(devid));
    return {};
}

}  // namespace uxl::plan
