// The control protocol between `uxl` and `uxld`, declared once (doc/protocol.md).
//
// Newline-delimited JSON over a UNIX stream socket:
//   1. on connect the daemon sends a greeting line: {"uxld": <daemon version>, "protocol": 1};
//   2. the client sends requests, one per line: {"id": N, "op": "<op>", ...arguments};
//   3. the daemon answers each with one reply line: {"id": N, "ok": true, ...result} or
//      {"id": N, "ok": false, "error": {"code": "<Errc>", "message": "..."}};
//   4. after a successful `console` reply the connection carries raw console bytes both
//      ways until either side closes it.
// A line longer than k_max_line, or one that is not a valid request, gets an error reply
// (or the connection is dropped); the daemon carries on.
#pragma once

#include "uxl/domain_spec.h"
#include "uxl/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace uxl::protocol {

constexpr int k_version = 1;
constexpr std::size_t k_max_line = 1 << 20;

// Why a domain shut down (declared with the domain spec, where the backends see it too).
using ::uxl::ShutdownReason;
using ::uxl::to_string;
using ::uxl::parse_shutdown_reason;

// One virtual CPU, as `xl vcpu-list` shows it.
struct VcpuInfo {
    int id = 0;
    int cpu = 0;           // the host CPU it last ran on
    bool online = true;
    bool running = false;
    bool blocked = false;
    double seconds = 0;    // CPU time used
    // The CPUs it may run on, in xl's print_bitmap form ("all", "1", "0-2,5"): hard is the
    // guest's cpuset, soft the thread's own affinity (doc/cgroups.md).
    std::string hard_affinity = "all";
    std::string soft_affinity = "all";
};

struct DomainInfo {
    int domid = 0;
    std::string name;
    std::string uuid;
    std::string backend;          // "uml", "qemu", "host" for Domain-0
    bool running = false;
    bool blocked = false;
    bool paused = false;
    bool shutdown = false;        // the guest has shut down (reason says why)
    bool dying = false;
    ShutdownReason reason = ShutdownReason::none;
    std::uint64_t memory_kb = 0;  // current memory
    int vcpus = 1;                // online vCPUs
    double cpu_seconds = 0;       // CPU time used
    double started_at = 0;        // unix time the domain (this incarnation) started
    int weight = 256;             // xl's credit scheduler weight (the guest's cgroup follows)
    int cap = 0;                  // percent of one CPU; 0: no cap
    std::string config_json;      // the stored libxl_domain_config (for `list -l`); may be empty
    std::vector<VcpuInfo> vcpu_list;  // only when asked for (ListRequest::vcpus)
};

// ---- Requests ------------------------------------------------------------------------

struct CreateRequest {
    std::string config_json;  // libxl_domain_config JSON, as `uxl create -n` prints it
    std::string config_path;  // for messages and `rename-restart`; may be empty
    bool paused = false;
};
struct ListRequest {
    std::string domain;  // empty: all domains
    bool long_format = false;
    bool vcpus = false;  // fill DomainInfo::vcpu_list (vcpu-list)
};
struct ShutdownRequest {
    std::string domain;  // empty with all=true
    bool all = false;
    bool reboot = false;
    // `-F`: a guest that cannot take a clean shutdown (still booting) is halted instead of
    // the request being refused.
    bool fallback = false;
};
struct WaitRequest {
    std::string domain;
    bool death_only = false;  // `shutdown -w -w`: wait for destruction, not just shutdown
    int timeout_seconds = 0;  // 0: no limit
};
// destroy, pause, unpause, console, domid/domname lookups.
struct DomainRequest {
    // vnc: the reply's `text` is where the guest's VNC server listens, "HOST:PORT".
    enum class Op { destroy, pause, unpause, console, lookup, vnc };
    Op op = Op::lookup;
    std::string domain;
    // console: the type xl's `console -t` asked for ("pv", "serial", "vuart"); empty: the
    // domain's console, whatever its type.
    std::string console_type;
};
struct RenameRequest {
    std::string domain;
    std::string new_name;
};
struct SysrqRequest {
    std::string domain;
    char key = 0;
};
// xl's trigger names (libxl_trigger), lower case.
inline constexpr std::string_view k_trigger_names[] = {"power", "sleep", "nmi", "init", "reset", "s3resume"};
inline bool is_trigger_name(std::string_view name)
{
    for (std::string_view known : k_trigger_names)
        if (name == known)
            return true;
    return false;
}

