// Reading DomainSpec::hvm (domain_spec.h) and the other device-model keys, apart from the
// builder because only the QEMU backend needs them and domain_spec.cc is long enough.
#pragma once

#include "uxl/config_reader.h"
#include "uxl/domain_spec.h"
#include "uxl/result.h"

#include <string_view>

namespace uxl {

// Reads what xl reads for every type (acpi, localtime, rtc_timeoffset, videoram,
// device_model_args*), uxl's watchdog, and, for type = "hvm", the emulated machine (boot,
// serial, nographic, vnc*, sdl, usb*, vga/stdvga, bios, the platform flags, soundhw) into
// spec; spec.type must be set. A value of the wrong kind is left unset, without xl's
// warning (see HvmSettings); xl's errors (an unknown vga or bios) and an unknown watchdog
// are an Errc::invalid_argument whose context is "SOURCE:LINE". Never prints.
Result<void> read_hvm_settings(ConfigReader& reader, DomainSpec& spec, std::string_view source);

}  // namespace uxl
