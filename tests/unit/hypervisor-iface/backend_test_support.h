// What the backend tests (UML, vkernel, QEMU) build their specs and plans from.
#pragma once

#include "uxl/backend.h"
#include "uxl/disk_spec.h"
#include "uxl/vif_spec.h"

#include <string>
#include <string_view>
#include <utility>

namespace uxl::test {

// A raw, writable disk at `path` as `vdev`.
inline DiskSpec disk(std::string path, std::string vdev)
{
    DiskSpec d;
    d.pdev_path = std::move(path);
    d.vdev = std::move(vdev);
    d.format = DiskFormat::raw;
    d.readwrite = true;
    return d;
}

// A vif on the host tap `tap` with the MAC `mac` ("aa:bb:cc:dd:ee:ff"; empty: none), as the
// daemon hands it to a controller to hot-plug.
inline VifSpec nic(std::string tap, std::string_view mac)
{
    VifSpec n;
    n.ifname = std::move(tap);
    if (!mac.empty())
        n.mac = parse_mac(mac).value();
    return n;
}

// The paths of domain 7 in system mode.
inline DomainPaths paths()
{
    DomainPaths p;
    p.run_dir = "/run/uxl/7";
    p.memory_dir = "/dev/shm/uxl";
    return p;
}

}  // namespace uxl::test