// trigger (and xl's deprecated button-press): one of k_trigger_names; the vCPU it is meant
// for (xl: 0 unless given).
struct TriggerRequest {
    std::string domain;
    std::string trigger;
    int vcpu = 0;
};
// vcpu-set: the number of vCPUs the guest has online from now on.
struct VcpuSetRequest {
    std::string domain;
    int vcpus = 1;
};
// vcpu-pin: vCPU `vcpu` (-1: all of them) may run on the host CPUs `hard` (the guest's
// cpuset) and prefers `soft` (its threads' affinity); an absent set is left as it is. The
// CLI has parsed the CPU lists (xl's parse_cpurange).
struct VcpuPinRequest {
    std::string domain;
    int vcpu = -1;
    std::optional<std::vector<int>> hard;
    std::optional<std::vector<int>> soft;
    bool force = false;  // xl's -f: accepted, changes nothing here
};
// sched-credit -d DOM -w W -c C: the new weight and/or cap (the one given).
struct SchedCreditRequest {
    std::string domain;
    std::optional<int> weight;
    std::optional<int> cap;
};
// cd-insert / cd-eject: the disk spec xl builds ("vdev=hdc,access=r,devtype=cdrom,
// target=PATH"; an empty target ejects), which uxld parses as block-attach's.
struct CdromRequest {
    std::string domain;
    std::string spec;
};
struct InfoRequest {};
// mem-set: the guest's new memory target, in KiB (may be negative: the daemon refuses it).
struct MemSetRequest {
    std::string domain;
    std::int64_t target_kb = 0;
};
// The virtual devices of a domain (xl's block-*, network-*, pci-* commands).
enum class DeviceKind { disk, nic, pci };
std::string_view to_string(DeviceKind kind);
std::optional<DeviceKind> parse_device_kind(std::string_view text);
// block-attach / network-attach: the spec words exactly as the user typed them. The daemon
// parses them with the same libtoolstack parsers the CLI checked them with, and applies
// uxl.conf's vif defaults, as xl applies xl.conf's.
struct DeviceAttachRequest {
    std::string domain;
    DeviceKind kind = DeviceKind::disk;
    std::vector<std::string> spec;
};
// block-detach (a vdev name or number) / network-detach (a devid, or a MAC: contains ':').
struct DeviceDetachRequest {
    std::string domain;
    DeviceKind kind = DeviceKind::disk;
    std::string device;
    bool force = false;  // block-detach -f
};
// block-list / network-list / pci-list for one domain.
struct DeviceListRequest {
    std::string domain;
    DeviceKind kind = DeviceKind::disk;
};
struct DmesgRequest {
    bool clear = false;
};

using Request = std::variant<CreateRequest, ListRequest, ShutdownRequest, WaitRequest,
                             DomainRequest, RenameRequest, SysrqRequest, InfoRequest, DmesgRequest,
                             DeviceAttachRequest, DeviceDetachRequest, DeviceListRequest,
                             MemSetRequest, TriggerRequest, VcpuSetRequest, CdromRequest,
                             VcpuPinRequest, SchedCreditRequest>;

std::string encode_request(std::uint64_t id, const Request& request);  // one line, with '\n'
struct DecodedRequest {
    std::uint64_t id = 0;
    Request request;
};
Result<DecodedRequest> decode_request(std::string_view line);
// The "id" of a line decode_request() refused, when it has one (else 0), so that the error
// reply still reaches the request it answers.
std::uint64_t peek_request_id(std::string_view line);

// ---- Replies -------------------------------------------------------------------------

// One virtual device as the list commands show it. Xen's xenstore fields that have no
// counterpart here (event channel, ring references) are -1, as libxl reports missing ones.
struct DeviceInfo {
    DeviceKind kind = DeviceKind::disk;
    int devid = 0;           // disk: the vdev's number (xvdb = 51728); nic: devid; pci: vdevfn
    int backend_domid = 0;   // the host (Domain-0) serves every device
    int frontend_domid = 0;  // the guest's domid
    int state = 4;           // XenbusState: 1 initialising, 4 connected, 5 closing
    std::string vdev;        // disk: as configured (xvdb)
    std::string mac;         // nic: the guest's MAC
    std::string backend;     // the host side: the disk's path, the nic's tap
    std::string guest_device;  // where the guest sees it: ubdb, eth1
    std::string bdf;         // pci: dddd:bb:ss.f
};

struct Reply {
    std::uint64_t id = 0;
    std::optional<Error> error;         // set when the request failed
    std::optional<int> domid;           // create, lookup
    std::optional<std::string> name;    // lookup
    std::vector<DomainInfo> domains;    // list, wait (the domain's final state)
    std::vector<std::pair<std::string, std::string>> info;  // info: key/value in order
    std::optional<std::string> text;    // dmesg
    std::vector<DeviceInfo> devices;    // device lists; attach: the device attached
};

std::string encode_reply(const Reply& reply);  // one line, with '\n'
Result<Reply> decode_reply(std::string_view line);

std::string encode_greeting(std::string_view daemon_version);
Result<int> decode_greeting(std::string_view line);  // the protocol version

std::string_view errc_to_wire(Errc code);
Errc errc_from_wire(std::string_view text);

}  // namespace uxl::protocol
