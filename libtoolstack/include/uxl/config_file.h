// The xl domain-config language (xl.cfg(5)): a parsed file and the parser.
//
// The grammar, the lexer's token rules, the error texts, the per-line error recovery and
// the setting store semantics are xl's (libxlu), see reference/xl-compat.md §1:
//   - values are strings (numbers are kept as their text) or nested lists;
//   - `key += value` concatenates strings or appends lists to the earlier setting;
//   - the last assignment of a key wins.
// The parser takes a buffer and never crashes or throws on any input.
#pragma once

#include "uxl/diagnostic.h"

#include <string>
#include <string_view>
#include <vector>

namespace uxl {

struct ConfigValue {
    enum class Kind { string, list };

    Kind kind = Kind::string;
    std::string text;                // Kind::string: the dequoted string, or a number's text
    std::vector<ConfigValue> items;  // Kind::list
    SourcePos pos;                   // where the value starts
    bool is_number = false;          // Kind::string written as a bare NUMBER token

    bool is_string() const { return kind == Kind::string; }
    bool is_list() const { return kind == Kind::list; }
};

struct Setting {
    std::string name;
    ConfigValue value;
    SourcePos name_pos;  // where the key is written
    int line = 0;        // the line xl reports for this setting (where its value starts)
    bool addition = false;  // written with `+=`; xl then refuses to read it as a number
};

class ConfigFile {
public:
    std::string source;               // the file name, as diagnostics print it
    std::string text;                 // the whole buffer that was parsed
    std::vector<Setting> settings;    // in file order; a `+=` setting already holds the sum

    // The setting that wins for `name` (the last one), or nullptr.
    const Setting* find(std::string_view name) const;
};

struct ParseOutcome {
    ConfigFile config;
    Diagnostics diagnostics;  // errors in xl's format, then the "looks like Python" warnings
    bool failed = false;      // xl would print "Failed to parse config: Invalid argument"

    bool ok() const { return !failed; }
};

// Parses `data` as an xl config file. `source` names it in messages (xl uses the path as
// given on the command line). Always returns; on a syntax error `failed` is set and the
// diagnostics say where, in xl's exact words.
ParseOutcome parse_config(std::string_view data, std::string_view source);

}  // namespace uxl
