// Removing a domain's directory (its run_dir: the monitor's and the backend's files).
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

namespace uxl::daemon {

// Removes `dir` and everything in it. The monitor unlinks its socket and pid file as it
// exits after `release`, which can race with the removal: remove_all then fails on an
// entry that vanished under it and leaves the directory. So it tries again while the
// directory is still there (a few times: nothing recreates it).
inline void remove_domain_dir(const std::string& dir)
{
    std::error_code ec;
    for (int attempt = 0; attempt < 5; ++attempt) {
        std::filesystem::remove_all(dir, ec);
        if (!std::filesystem::exists(dir, ec))
            return;
    }
}

}  // namespace uxl::daemon
