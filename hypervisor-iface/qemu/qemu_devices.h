// A QEMU guest's disks and NICs as both the plan (qemu_backend.cc) and the controller's
// hot-plug (qemu_controller.cc) make them: the bus a vdev goes on, a disk's block node, the
// NIC models, the ids QEMU knows each device by, and the names Linux gives them. Private to
// the QEMU backend; pure.
//
// The ids, and what a slot (PlannedDevice::slot, Controller::attach_disk) is:
// - A disk configured at create is the block node drive-<vdev> behind the device
//   disk-<vdev>, vdev written as its number reads (xvdb, hdc, sda: a disk configured as
//   `51728` is drive-xvdb too). Its slot is its devid, that number (51728 for xvdb).
// - A disk hot-plugged into slot N is the node hotplug-drive<N> behind the device
//   hotplug-disk<N>. N is the daemon's choice, the lowest slot free, so always below
//   hotplug_disk_slots and below every devid (the smallest, hda's, is 768).
// So the slot alone names both ids of any disk, without asking QEMU or remembering
// anything: a controller made anew for an adopted guest (uxld restarted) detaches what its
// predecessor attached. And ids cannot clash: xvdb hot-plugged after the configured xvdb
// was detached is hotplug-disk0, never disk-xvdb again.
// - A NIC is the netdev net-vif<D> behind the device vif<D>, D its devid, which is also its
//   slot, whether it was configured or hot-plugged: the daemon never gives two NICs of one
//   domain the same devid, and a NIC stays in its table until QEMU has deleted it.
#pragma once

#include "uxl/domain_spec.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace uxl::qemu {

// Where a disk goes, by the kind of name its vdev has.
enum class DiskBus { virtio_blk, ide, virtio_scsi };

// xvd* on virtio-blk, hd* on IDE, sd* on virtio-scsi; nullopt for a number that is none
// of these (d0p0 names beyond them, plain numbers of other majors).
std::optional<DiskBus> disk_bus(int number);

// The name a vdev number reads as, on its own bus: 51728 → xvdb, 5632 → hdc, 2064 → sdb;
// partitions are left out (QEMU gives guests whole disks). Empty for a number
// disk_bus() refuses.
std::string vdev_name(int number);

// QEMU's block driver for a format ("raw", "qcow2", "vpc", ...); nullopt for `empty`.
std::optional<std::string_view> block_format(DiskFormat format);

// Whether the disk has a target (an empty cdrom drive has none).
bool has_media(const DiskSpec& disk);

// The block node that serves a disk with media, as a JSON object: the same text is
// -blockdev's argument and blockdev-add's arguments. The format node is `node`, over a
// `file` node (`host_device` for a block device, which `file` refuses since QEMU 6.0);
// both read-only for a cdrom or a disk without `w`.
std::string blockdev_json(const DiskSpec& disk, const std::string& node);

// The QEMU device of a NIC's model= ("virtio-net-pci", "e1000", "rtl8139"); without one,
// what xl's device model gives a guest of this type (rtl8139 for HVM) or virtio-net-pci.
// Empty for a model uxl does not offer.
std::string nic_model(const VifSpec& nic, DomainType type);

// Linux's name for its index-th disk of a kind: "vd" + (0 → a, 25 → z, 26 → aa, ...).
std::string linux_disk_name(std::string_view prefix, std::size_t index);

// Slots below this are the daemon's hot-plug slots; the rest are devids of configured
// disks. A pc machine has far fewer disks than this (30 PCI slots, 16 sd*, 4 hd*).
inline constexpr int hotplug_disk_slots = 256;

struct DiskIds {
    std::string node;    // the block node: drive-xvdb, hotplug-drive0
    std::string device;  // the guest's device: disk-xvdb, hotplug-disk0
};

// The ids of the disk a configured disk's devid or a hot-plug slot names; nullopt for a
// slot that is neither.
std::optional<DiskIds> disk_ids(int slot);

// The virtio-scsi controller that sd* disks hang on (bus scsi0.0): the plan adds it with
// the first sd* disk, and an sd* disk can be hot-plugged only when it is there.
inline constexpr std::string_view scsi_controller_id = "scsi0";

// A value inside QEMU's key=value option syntax (-chardev path=..., -drive file=...), where
// a comma is written twice.
std::string option_value(std::string_view value);

// The guest agent's channel (guest_agent.h): QEMU's chardev id for its host end, and the
// name of the virtio-serial port the guest sees (/dev/virtio-ports/<name>).
inline constexpr std::string_view guest_agent_chardev = "qga0";
inline constexpr std::string_view guest_agent_port = "org.qemu.guest_agent.0";

// A NIC's ids, by devid.
std::string nic_device_id(int devid);  // vif1
std::string nic_netdev_id(int devid);  // net-vif1

}  // namespace uxl::qemu
