#include "paths.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace uxl::daemon {
namespace {

// The monitor is installed next to uxld in a build tree, or in libexec/uxl when installed.
std::string find_monitor_binary()
{
    if (const char* env = std::getenv("UXL_MONITOR"); env && *env)
        return env;
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        for (fs::path candidate : {self.parent_path() / "uxl-monitor",
                                   self.parent_path().parent_path() / "libexec/uxl/uxl-monitor"}) {
            if (fs::exists(candidate, ec))
                return candidate.string();
        }
    }
    return UXL_LIBEXECDIR "/uxl/uxl-monitor";
}

std::string pick_mem_dir(const std::string& fallback)
{
    // Guest memory files (UML's, for one) must be on a tmpfs that allows exec mappings
    // (backends.md §1).
    struct stat st {};
    if (::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && ::access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return fallback;
}

}  // namespace

DaemonPaths default_paths(const std::string& root)
{
    DaemonPaths p;
    p.monitor_binary = find_monitor_binary();
    p.config_file = "/etc/uxl/uxl.conf";
    p.scripts_dir = "/etc/uxl/scripts";
    if (!root.empty()) {
        // A private root may bring its own settings and scripts.
        std::error_code ec;
        if (fs::exists(root + "/uxl.conf", ec))
            p.config_file = root + "/uxl.conf";
        if (fs::is_directory(root + "/scripts", ec))
            p.scripts_dir = root + "/scripts";
        p.system_mode = ::geteuid() == 0;
        p.socket = root + "/uxld.sock";
        p.state_dir = root + "/state";
        p.run_dir = root + "/d";
        p.log_dir = root + "/log";
        p.mem_dir = pick_mem_dir(root + "/mem");
        return p;
    }
    if (::geteuid() == 0) {
        p.system_mode = true;
        p.socket = "/run/uxl/uxld.sock";
        p.state_dir = "/var/lib/uxl";
        p.run_dir = "/run/uxl/d";
        p.log_dir = "/var/log/uxl";
        p.mem_dir = pick_mem_dir("/run/uxl/mem");
        return p;
    }
    p.system_mode = false;
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    const std::string run = runtime && *runtime ? std::string(runtime) + "/uxl"
                                                : "/tmp/uxl-" + std::to_string(::geteuid());
    const char* home = std::getenv("HOME");
    const std::string data = std::string(home && *home ? home : "/tmp") + "/.local/share/uxl";
    p.socket = run + "/uxld.sock";
    p.state_dir = data + "/state";
    p.run_dir = run + "/d";
    p.log_dir = data + "/log";
    p.mem_dir = pick_mem_dir(run + "/mem");
    return p;
}

bool create_directories(const DaemonPaths& paths, std::string& error)
{
    std::error_code ec;
    for (const std::string& dir : {fs::path(paths.socket).parent_path().string(), paths.state_dir,
                                   paths.run_dir, paths.log_dir, paths.log_dir + "/console"}) {
        fs::create_directories(dir, ec);
        if (ec) {
            error = "cannot create " + dir + ": " + ec.message();
            return false;
        }
    }
    ::chmod(paths.run_dir.c_str(), 0700);
    ::chmod(paths.state_dir.c_str(), 0700);
    return true;
}

}  // namespace uxl::daemon
