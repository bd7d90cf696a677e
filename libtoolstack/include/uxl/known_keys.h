// The top-level keys of a domain config that mean something to someone: xl, xm or uxl.
//
// xl silently ignores a key it does not read, so a typo (`memroy = 512`) costs the guest
// its memory setting without a word. `uxl check` uses this table to report such keys and
// to suggest the key that was probably meant. The table holds:
//  - every key xl's parse_config_data() reads (tools/xl/xl_parse.c, xl.cfg(5)), including
//    the deprecated ones it still reads or warns about (`builder`, `device_model`,
//    `vncviewer`, `vif2`, `altp2mhvm`, `stdvga`, ...);
//  - the keys of xm's example configs (Xen 3/4 tools/examples/xm*) that xl does not read,
//    because old configs still carry them (`nics`, `restart`, `cpu`, `dhcp`, ...);
//  - uxl's own keys (`backend`).
// Settings of /etc/xen/xl.conf (`autoballoon`, `vifscript`, ...) are not domain keys; they
// are recognised separately so that check can say where they belong.
//
// All functions are pure and may be called from anywhere.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace uxl {

// Every known domain-config key, sorted, without duplicates.
std::span<const std::string_view> known_keys();

// Whether `name` is in known_keys().
bool is_known_key(std::string_view name);

// The known key closest to `unknown` (by edit distance, a transposition counting as one
// edit), when it is close enough to be a plausible typo: at most two edits, and fewer
// edits than half the length of `unknown`. Ties go to the key that sorts first.
std::optional<std::string_view> suggest_key(std::string_view unknown);

// Whether `name` is a key of xm's configs that xl does not read (a subset of the known
// keys). Only `nics` has an effect in uxl (the domain-spec builder pads `vif` as xm did).
bool is_xm_only_key(std::string_view name);

// For an xm-only key: what uxl does with it and what to write for xl instead, as one
// clause for a message ("uxl ignores it too; use `cpus'"). Empty for other keys.
std::string_view xm_key_advice(std::string_view name);

// Whether `name` is a setting of xl's global config /etc/xen/xl.conf (xl.conf(5)) and
// not a domain key, e.g. `autoballoon`, `vif.default.bridge` or the deprecated alias
// `vifscript`. Keys valid in both places (`max_grant_frames`, ...) are domain keys.
bool is_global_key(std::string_view name);

}  // namespace uxl
