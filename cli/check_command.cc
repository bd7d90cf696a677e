// `uxl check FILE [vars]`: every problem in a config file, each with its line, column and a
// caret under the spot, including what xl silently ignores (unknown keys). Exit 0 when the
// file is clean, 1 otherwise, so scripts can gate on it.
#include "command.h"
#include "config_lookup.h"
#include "option_parser.h"

#include "uxl/config_check.h"

#include <algorithm>
#include <cstdio>
#include <unistd.h>

namespace uxl::cli {

int main_check(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {{"-q,--quiet", "quiet"}}, args);
    if (!parsed.options)
        return parsed.exit_code;
    const ParsedOptions& opts = *parsed.options;
    const bool quiet = opts.count("quiet") > 0;

    std::string config_name;
    std::string overrides;
    for (const std::string& word : opts.operands) {
        if (word.find('=') != std::string::npos) {
            overrides += word + "\n";
        } else if (config_name.empty()) {
            config_name = word;
        } else {
            print_command_help(globals, self);
            return k_exit_usage;
        }
    }
    if (config_name.empty())
        return requires_arguments(globals, self, 1);

    const std::string path = find_config_file(config_name);
    std::string data;
    std::string read_error;
    if (!read_whole_file(path, data, read_error)) {
        std::fprintf(stderr, "%s: unable to open configuration file: %s\n", path.c_str(),
                     read_error.c_str());
        return k_exit_failure;
    }
    CheckOptions options;
    if (!overrides.empty()) {
        // As create does: the overrides follow the file, after one blank line.
        options.first_override_line = static_cast<int>(std::count(data.begin(), data.end(), '\n')) + 2;
        data += "\n" + overrides + "\n";
    }

    options.config_path = path;
    long cpus = ::sysconf(_SC_NPROCESSORS_CONF);
    options.host_cpus = cpus > 0 ? static_cast<int>(cpus) : 1;
    options.read_kernel_head = read_kernel_head;
    CheckReport report = check_config(data, path, options);
    if (!quiet) {
        if (report.clean())
            std::printf("%s: no problems found\n", path.c_str());
        else
            std::fputs(report.render(data).c_str(), stdout);
        if (!report.backend.empty())
            std::printf("%s: backend %s\n", path.c_str(), report.backend.c_str());
    }
    return report.clean() ? k_exit_success : k_exit_failure;
}

}  // namespace uxl::cli
