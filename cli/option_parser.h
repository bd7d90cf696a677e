// Per-command option parsing (CLI11 underneath, kept out of the command files).
//
// Options and operands may be mixed in any order, as with xl's getopt_long; `-h`/`--help`
// prints the command's help and exits 0; an unknown option is xl's "option `x' not
// supported." and exit 2.
#pragma once

#include "command.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace uxl::cli {

struct OptionSpec {
    std::string names;  // CLI11 style: "-f,--defconfig"
    std::string key;    // how the result is looked up
    bool takes_value = false;
};

class ParsedOptions {
public:
    int count(const std::string& key) const;
    std::optional<std::string> value(const std::string& key) const;  // the last one given
    std::vector<std::string> operands;

    std::map<std::string, int> m_counts;
    std::map<std::string, std::vector<std::string>> m_values;
};

// Returns the options, or the exit code the command must return (help or usage error).
struct ParseResult {
    std::optional<ParsedOptions> options;
    int exit_code = 0;
};

ParseResult parse_options(const GlobalOptions& globals, const Command& command,
                          const std::vector<OptionSpec>& specs,
                          const std::vector<std::string>& args);

}  // namespace uxl::cli
