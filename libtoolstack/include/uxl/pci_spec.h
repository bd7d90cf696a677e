// PciSpec: one passed-through PCI device as libxlu's PCI_SPEC_STRING parser leaves it
// (tools/libs/util/libxlu_pci.c, xlu_pci_parse_spec_string; docs/man/xl-pci-configuration.5).
//
//   PCI_SPEC_STRING = BDF[@VSLOT][,KEY=VALUE]...  |  KEY=VALUE[,KEY=VALUE]...
//   BDF             = [DDDD:]BB:SS.F              (hex; F may be '*' for all functions)
//
// Used by the config builder (`pci = [ ... ]`) and by pci-attach / pci-detach. Parsing
// never prints; see PciParseOptions::report for the text libxlu itself would print.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "uxl/result.h"

namespace uxl {

// libxl_rdm_reserve_policy. `invalid` is libxl's "not given": libxl then applies the
// domain-wide `rdm=` policy.
enum class RdmReservePolicy { invalid, strict, relaxed };

// libxl's spelling ("invalid", "strict", "relaxed").
std::string_view to_string(RdmReservePolicy policy);

// LIBXL_PCI_FUNC_ALL: vfunc_mask for a BDF whose function is '*'.
inline constexpr std::uint32_t pci_func_all = 0xffffffffu;

// Field names and defaults follow libxl_device_pci (libxl_device_pci_init).
struct PciSpec {
    int domain = 0;               // DDDD, at most 0xffff
    std::uint8_t bus = 0;         // BB
    std::uint8_t dev = 0;         // SS, at most 0x1f
    std::uint8_t func = 0;        // F, at most 7; 0 when F is '*'
    std::uint32_t vdevfn = 0;     // @VSLOT or vslot=, stored as slot << 3
    std::uint32_t vfunc_mask = 0; // 1 for one function, pci_func_all for '*'
    bool msitranslate = false;
    bool power_mgmt = false;
    bool permissive = false;
    bool seize = false;
    RdmReservePolicy rdm_policy = RdmReservePolicy::invalid;
    std::optional<std::string> name;  // name=: a device made assignable under a name

    friend bool operator==(const PciSpec&, const PciSpec&) = default;
};

struct PciParseOptions {
    // The device the string is applied to. xl's config reader first copies the top-level
    // pci_msitranslate / pci_power_mgmt / pci_permissive / pci_seize and the `rdm=` policy
    // into it, so keys in the string override them; pci-attach starts from libxl's defaults.
    PciSpec initial{};
    // Receives what libxlu writes to its report stream for a failure (xl's stderr), which
    // xl prints with no newline, directly before its own "unable to parse …" or
    // "pci-attach: malformed …" line: "Unknown PCI_SPEC_STRING option: KEY" or
    // "Unknown RDM policy: VALUE". Left empty for the failures libxlu reports silently.
    // May be null.
    std::string* report = nullptr;
};

// Parses a PCI_SPEC_STRING. Exactly one of a BDF (positional or bdf=) and name= must be
// given. Reproduces libxlu's leniencies: numbers are read as sscanf's %x does (leading
// blanks, "0x"), whether a domain is present is decided by counting ':' in the leading
// run of hex digits and colons, text after the value of bdf= or vslot= is ignored, boolean
// keys use atoi, and rdm_policy= is matched without regard to case. The Error's message
// is libxlu's report text when libxlu prints one, else a sentence saying what is wrong;
// its context is the spec string.
Result<PciSpec> parse_pci_spec(std::string_view spec, const PciParseOptions& options);
Result<PciSpec> parse_pci_spec(std::string_view spec);

// The host BDF in libxl's format, "%04x:%02x:%02x.%01x", e.g. "0000:36:00.0".
std::string pci_spec_to_bdf(const PciSpec& spec);

}  // namespace uxl
