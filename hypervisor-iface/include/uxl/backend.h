// The backend interface: what runs a domain (a User-Mode Linux process, a QEMU machine, a
// DragonFly vkernel), seen by the daemon as one small abstract class.
//
// This header is the pure half: capabilities, backend-specific validation and launch
// planning, which turn a DomainSpec into plain data (argv, environment, directories) and
// touch nothing on the host, plus the factory of the async controller (UML mconsole, QEMU
// QMP, signals). Creating a domain uses the pieces in this order (ARCHITECTURE.md):
//
//   1. make_backend(spec.backend)        the registry, the only place that knows them all;
//   2. backend->capabilities()           checked by the daemon before any request;
//   3. backend->validate(spec)           refuses what this backend cannot run, one sentence;
//   4. backend->check_host()            refuses what cannot run on this host;
//   5. backend->plan_launch(spec, paths, domid)   argv/env for the per-domain monitor;
//   6. backend->make_controller(setup)  the async control side (uxl/controller.h, Asio);
//   7. backend->exit_reason(exit)       what a guest's exit means, when it said nothing.
// Nothing here includes Asio: the controller is only declared.
#pragma once

#include "uxl/domain_spec.h"
#include "uxl/result.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

namespace uxl {

// What a backend can do beyond starting the domain and shutting it down cleanly (which
// every backend can). The daemon answers `unsupported` for anything false here; a backend
// never pretends.
struct Capabilities {
    bool pause = false;            // pause / unpause
    bool reboot = false;           // a host-initiated reboot (`uxl reboot`)
    bool sysrq = false;            // `uxl sysrq`
    bool hotplug_disk = false;     // block-attach / block-detach while running
    bool hotplug_nic = false;      // network-attach / network-detach while running
    bool balloon = false;          // mem-set below the boot size and back
    bool vcpu_set = false;         // vcpu-set
    bool save_restore = false;     // save / restore
    bool migrate = false;          // migrate
    bool pci_passthrough = false;  // pci = [...] and pci-attach
    bool core_dump = false;        // dump-core, and the coredump-* on_* actions

    friend bool operator==(const Capabilities&, const Capabilities&) = default;
};

// Where a domain's files live on the host. The daemon chooses both before planning and
// creates run_dir (mode 0700); everything inside it is the backend's business: UML puts its
// uml_dir and notify socket there, QEMU its QMP and console sockets. Keep it short: several
// paths inside end up in sockaddr_un (108 bytes).
struct DomainPaths {
    std::string run_dir;     // the domain's private directory, also the guest's working dir
    std::string memory_dir;  // a tmpfs that allows PROT_EXEC mappings, for guest memory files
};

// How a guest process ended, as its parent (the per-domain monitor) saw it.
struct GuestExit {
    std::optional<int> exit_code;  // set when it exited
    std::optional<int> signal;     // set when a signal killed it
};

// The one console a domain has, as xl's `console -t` names it: the PV console (Xen's
// console ring; UML's con0, a virtio console under QEMU) or the emulated serial port.
enum class ConsoleType { pv, serial };
constexpr std::string_view to_string(ConsoleType type)
{
    return type == ConsoleType::pv ? "pv" : "serial";
}

// How the monitor wires the guest's console.
enum class ConsoleWiring {
    // fd 0 and fd 1 are both the guest end of one socketpair whose other end the monitor
    // keeps (ring buffer and log); fd 2 goes to the console log. UML wants exactly this
    // for con0=fd:0,fd:1; a socket (not a pty) means no winch helper process.
    stdio_socketpair,
};

// Where the guest finds one configured device. The daemon keeps these to list devices, to
// detach them and to hot-plug new ones into free slots (UML: disk N in vdev order is
// ubd<N>, the nic with devid D is eth<D>).
struct PlannedDevice {
    enum class Kind { disk, nic };
    Kind kind = Kind::disk;
    int devid = 0;            // disk: the vdev's number; nic: the devid
    int slot = 0;             // the backend's index for it; a nic's is its devid
    std::string host;         // what serves it on the host: the disk's path, the nic's tap
    std::string guest_name;   // what the guest calls it: ubda, eth0
};

// Everything the monitor needs to start the guest, as plain data: no shell is ever
// involved, every word goes to execve() as it is.
struct LaunchPlan {
    // argv[0] is the program, an absolute path (execv, no PATH search).
    std::vector<std::string> argv;
    // NAME=value entries added to the minimal environment the monitor gives every guest.
    std::vector<std::string> env;
    // Run with personality(ADDR_NO_RANDOMIZE), i.e. `setarch -R`: UML needs it to get a
    // deterministic amount of usable memory (reference/backends.md §1).
    bool disable_aslr = false;
    // The directory to chdir to before exec (cores and stray files land here).
    std::string working_dir;
    // Directories that must exist (created with mode 0700 when missing) before exec.
    std::vector<std::string> directories;
    // Files copied before exec (mode 0600), each only when its destination does not exist
    // yet: a domain's own copy of a template, e.g. OVMF's variable store in its run dir.
    struct FileCopy {
        std::string source;
        std::string destination;
    };
    std::vector<FileCopy> file_copies;
    ConsoleWiring console = ConsoleWiring::stdio_socketpair;
    // Where the controller reaches the running guest: UML's mconsole socket
    // (<uml_dir>/<umid>/mconsole); for a vkernel, the pid file whose pid receives the
    // signals (the vkernel forks, so the process the monitor started is not the kernel).
    std::string control_endpoint;
    // When the domain boots with more memory than `memory` (maxmem > memory), the size in
    // KiB the controller balloons it down to once the guest is up; 0 = nothing to do.
    std::uint64_t balloon_target_kb = 0;
    // The memory the guest boots with, in KiB: the most a balloon can give it back.
    std::uint64_t boot_memory_kb = 0;
    // Every disk (an empty drive too: it holds its slot) and every nic, in argv order.
    std::vector<PlannedDevice> devices;
    // Disk slots the backend keeps for itself, never to be hot-plugged into (UML: with no
    // disk at ubd0 the kernel puts its default "root_fs" there, and removing that panics it).
    std::vector<int> reserved_disk_slots;
};

class Controller;
struct ControllerSetup;  // uxl/controller.h: the daemon's event loop and the domain's files

class Backend {
public:
    virtual ~Backend();

