// `uxl check`: every problem in a domain config, each with its line and column.
//
// xl stops at the first fatal problem and says nothing about keys it does not read.
// check_config() goes further and reports, ordered by line then column:
//  - every syntax error (the parser recovers line by line);
//  - every warning xl would print while reading the values (a malformed number, a list
//    where a single value belongs, ...) and the fatal error xl would exit with, if any;
//  - every unknown key, with the known key it was probably meant to be;
//  - every key of xm's that xl ignores, and every xl.conf setting put in a domain config;
//  - every key set twice (the earlier value is silently lost), except `+=`.
#pragma once

#include "uxl/diagnostic.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace uxl {

struct CheckOptions {
    // The config's path as given; the domain is named after it when the file sets no name.
    std::string config_path;
    // Number of host CPUs, for checking `cpus`.
    int host_cpus = 1;
    // The first line of the command-line KEY=VALUE overrides appended after the file
    // (0: none). They are meant to replace the file's values, so no "set again" warning.
    int first_override_line = 0;
    // Reads a kernel file's first bytes, for the backend choice (BuildOptions).
    std::function<std::optional<std::string>(const std::string& path)> read_kernel_head;
};

struct CheckReport {
    Diagnostics diagnostics;  // ordered by line, then column; whole-file ones last
    // The backend that would run the domain, and why: "qemu: type = \"hvm\" is a full
    // machine"; empty when the domain could not be built.
    std::string backend;

    // True when nothing at all was found: a warning is a problem too.
    bool clean() const;

    // Each diagnostic as render_for_check() shows it (location, message, source line,
    // caret), then one line counting errors and warnings; empty when clean.
    // `source_text` is the text that was checked.
    std::string render(std::string_view source_text) const;
};

// Checks `text`, a domain config named `source` in messages. Pure: reads no files and
// prints nothing, so it may be called anywhere.
CheckReport check_config(std::string_view text, std::string_view source,
                         const CheckOptions& options);

}  // namespace uxl
