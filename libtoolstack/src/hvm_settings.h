// Reading DomainSpec::hvm (domain_spec.h), apart from the builder because only the QEMU
// backend needs it and domain_spec.cc is long enough.
#pragma once

#include "uxl/config_reader.h"
#include "uxl/domain_spec.h"

namespace uxl {

// Reads acpi (for every type, as xl does) and, for type = "hvm", boot, serial and
// nographic into spec.hvm; spec.type must be set. Never fails and never warns: a value of
// the wrong kind is left unset (see HvmSettings for why, for now).
void read_hvm_settings(ConfigReader& reader, DomainSpec& spec);

}  // namespace uxl