    virtual BackendKind kind() const = 0;
    // A short lower-case name for messages and `uxl info`: "uml", "qemu", "vkernel".
    virtual std::string_view name() const = 0;
    // The word for `uxl info`'s virt_caps when the host can run this backend's guests: the
    // name, with how it runs them where that varies by host ("qemu-kvm", "qemu-tcg").
    virtual std::string virt_cap() const { return std::string(name()); }
    virtual Capabilities capabilities() const = 0;

    // Refuses what this backend cannot run, with one sentence that says why and what to
    // change (Errc::unsupported for a limit of the backend, Errc::invalid_argument for a
    // value it cannot use); the error's context names the setting or device. Pure: may be
    // called anywhere, any number of times (the CLI may call it for `uxl create -n`).
    virtual Result<void> validate(const DomainSpec& spec) const = 0;

    // Turns a spec into the command that runs it. Pure and deterministic: the same
    // arguments always give the same plan (the golden tests rely on it). Validates first,
    // so a plan is never made for a spec validate() refuses; may also refuse paths that do
    // not fit (a socket path longer than sockaddr_un allows). `domid` names the host side
    // of the vifs (vif<domid>.<devid>), as xl does.
    virtual Result<LaunchPlan> plan_launch(const DomainSpec& spec, const DomainPaths& paths,
                                           int domid) const = 0;

    // Whether this domain can run on this host: one sentence saying why not
    // (Errc::unsupported) when it cannot, e.g. a vkernel on Linux or no UML kernel
    // installed. Reads the host; cheap; checked at create, before anything is set up.
    virtual Result<void> check_host(const DomainSpec& spec) const = 0;
    // Which console the domain's one console is (`uxl console -t`). Pure. The default, pv,
    // serves UML and the vkernel, whose console is the kernel's own.
    virtual ConsoleType console_type(const DomainSpec&) const { return ConsoleType::pv; }
    // What `uxl info` shows about this backend on this host, as (key, value) lines.
    virtual std::vector<std::pair<std::string, std::string>> host_facts() const { return {}; }

    // The controller of one domain (uxl/controller.h), on the daemon's event loop; called
    // on the loop thread just before the monitor starts the guest (so a backend that is
    // notified at boot can listen first) or when a restarted daemon re-adopts a running
    // guest. Errc::unsupported when the backend has none.
    virtual Result<std::unique_ptr<Controller>> make_controller(const ControllerSetup& setup) const;

    // Why the guest shut down, judged from its exit alone: used when the controller did not
    // report a shutdown_requested event first (uxl/controller.h). The default serves UML
    // (exit 0 on a halt or poweroff; a panic ends in SIGABRT, 134, a kill in 137) and QEMU
    // (exit 0 after a guest poweroff, or after a reboot it reported first under
    // `-action reboot=shutdown`; 1 after a panic with `panic=exit-failure`): 0 is a
    // poweroff, anything else a crash. Override it for a backend whose exits differ.
    virtual ShutdownReason exit_reason(const GuestExit& exit) const;
};

// What uxl.conf says about the backends (uxld reads it; the registry applies it).
struct BackendSettings {
    // qemu.accelerator: "auto" (KVM when a probe guest really runs under it, else TCG),
    // "kvm" or "tcg".
    std::string qemu_accelerator = "auto";
};

// The registry: the backend that runs domains of this kind, or Errc::unsupported when this
// build has none for it. The only place that knows every backend. Thread-safe; each call
// returns a new, independent object. The first QEMU backend made with "auto" probes KVM
// (qemu/qemu_probe.h, up to 2 s on a host with a /dev/kvm); later ones reuse the answer.
Result<std::unique_ptr<Backend>> make_backend(BackendKind kind, const BackendSettings& settings = {});
// Every backend this build has, in the registry's order.
std::vector<BackendKind> known_backends();

}  // namespace uxl
