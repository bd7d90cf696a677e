// Virtual block device names (`xvda`, `hdc`, `sdb1`, `d0p1`, `51712`) and the device
// numbers the Xen block protocol uses for them (xen-vbd-interface(7)).
//
// The mapping is libxl's, quirks included, because the number ends up in xenstore as the
// device id and must agree with what `xl` and the guest kernel compute.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace uxl {

// Returns the device number libxl assigns to `vdev` (libxl__device_disk_dev_number), or
// nullopt when the name is not one libxl accepts. Tried in libxl's order: `d<N>p<M>` or
// `xvd<letters>[<partition>]`, then a plain C number (decimal, 0x hex, 0 octal) up to
// INT_MAX, then `hd<letters>[<partition>]` (4 disks, 64 partitions), then
// `sd<letters>[<partition>]` (16 disks, 16 partitions). Pure; may be called anywhere.
std::optional<int> vdev_to_number(std::string_view vdev);

// Returns the `xvd…` name of a device number (libxl__devid_to_vdev): `51713` → `xvda1`,
// `268439552` → `xvdq`. Names of emulated (hd/sd) numbers come out as xvd names too, as in
// libxl. Pure; may be called anywhere.
std::string number_to_vdev(int devid);

}  // namespace uxl
