// VifSpec: one network interface as xl's vif parser leaves it (tools/xl/xl_parse.c
// parse_nic_config, tools/libs/util/libxlu_vif.c), before libxl fills in defaults.
//
// Used by the config builder (each `vif = [ '...' ]` entry) and by `network-attach`
// (each argv word after the domain). Parsing never prints: what xl prints and carries on
// after goes to VifParseOptions::warnings; what xl exits on becomes an Error whose message
// is xl's text without the trailing newline.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "uxl/mac_address.h"
#include "uxl/result.h"

namespace uxl {

// libxl_nic_type. `unknown` means "not given": libxl picks vif for PV, ioemu for HVM.
enum class NicType { unknown, vif_ioemu, vif };

// libxl's spelling ("unknown", "vif_ioemu", "vif").
std::string_view to_string(NicType type);

// Field names and defaults follow libxl_device_nic. A std::nullopt string is libxl's NULL
// ("not given"), which is not the same as an empty string: `bridge=` sets an empty bridge,
// and libxl prints it.
struct VifSpec {
    std::uint32_t backend_domid = 0;                // never set by xl's parser
    std::optional<std::string> backend_domname;     // backend=
    int devid = -1;                                 // devid=, else the list index
    int mtu = 0;                                    // mtu=; 0 = libxl's default (1500)
    std::optional<std::string> vlan;                // vlan=, kept as text for the script
    std::optional<std::string> model;               // model=
    MacAddress mac;                                 // mac=; all zero = generate one
    std::optional<std::string> ip;                  // ip=
    std::optional<std::string> bridge;              // bridge=
    std::optional<std::string> ifname;              // vifname=
    std::optional<std::string> script;              // script=
    NicType nictype = NicType::unknown;             // type=vif|ioemu
    std::uint64_t rate_bytes_per_interval = 0;      // rate= (0 = unlimited)
    std::uint32_t rate_interval_usecs = 0;          // rate=…@interval (50000 when rate= given)
    std::optional<std::string> gatewaydev;          // gatewaydev= (or deprecated netdev=)
    // COLO settings, keyed by libxl field name (coloft_forwarddev, colo_sock_mirror_id, …).
    // xl's token names equal the field names, except forwarddev= for coloft_forwarddev.
    std::map<std::string, std::string, std::less<>> colo;
    std::optional<bool> trusted;                    // `trusted` / `untrusted` flags

    friend bool operator==(const VifSpec&, const VifSpec&) = default;
};

// The libxl names of the COLO fields, in libxl_device_nic's IDL order (the JSON order).
std::span<const std::string_view> vif_colo_field_names();

struct VifParseOptions {
    // What xl names the source in rate errors: the config file name for `create`,
    // "command line" for `network-attach`.
    std::string_view source;
    // The devid the NIC starts with: the list index for a config file, -1 (libxl's
    // "unset") for network-attach. A devid= token overrides it.
    int devid = -1;
    enum class Mode {
        // `xl create`: a token xl rejects (unknown key, bad mac=, bad type=) is reported
        // and skipped; the rest of the entry still applies.
        config_file,
        // `xl network-attach`: the same tokens make the command fail.
        command_line,
    };
    Mode mode = Mode::config_file;
    // Receives the lines xl prints and carries on after (without "\n"), e.g.
    // "unrecognized argument `foo'" or the netdev= deprecation notice. May be null.
    std::vector<std::string>* warnings = nullptr;
};

// Parses tokens that are already split: each is `key=value` or a bare flag (`trusted`,
// `untrusted`); keys match on the exact prefix "key=" as xl's MATCH_OPTION does, so no
// blanks are trimmed. Rate errors and unreadable devid=/mtu= numbers fail in both modes,
// because xl exits on them in both; the message is xl's, e.g.
// "cfg: config parsing error in vif: invalid rate in `10MB'" or
// "xl: failed to convert \"x\" to number".
Result<VifSpec> parse_vif_tokens(std::span<const std::string> tokens,
                                 const VifParseOptions& options);

// xl network-attach's words: parse_vif_tokens with source "command line", devid -1 and
// Mode::command_line.
Result<VifSpec> parse_network_attach_tokens(std::span<const std::string> tokens,
                                            std::vector<std::string>* warnings);

// Parses one config-file vif entry: split on ',' like strtok (empty tokens are skipped),
// leading spaces (not tabs) stripped from each token, trailing blanks kept. "" gives a
// NIC with every default.
Result<VifSpec> parse_vif_spec(std::string_view spec, const VifParseOptions& options);

// The JSON libxl_device_nic_to_json() prints for this NIC: yajl's beautified layout, keys
// in IDL order, fields at their default left out; ends in "\n".
// `xl -N network-attach 0 TOKENS` prints "vif: " + this + "\n".
std::string vif_spec_to_yajl(const VifSpec& spec);

}  // namespace uxl
