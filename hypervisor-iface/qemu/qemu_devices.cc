// The devices of a QEMU guest, for its plan and its hot-plug (see qemu_devices.h).
#include "qemu/qemu_devices.h"

#include "plan_util.h"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace uxl::qemu {

namespace {

using OrderedJson = nlohmann::ordered_json;

}  // namespace

std::optional<DiskBus> disk_bus(int number)
{
    const auto n = static_cast<std::uint32_t>(number);
    if (n & (std::uint32_t{1} << 28))
        return DiskBus::virtio_blk;  // xvd beyond the 16th disk
    switch (n >> 8) {
    case 202: return DiskBus::virtio_blk;  // xvd
    case 3:
    case 22: return DiskBus::ide;           // hda-hdb, hdc-hdd
    case 8: return DiskBus::virtio_scsi;    // sd
    default: return std::nullopt;
    }
}

std::string option_value(std::string_view value)
{
    std::string out;
    for (char c : value) {
        out.push_back(c);
        if (c == ',')
            out.push_back(',');
    }
    return out;
}

std::string vdev_name(int number)
{
    const std::optional<DiskBus> bus = disk_bus(number);
    if (!bus)
        return {};
    const std::uint64_t index = plan::disk_index_and_partition(number).first;
    switch (*bus) {
    case DiskBus::virtio_blk: return linux_disk_name("xvd", index);
    case DiskBus::ide: return linux_disk_name("hd", index);
    case DiskBus::virtio_scsi: return linux_disk_name("sd", index);
    }
    return {};
}

std::optional<std::string_view> block_format(DiskFormat format)
{
    switch (format) {
    case DiskFormat::unknown:
    case DiskFormat::raw: return "raw";
    case DiskFormat::qcow: return "qcow";
    case DiskFormat::qcow2: return "qcow2";
    case DiskFormat::vhd: return "vpc";
    case DiskFormat::qed: return "qed";
    case DiskFormat::empty: return std::nullopt;
    }
    return std::nullopt;
}

bool has_media(const DiskSpec& disk)
{
    return disk.pdev_path && !disk.pdev_path->empty();
}

std::string blockdev_json(const DiskSpec& disk, const std::string& node)
{
    const std::string& path = *disk.pdev_path;
    const bool read_only = disk.is_cdrom || !disk.readwrite;
    const bool block_device = disk.backend == DiskBackend::phy || path.starts_with("/dev/");
    OrderedJson file = {{"driver", block_device ? "host_device" : "file"},
                        {"filename", path},
                        {"read-only", read_only}};
    OrderedJson format = {{"node-name", node},
                          {"driver", std::string(block_format(disk.format).value_or("raw"))},
                          {"read-only", read_only},
                          {"file", std::move(file)}};
    return format.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

std::string nic_model(const VifSpec& nic, DomainType type)
{
    const std::string model = nic.model.value_or("");
    if (model.empty())
        return type == DomainType::hvm ? "rtl8139" : "virtio-net-pci";  // xl's HVM default
    if (model == "virtio" || model == "virtio-net" || model == "virtio-net-pci")
        return "virtio-net-pci";
    if (model == "e1000" || model == "rtl8139")
        return model;
    return {};
}

std::string linux_disk_name(std::string_view prefix, std::size_t index)
{
    std::string letters;
    for (std::size_t n = index + 1; n > 0; n = (n - 1) / 26)
        letters.insert(letters.begin(), static_cast<char>('a' + (n - 1) % 26));
    return std::string(prefix) + letters;
}

std::optional<DiskIds> disk_ids(int slot)
{
    if (slot >= 0 && slot < hotplug_disk_slots)
        return DiskIds{"hotplug-drive" + std::to_string(slot), "hotplug-disk" + std::to_string(slot)};
    const std::string vdev = vdev_name(slot);
    if (vdev.empty())
        return std::nullopt;
    return DiskIds{"drive-" + vdev, "disk-" + vdev};
}

std::string nic_device_id(int devid)
{
    return "vif" + std::to_string(devid);
}

std::string nic_netdev_id(int devid)
{
    return "net-" + nic_device_id(devid);
}

}  // namespace uxl::qemu
