// The daemon's persistent state: one JSON file per domain, written atomically (temp file,
// fsync, rename, fsync of the directory), so a kill -9 at any moment leaves either the old
// or the new file, never half of one. Read back at start to re-adopt running domains.
#pragma once

#include <optional>
#include <string_view>

#include "uxl/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace uxl::daemon {

// One thing to undo when the domain goes away: a hook script to run (`down`/`remove`), a
// tap to delete, or a file lent to the guest's uid to give back (guest_users.h). Recorded as
// soon as the thing exists, so that a daemon restarted in between still tears it down, once.
struct TeardownStep {
    std::string device;              // the device it belongs to ("vif/1", "vbd/51728")
    std::string tap;                 // a tap to delete, or empty
    std::string script;              // a hook to run, or empty
    std::vector<std::string> args;
    std::vector<std::string> env;
    // A file lent to the guest: its owner, group and mode before (lent_path empty: none).
    std::string lent_path;
    unsigned lent_uid = 0, lent_gid = 0, lent_mode = 0;
};

// The kind of a guest device, by xenstore's names (as in TeardownStep::device: "vif/1").
enum class DeviceClass { vbd, vif };
std::string_view to_string(DeviceClass kind);
std::optional<DeviceClass> parse_device_class(std::string_view text);

// Where a device is in its life, by libxl's XenbusState numbers (kept in the state file and
// shown by block-list / network-list).
enum class DeviceState {
    attaching = 1,  // XenbusStateInitialising: being set up (undone if uxld restarts now)
    connected = 4,  // XenbusStateConnected
    detaching = 5,  // XenbusStateClosing: the guest is being asked to let go
};

// A virtual device of the running guest: where the backend put it and what serves it on
// the host. Kept so that devices can be listed, detached and hot-plugged into free slots.
struct DeviceEntry {
    DeviceClass kind = DeviceClass::vbd;
    int devid = 0;           // vbd: the vdev's number; vif: the devid
    int slot = 0;            // the backend's index (PlannedDevice::slot)
    std::string backend;     // vbd: the path the backend opened; vif: the tap
    DeviceState state = DeviceState::connected;
    std::string guest_name;  // what the guest calls it: ubdb, eth1

    std::string key() const { return std::string(to_string(kind)) + "/" + std::to_string(devid); }
};

struct DomainRecord {
    int instance = 0;          // the domid the domain was created with: names its directory
    int domid = 0;             // the current domid (changes on a restart-in-place)
    std::string name;
    std::string config_json;   // libxl_domain_config, as received
    std::string config_path;
    std::string dir;           // the per-domain directory: the monitor's and the backend's files
    // The guest's own directory inside `dir` (DomainPaths::run_dir: what the guest process
    // writes), owned by its uid; empty in records of older uxlds, whose guests used `dir`.
    std::string guest_dir;
    // The uid and gid the guest runs under (guest_users.h); -1: root.
    long guest_uid = -1;
    long guest_gid = -1;
    std::string control_endpoint;  // LaunchPlan::control_endpoint, for the controller
    double started_at = 0;
    bool paused = false;
    bool shut_down = false;    // preserved after shutdown
    std::string reason;        // protocol::ShutdownReason text when shut_down
    std::vector<TeardownStep> teardown;  // in setup order; run in reverse
    std::vector<DeviceEntry> devices;
    std::vector<int> reserved_disk_slots;  // LaunchPlan::reserved_disk_slots
    // Memory in KiB: what the guest booted with, what it has now (ballooned), and what it
    // should have (`memory`, or the last mem-set). 0: not known (an older record).
    std::uint64_t boot_memory_kb = 0;
    std::uint64_t memory_kb = 0;
    std::uint64_t memory_target_kb = 0;
    // A device was attached or detached since the guest was started: its command line no
    // longer describes it, so a reboot must start it anew rather than in place.
    bool devices_changed = false;

    // The backend's directory: guest_dir, or `dir` for an older record.
    const std::string& backend_dir() const { return guest_dir.empty() ? dir : guest_dir; }
    // The guest's cgroup: its leaf's name under uxl's parent (cgroups.h); empty when the
    // guest runs without one.
    std::string cgroup;
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
    // Temp file, rename; with `durable`, fsync of the file before and the directory after.
    Result<void> write_atomically(const std::string& path, const std::string& text, bool durable = true);

    std::string m_dir;
    int m_next_domid = 0;
};

}  // namespace uxl::daemon
