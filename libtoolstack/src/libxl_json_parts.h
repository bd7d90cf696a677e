// libxl's JSON for single devices, shared by the places that print them (`xl -N
// block-attach`, `xl create -n`, `xl list -l`). Each function builds the object the way
// libxl's generated *_gen_json does: keys in IDL order, fields at their default omitted.
//
// Internal to libtoolstack: OrderedJson is nlohmann's, which stays out of public headers.
#pragma once

#include "yajl_writer.h"

namespace uxl {
struct DiskSpec;
struct VifSpec;
struct PciSpec;
struct HvmSettings;
}

namespace uxl::detail {

// libxl_device_disk_gen_json. Pure; may be called anywhere.
OrderedJson disk_to_libxl_json(const DiskSpec& disk);

// libxl_device_nic_gen_json (libxl_json_net.cc). Pure; may be called anywhere.
OrderedJson nic_to_libxl_json(const VifSpec& nic);

// libxl_device_pci_gen_json (libxl_json_net.cc). Pure; may be called anywhere.
OrderedJson pci_to_libxl_json(const PciSpec& pci);

// b_info.type.hvm, libxl_domain_build_info's u.hvm (libxl_json_hvm.cc). Pure.
OrderedJson hvm_to_libxl_json(const HvmSettings& hvm);

}  // namespace uxl::detail
