// Typed reads of config settings, with xl's semantics and warning texts
// (libxlu_cfg.c: xlu_cfg_get_string/_long/_bounded_long/_defbool/_list).
//
// A read of a key that is absent returns std::nullopt silently. A read of a key that is
// present but malformed adds xl's warning to the diagnostics and returns std::nullopt, so
// that callers fall back to the default exactly where xl does. Every read also records
// the key as "used", which `uxl check` uses to find keys nothing reads.
#pragma once

#include "uxl/config_file.h"

#include <climits>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace uxl {

class ConfigReader {
public:
    ConfigReader(const ConfigFile& config, Diagnostics& diagnostics)
        : m_config(config), m_diagnostics(diagnostics)
    {
    }

    const ConfigFile& config() const { return m_config; }
    Diagnostics& diagnostics() { return m_diagnostics; }

    // xlu_cfg_get_string: a single value; a list warns "is a list but should be a single value".
    std::optional<std::string> get_string(std::string_view name, bool dont_warn = false);

    // xlu_cfg_get_bounded_long: strtol(base 0) on the whole text; `+=` settings refused.
    std::optional<long> get_long(std::string_view name, bool dont_warn = false);
    std::optional<long> get_bounded_long(std::string_view name, long min, long max,
                                         bool dont_warn = false);

    // xlu_cfg_get_defbool: a number, non-zero means true.
    std::optional<bool> get_bool(std::string_view name, bool dont_warn = false);

    // xlu_cfg_get_list: the list setting itself; a single value warns "is a single value but
    // should be a list".
    const ConfigValue* get_list(std::string_view name, bool dont_warn = false);

    // The raw winning setting (no type check), for keys that accept a string or a list.
    const Setting* get_raw(std::string_view name);

    // xlu_cfg_value_get_string on a list element: warns "value is not a string".
    std::optional<std::string> element_string(const ConfigValue& value, bool dont_warn = false);

    // Adds a diagnostic about `setting` (xl_text is printed by create; message by check).
    void warn(const Setting& setting, std::string message, std::string xl_text);
    void error(const Setting& setting, std::string message, std::string xl_text);

    const std::set<std::string, std::less<>>& used_keys() const { return m_used; }

private:
    const Setting* lookup(std::string_view name);

    const ConfigFile& m_config;
    Diagnostics& m_diagnostics;
    std::set<std::string, std::less<>> m_used;
};

}  // namespace uxl
