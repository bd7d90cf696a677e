// libxl_device_disk as libxl's JSON generator writes it (gentypes.py): every field in
// libxl_types.idl order, each only when it differs from its default. Strings print when
// present (an empty string included), integers and enums when not zero, libxl bools as
// `true`, and defbools as the strings "True"/"False" once set.
#include "libxl_json_parts.h"

#include <optional>
#include <string>

#include "uxl/disk_spec.h"

namespace uxl::detail {
namespace {

void put_string(OrderedJson& out, const char* key, const std::optional<std::string>& value)
{
    if (value)
        out[key] = *value;
}

void put_defbool(OrderedJson& out, const char* key, std::optional<bool> value)
{
    if (value)
        out[key] = *value ? "True" : "False";
}

// libxl "integer" fields that uxl keeps as bool still print as the integer 1.
void put_flag_as_integer(OrderedJson& out, const char* key, bool value)
{
    if (value)
        out[key] = 1;
}

}  // namespace

OrderedJson disk_to_libxl_json(const DiskSpec& disk)
{
    OrderedJson out = OrderedJson::object();
    if (disk.backend_domid != 0)
        out["backend_domid"] = disk.backend_domid;
    put_string(out, "backend_domname", disk.backend_domname);
    put_string(out, "pdev_path", disk.pdev_path);
    put_string(out, "vdev", disk.vdev);
    if (disk.backend != DiskBackend::unknown)
        out["backend"] = to_string(disk.backend);
    if (disk.format != DiskFormat::unknown)
        out["format"] = to_string(disk.format);
    put_string(out, "script", disk.script);
    put_flag_as_integer(out, "removable", disk.removable);
    put_flag_as_integer(out, "readwrite", disk.readwrite);
    put_flag_as_integer(out, "is_cdrom", disk.is_cdrom);
    if (disk.direct_io_safe)
        out["direct_io_safe"] = true;
    put_defbool(out, "discard_enable", disk.discard_enable);
    if (disk.specification != DiskSpecification::unknown)
        out["specification"] = to_string(disk.specification);
    if (disk.transport != DiskTransport::unknown)
        out["transport"] = to_string(disk.transport);
    if (disk.irq != 0)
        out["irq"] = disk.irq;
    if (disk.base != 0)
        out["base"] = disk.base;
    put_defbool(out, "colo_enable", disk.colo_enable);
    put_defbool(out, "colo_restore_enable", disk.colo_restore_enable);
    put_string(out, "colo_host", disk.colo_host);
    if (disk.colo_port != 0)
        out["colo_port"] = disk.colo_port;
    put_string(out, "colo_export", disk.colo_export);
    put_string(out, "active_disk", disk.active_disk);
    put_string(out, "hidden_disk", disk.hidden_disk);
    put_defbool(out, "trusted", disk.trusted);
    put_defbool(out, "grant_usage", disk.grant_usage);
    return out;
}

}  // namespace uxl::detail
