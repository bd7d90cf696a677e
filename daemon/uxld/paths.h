// Where uxld keeps its socket, state, logs and per-domain directories, and where it finds
// its settings (uxl.conf), hook scripts and monitor.
//
// System mode (root): the paths of ARCHITECTURE.md. Session mode (a normal user): under
// $XDG_RUNTIME_DIR/uxl and ~/.local/share/uxl. `--root DIR` puts everything under DIR,
// for tests and for running several daemons side by side (one per network namespace).
//
// Settings, scripts and monitor: an installed uxld uses the paths its install put them in
// (decided at configure time, cmake/install_dirs.cmake); a uxld run from its build tree
// (build/daemon/uxld) uses the source tree's etc/uxl.conf and share/scripts/ and the
// build's uxl-monitor, so the README's tour works without installing anything.
#pragma once

#include <string>

namespace uxl::daemon {

enum class Layout { installed, build_tree };

struct DaemonPaths {
    Layout layout = Layout::installed;
    bool system_mode = true;
    std::string socket;       // the control socket
    std::string state_dir;    // one JSON file per domain, and the domid counter
    std::string run_dir;      // per-domain directories (the monitor's and the backend's files)
    std::string log_dir;      // uxld.log, console/<name>.log
    std::string mem_dir;      // tmpfs for guest memory files (DomainPaths::memory_dir)
    std::string monitor_binary;
    std::string config_file;  // xl.conf-style global settings (uxl.conf)
    std::string scripts_dir;  // hook scripts: vif-bridge, block, ...
    std::string root;         // `--root DIR`, or empty (names uxl's parent cgroup: cgroups.h)

    std::string log_file() const { return log_dir + "/uxld.log"; }
    std::string console_log(const std::string& name) const { return log_dir + "/console/" + name + ".log"; }
    std::string hotplug_log() const { return log_dir + "/hotplug.log"; }
};

// The paths for this process: system mode when running as root, session mode otherwise;
// `root` (may be empty) overrides both.
DaemonPaths default_paths(const std::string& root);

// The paths as `key: value` lines (layout, mode, config_file, scripts_dir, monitor, socket,
// state_dir, run_dir, log_dir), for `uxld --print-paths`.
std::string describe_paths(const DaemonPaths& paths);

// Creates the directories (mode 0755 for shared ones, 0700 for private ones).
bool create_directories(const DaemonPaths& paths, std::string& error);

}  // namespace uxl::daemon
