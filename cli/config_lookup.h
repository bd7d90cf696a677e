// Where `uxl create foo` finds foo.
//
// xl opens the path as given; xm searched ".:/etc/xen". uxl does both: a name that contains
// a '/' is used as given, and a bare name is looked up in ".", then /etc/uxl/ (the
// configuration directory this build installs, decided at configure time), then /etc/xen/
// — the first existing file wins. UXL_CONFIG_PATH (colon-separated) replaces the
// search list, for tests and unusual layouts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uxl::cli {

std::vector<std::string> config_search_path();

// The path to open for `name`. For a bare name that exists nowhere, returns `name` itself
// (so that the open fails with the ordinary message) and fills `searched`.
std::string find_config_file(std::string_view name, std::vector<std::string>* searched = nullptr);

// Reads a whole file. On failure returns false and sets `error` to strerror(errno).
bool read_whole_file(const std::string& path, std::string& contents, std::string& error);

// The first 4 KiB of a kernel file, for the backend choice (uxl/backend_choice.h); nothing
// when it cannot be read.
std::optional<std::string> read_kernel_head(const std::string& path);

}  // namespace uxl::cli
