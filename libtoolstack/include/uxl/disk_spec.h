// The xl disk specification (xl-disk-configuration(5)): `disk = [ '/img,,xvda,w' ]` in a
// domain config and the arguments of `xl block-attach`.
//
// DiskSpec mirrors libxl's libxl_device_disk field for field, because `xl create -n`,
// `xl -N block-attach` and `xl list -l` print that structure as JSON and scripts read it.
// Strings that libxl keeps as possibly-NULL pointers are optionals here: an absent target
// and an empty one ("") mean different things (no target vs an empty cdrom drive) and
// print differently.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "uxl/result.h"

namespace uxl {

// The enumerations keep libxl's order and numbering (libxl_types.idl).
enum class DiskFormat { unknown, qcow, qcow2, vhd, raw, empty, qed };
enum class DiskBackend { unknown, phy, tap, qdisk, standalone };
enum class DiskSpecification { unknown, xen, virtio };
enum class DiskTransport { unknown, mmio };

struct DiskSpec {
    std::uint32_t backend_domid = 0;             // not settable from a spec; libxl fills it
    std::optional<std::string> backend_domname;  // backend=
    std::optional<std::string> pdev_path;        // the target
    std::optional<std::string> vdev;
    DiskBackend backend = DiskBackend::unknown;  // backendtype=
    DiskFormat format = DiskFormat::unknown;
    std::optional<std::string> script;           // script=, or iscsi:/nbd:/enbd:/drbd:
    bool removable = false;                      // set for every cdrom
    bool readwrite = false;                      // the parser starts from true
    bool is_cdrom = false;
    bool direct_io_safe = false;
    std::optional<bool> discard_enable;          // discard / no-discard; unset = libxl default
    DiskSpecification specification = DiskSpecification::unknown;
    DiskTransport transport = DiskTransport::unknown;  // not settable from a spec
    std::uint32_t irq = 0;                       // not settable from a spec (virtio-mmio)
    std::uint64_t base = 0;                      // not settable from a spec (virtio-mmio)
    std::optional<bool> colo_enable;             // colo / no-colo
    std::optional<bool> colo_restore_enable;     // not settable from a spec
    std::optional<std::string> colo_host;
    int colo_port = 0;
    std::optional<std::string> colo_export;
    std::optional<std::string> active_disk;
    std::optional<std::string> hidden_disk;
    std::optional<bool> trusted;                 // trusted / untrusted
    std::optional<bool> grant_usage;             // grant_usage=1 / grant_usage=0
};

// Parses one disk specification given as `fragments`: each fragment is scanned on its own
// and continues the same spec, the way `xl block-attach DOM word...` passes each argument
// word (a config file passes exactly one). `source` is the config file name, or
// "command line" for block-attach; it only appears in error messages.
//
// On success the spec has libxl's post-parse defaults applied (format raw; a cdrom is
// removable and read-only, and an empty one has format `empty`). On error returns
// Errc::invalid_argument whose message is exactly what xl prints on stderr, without the
// final newline, e.g.
//   cfg: config parsing error in disk specification: unknown value for access: near `x' in `/srv/img,,xvda,x'
// The text in the last quotes is the fragment being scanned, not the whole spec, as in
// xl. When xl would print several lines (errors that do not stop the scan), they are
// joined with "\n". Pure; may be called anywhere.
Result<DiskSpec> parse_disk_spec(std::span<const std::string> fragments, std::string_view source);

// The same for a spec given as one string (a config file's `disk = [...]` entry).
Result<DiskSpec> parse_disk_spec(std::string_view spec, std::string_view source);

// The JSON libxl's generator prints for the device: yajl beautified layout, keys in IDL
// order, fields at their defaults omitted, ending in "\n". `xl -N block-attach 0 SPEC`
// prints "disk: " + this + "\n".
std::string disk_spec_to_yajl(const DiskSpec& disk);

// libxl's lowercase names: "raw", "qcow2", "phy", "qdisk", "virtio", "mmio", "unknown"…
std::string to_string(DiskFormat format);
std::string to_string(DiskBackend backend);
std::string to_string(DiskSpecification specification);
std::string to_string(DiskTransport transport);

}  // namespace uxl
