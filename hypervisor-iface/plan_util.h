// Helpers the backends share while validating and planning: memory sizes with xl's
// defaults, disks in virtual-device order, NIC ids, command-line words, and the checks
// every userland-kernel backend makes. Private to hypervisor-iface; pure.
#pragma once

#include "uxl/domain_spec.h"
#include "uxl/result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uxl::plan {

// libxl's memory when a config sets neither `memory` nor `maxmem`.
inline constexpr std::uint64_t libxl_default_memkb = 32 * 1024;

struct MemorySizes {
    std::uint64_t target_kb = 0;  // `memory`: what the guest should have
    std::uint64_t boot_kb = 0;    // the larger of `memory` and `maxmem`: what it boots with
    bool defaulted = false;       // neither key given: libxl's 32 MiB
};

MemorySizes memory_sizes(const DomainSpec& spec);

// "64 MiB", or "65.5 MiB" style KiB text when the size is not whole MiB.
std::string describe_kb(std::uint64_t kb);

// One disk in the order the guest numbers its disks: by disk index (xvda, hda and sda are
// all disk 0), then partition, then position in the config.
struct OrderedDisk {
    const DiskSpec* disk = nullptr;
    std::string vdev;  // as written
};

// The disk index and partition that a libxl device number encodes (vdev_to_number), so
// that xvdb, hdb and sdb are all disk 1, partition 0. A number that fits none of the
// encodings gets an index above every named disk's, and partition 0.
std::pair<std::uint64_t, int> disk_index_and_partition(int number);

// The disks sorted as above. Refuses a disk without a vdev, a vdev libxl would not accept,
// and two disks that name the same device (xvda and hda), each with one sentence.
Result<std::vector<OrderedDisk>> disks_in_vdev_order(const DomainSpec& spec);

// The NIC's device id: devid= when given (xl gives the list index otherwise).
int nic_devid(const VifSpec& nic, std::size_t index);

// Refuses two NICs with the same device id.
Result<void> check_unique_devids(const DomainSpec& spec);

// The host tap of a NIC: vifname= when given, else xl's vif<domid>.<devid>.
std::string tap_name(const VifSpec& nic, int domid, int devid);

// Refuses a tap name Linux would not take (over 15 characters) or that a backend's
// command line could not carry (`,', `/', blanks).
Result<void> check_tap_name(std::string_view tap, int devid);

// Splits on blanks (space, tab, newline) as a kernel command line is split; no quoting.
std::vector<std::string> split_blanks(std::string_view text);

bool has_blank(std::string_view text);

// Refuses a path that is not absolute: the guest runs in its own working directory, so a
// relative path would name another file than the user meant. `what` starts the sentence
// ("The kernel"); `context` names the setting or device ("kernel", "disk xvda").
Result<void> check_absolute(std::string_view path, std::string_view what,
                            std::string_view context);

// The checks every userland-kernel backend (UML, vkernel) makes: a PV domain (the kernel
// is a host program), no bootloader step, no PCI devices. `who` starts the sentences,
// e.g. "UML" or "A vkernel".
Result<void> check_userland_kernel_basics(const DomainSpec& spec, std::string_view who);

// Refuses a multicast MAC (bit 0 of the first byte), which no Ethernet interface may have.
Result<void> check_unicast_mac(const VifSpec& nic, int devid);

}  // namespace uxl::plan
