// The daemon's persistent state: one JSON file per domain, written atomically (temp file,
// fsync, rename, fsync of the directory), so a kill -9 at any moment leaves either the old
// or the new file, never half of one. Read back at start to re-adopt running domains.
#pragma once

#include "uxl/result.h"

#include <string>
#include <vector>

namespace uxl::daemon {

// One thing to undo when the domain goes away: a hook script to run (`down`/`remove`) or
// a tap to delete. Recorded as soon as the thing exists, so that a daemon restarted in
// between still tears it down, once.
struct TeardownStep {
    std::string tap;                 // a tap to delete, or empty
    std::string script;              // a hook to run, or empty
    std::vector<std::string> args;
    std::vector<std::string> env;
};

struct DomainRecord {
    int instance = 0;          // the domid the domain was created with: names its directory
    int domid = 0;             // the current domid (changes on a restart-in-place)
    std::string name;
    std::string config_json;   // libxl_domain_config, as received
    std::string config_path;
    std::string dir;           // the per-domain directory (monitor socket, uml_dir, notify)
    std::string control_endpoint;  // UML's mconsole socket
    std::string notify_socket;
    double started_at = 0;
    bool paused = false;
    bool shut_down = false;    // preserved after shutdown
    std::string reason;        // protocol::ShutdownReason text when shut_down
    std::vector<TeardownStep> teardown;  // in setup order; run in reverse
};

class StateStore {
public:
    explicit StateStore(std::string dir) : m_dir(std::move(dir)) {}

    Result<void> save(const DomainRecord& record);
    Result<void> remove(int instance);
    // Every record that can be read; unreadable files are reported in `problems`.
    std::vector<DomainRecord> load_all(std::vector<std::string>& problems) const;

    // Domids are never reused within a host's life: the next one is kept on disk.
    int next_domid();

private:
    std::string path_for(int instance) const;
    Result<void> write_atomically(const std::string& path, const std::string& text);

    std::string m_dir;
    int m_next_domid = 0;
};

}  // namespace uxl::daemon
