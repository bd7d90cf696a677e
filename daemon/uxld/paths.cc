#include "paths.h"

#include "install_paths.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace uxl::daemon {
namespace {

// The directory of the running uxld, or empty when /proc/self/exe cannot be read.
fs::path own_directory()
{
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : self.parent_path();
}

// Whether uxld runs from the build tree it was built in (not from an install, nor from a
// copy elsewhere): its directory is that build's daemon/ directory.
bool runs_from_build_tree(const fs::path& own_dir)
{
    std::error_code ec;
    return !own_dir.empty() && fs::equivalent(own_dir, install::build_daemon_dir, ec);
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
    const fs::path own_dir = own_directory();
    if (runs_from_build_tree(own_dir)) {
        p.layout = Layout::build_tree;
        p.monitor_binary = (own_dir / "uxl-monitor").string();
        p.config_file = std::string(install::source_dir) + "/etc/uxl.conf";
        p.scripts_dir = std::string(install::source_dir) + "/share/scripts";
    } else {
        p.layout = Layout::installed;
        p.monitor_binary = install::monitor_binary;
        p.config_file = install::config_file;
        p.scripts_dir = install::scripts_dir;
    }
    if (const char* env = std::getenv("UXL_MONITOR"); env && *env)
        p.monitor_binary = env;
    if (!root.empty()) {
        // A private root may bring its own settings and scripts.
        std::error_code ec;
        if (fs::exists(root + "/uxl.conf", ec))
            p.config_file = root + "/uxl.conf";
        if (fs::is_directory(root + "/scripts", ec))
            p.scripts_dir = root + "/scripts";
        p.system_mode = ::geteuid() == 0;
        p.root = root;
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

std::string describe_paths(const DaemonPaths& paths)
{
    std::string out;
    auto line = [&out](const char* key, const std::string& value) { out += std::string(key) + ": " + value + "\n"; };
    line("layout", paths.layout == Layout::build_tree ? "build-tree" : "installed");
    line("mode", paths.system_mode ? "system" : "session");
    line("config_file", paths.config_file);
    line("scripts_dir", paths.scripts_dir);
    line("monitor", paths.monitor_binary);
    line("socket", paths.socket);
    line("state_dir", paths.state_dir);
    line("run_dir", paths.run_dir);
    line("log_dir", paths.log_dir);
    return out;
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
    // Guests with uids of their own pass through (never list) the domains' directories to
    // their own inside.
    ::chmod(paths.run_dir.c_str(), 0711);
    ::chmod(paths.state_dir.c_str(), 0700);
    return true;
}

}  // namespace uxl::daemon
