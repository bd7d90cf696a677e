// Encoding and decoding of the control protocol (see protocol.h and doc/protocol.md).
// Every decode validates types and reports what was wrong: the daemon never trusts a client.
#include "uxl/protocol.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <type_traits>
#include <utility>

namespace uxl::protocol {
namespace {

using Json = nlohmann::json;

Error bad(std::string message)
{
    return Error{Errc::protocol, std::move(message), {}};
}

// Typed field reads that turn a wrong type into a protocol error instead of an exception.
// An integer field takes a JSON integer within its type's range and nothing else:
// nlohmann's get<int>() would cast whatever number it finds, so 1.5 would read as 1, -1 as
// an id of 2^64-1, and 1e300 is undefined behaviour.
template <class T>
Result<T> field(const Json& j, const char* key, T fallback)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (!it->is_number_integer())
            return std::unexpected(bad(std::string("field `") + key + "' has the wrong type"));
        const bool fits = it->is_number_unsigned()
                              ? it->get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())
                              : std::in_range<T>(it->get<std::int64_t>());
        if (!fits)
            return std::unexpected(bad(std::string("field `") + key + "' is out of range"));
        return it->is_number_unsigned() ? static_cast<T>(it->get<std::uint64_t>())
                                        : static_cast<T>(it->get<std::int64_t>());
    }
    try {
        return it->get<T>();
    } catch (const Json::exception&) {
        return std::unexpected(bad(std::string("field `") + key + "' has the wrong type"));
    }
}

Result<std::string> required_string(const Json& j, const char* key)
{
    auto it = j.find(key);
    if (it == j.end() || !it->is_string())
        return std::unexpected(bad(std::string("field `") + key + "' (a string) is missing"));
    return it->get<std::string>();
}

Json domain_to_json(const DomainInfo& d)
{
    Json j{{"domid", d.domid},     {"name", d.name},         {"uuid", d.uuid},
           {"backend", d.backend}, {"running", d.running},   {"blocked", d.blocked},
           {"paused", d.paused},   {"shutdown", d.shutdown}, {"dying", d.dying},
           {"reason", to_string(d.reason)}, {"memory_kb", d.memory_kb}, {"vcpus", d.vcpus},
           {"cpu_seconds", d.cpu_seconds}, {"started_at", d.started_at},
           {"weight", d.weight}, {"cap", d.cap}};
    if (!d.config_json.empty())
        j["config"] = d.config_json;
    if (!d.vcpu_list.empty()) {
        Json list = Json::array();
        for (const VcpuInfo& v : d.vcpu_list)
            list.push_back(Json{{"id", v.id}, {"cpu", v.cpu}, {"online", v.online},
                                {"running", v.running}, {"blocked", v.blocked}, {"seconds", v.seconds},
                                {"hard_affinity", v.hard_affinity}, {"soft_affinity", v.soft_affinity}});
        j["vcpu_list"] = std::move(list);
    }
    return j;
}

Result<DomainInfo> domain_from_json(const Json& j)
{
    if (!j.is_object())
        return std::unexpected(bad("a domain entry is not an object"));
    DomainInfo d;
    d.domid = UXL_TRY(field<int>(j, "domid", 0));
    d.name = UXL_TRY(field<std::string>(j, "name", ""));
    d.uuid = UXL_TRY(field<std::string>(j, "uuid", ""));
    d.backend = UXL_TRY(field<std::string>(j, "backend", ""));
    d.running = UXL_TRY(field<bool>(j, "running", false));
    d.blocked = UXL_TRY(field<bool>(j, "blocked", false));
    d.paused = UXL_TRY(field<bool>(j, "paused", false));
    d.shutdown = UXL_TRY(field<bool>(j, "shutdown", false));
    d.dying = UXL_TRY(field<bool>(j, "dying", false));
    d.reason = parse_shutdown_reason(UXL_TRY(field<std::string>(j, "reason", "none")))
                   .value_or(ShutdownReason::none);
    d.memory_kb = UXL_TRY(field<std::uint64_t>(j, "memory_kb", 0));
    d.vcpus = UXL_TRY(field<int>(j, "vcpus", 1));
    d.cpu_seconds = UXL_TRY(field<double>(j, "cpu_seconds", 0));
    d.started_at = UXL_TRY(field<double>(j, "started_at", 0));
    d.weight = UXL_TRY(field<int>(j, "weight", 256));
    d.cap = UXL_TRY(field<int>(j, "cap", 0));
    d.config_json = UXL_TRY(field<std::string>(j, "config", ""));
    if (auto it = j.find("vcpu_list"); it != j.end() && it->is_array()) {
        for (const Json& v : *it) {
            if (!v.is_object())
                return std::unexpected(bad("a vcpu entry is not an object"));
            VcpuInfo vcpu;
            vcpu.id = UXL_TRY(field<int>(v, "id", 0));
            vcpu.cpu = UXL_TRY(field<int>(v, "cpu", 0));
            vcpu.online = UXL_TRY(field<bool>(v, "online", true));
            vcpu.running = UXL_TRY(field<bool>(v, "running", false));
            vcpu.blocked = UXL_TRY(field<bool>(v, "blocked", false));
            vcpu.seconds = UXL_TRY(field<double>(v, "seconds", 0));
            vcpu.hard_affinity = UXL_TRY(field<std::string>(v, "hard_affinity", "all"));
            vcpu.soft_affinity = UXL_TRY(field<std::string>(v, "soft_affinity", "all"));
            d.vcpu_list.push_back(vcpu);
        }
    }
    return d;
}

Json device_to_json(const DeviceInfo& d)
{
    return Json{{"kind", to_string(d.kind)}, {"devid", d.devid},
                {"backend_domid", d.backend_domid}, {"frontend_domid", d.frontend_domid},
                {"state", d.state}, {"vdev", d.vdev}, {"mac", d.mac}, {"backend", d.backend},
                {"guest_device", d.guest_device}, {"bdf", d.bdf}};
}

Result<DeviceInfo> device_from_json(const Json& j)
{
    if (!j.is_object())
        return std::unexpected(bad("a device entry is not an object"));
    DeviceInfo d;
    auto kind = parse_device_kind(UXL_TRY(field<std::string>(j, "kind", "")));
    if (!kind)
        return std::unexpected(bad("a device entry has an unknown kind"));
    d.kind = *kind;
    d.devid = UXL_TRY(field<int>(j, "devid", 0));
    d.backend_domid = UXL_TRY(field<int>(j, "backend_domid", 0));
    d.frontend_domid = UXL_TRY(field<int>(j, "frontend_domid", 0));
    d.state = UXL_TRY(field<int>(j, "state", 4));
    d.vdev = UXL_TRY(field<std::string>(j, "vdev", ""));
    d.mac = UXL_TRY(field<std::string>(j, "mac", ""));
    d.backend = UXL_TRY(field<std::string>(j, "backend", ""));
    d.guest_device = UXL_TRY(field<std::string>(j, "guest_device", ""));
    d.bdf = UXL_TRY(field<std::string>(j, "bdf", ""));
    return d;
}

Result<DeviceKind> required_device_kind(const Json& j)
{
    auto kind = parse_device_kind(UXL_TRY(required_string(j, "kind")));
    if (!kind)
        return std::unexpected(bad("field `kind' must be disk, nic or pci"));
    return *kind;
}

std::string_view domain_op_name(DomainRequest::Op op)
{
    switch (op) {
    case DomainRequest::Op::destroy: return "destroy";
    case DomainRequest::Op::pause: return "pause";
    case DomainRequest::Op::unpause: return "unpause";
    case DomainRequest::Op::console: return "console";
    case DomainRequest::Op::lookup: return "lookup";
    case DomainRequest::Op::vnc: return "vnc";
    }
    return "lookup";
}

}  // namespace

std::string_view to_string(DeviceKind kind)
{
    switch (kind) {
    case DeviceKind::disk: return "disk";
    case DeviceKind::nic: return "nic";
    case DeviceKind::pci: return "pci";
    }
    return "disk";
}

std::optional<DeviceKind> parse_device_kind(std::string_view text)
{
    for (auto k : {DeviceKind::disk, DeviceKind::nic, DeviceKind::pci})
        if (to_string(k) == text)
            return k;
    return std::nullopt;
}

std::string_view errc_to_wire(Errc code)
{
    return to_string(code);
}

Errc errc_from_wire(std::string_view text)
{
    for (auto c : {Errc::invalid_argument, Errc::not_found, Errc::already_exists,
                   Errc::invalid_state, Errc::unsupported, Errc::backend_failed, Errc::io,
                   Errc::timeout, Errc::protocol, Errc::internal})
        if (to_string(c) == text)
            return c;
    return Errc::internal;
}

std::string encode_request(std::uint64_t id, const Request& request)
{
    Json j{{"id", id}};
    std::visit(
        [&](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, CreateRequest>) {
                j["op"] = "create";
                j["config"] = r.config_json;
                j["config_path"] = r.config_path;
                j["paused"] = r.paused;
            } else if constexpr (std::is_same_v<T, ListRequest>) {
                j["op"] = "list";
                j["domain"] = r.domain;
                j["long"] = r.long_format;
                if (r.vcpus)
                    j["vcpus"] = true;
            } else if constexpr (std::is_same_v<T, ShutdownRequest>) {
                j["op"] = r.reboot ? "reboot" : "shutdown";
                j["domain"] = r.domain;
                j["all"] = r.all;
                if (r.fallback)
                    j["fallback"] = true;
            } else if constexpr (std::is_same_v<T, WaitRequest>) {
                j["op"] = "wait";
                j["domain"] = r.domain;
                j["death_only"] = r.death_only;
                j["timeout"] = r.timeout_seconds;
            } else if constexpr (std::is_same_v<T, DomainRequest>) {
                j["op"] = domain_op_name(r.op);
                j["domain"] = r.domain;
                if (!r.console_type.empty())
                    j["console_type"] = r.console_type;
            } else if constexpr (std::is_same_v<T, RenameRequest>) {
                j["op"] = "rename";
                j["domain"] = r.domain;
                j["new_name"] = r.new_name;
            } else if constexpr (std::is_same_v<T, SysrqRequest>) {
                j["op"] = "sysrq";
                j["domain"] = r.domain;
                j["key"] = std::string(1, r.key);
            } else if constexpr (std::is_same_v<T, TriggerRequest>) {
                j["op"] = "trigger";
                j["domain"] = r.domain;
                j["trigger"] = r.trigger;
                j["vcpu"] = r.vcpu;
            } else if constexpr (std::is_same_v<T, VcpuSetRequest>) {
                j["op"] = "vcpu-set";
                j["domain"] = r.domain;
                j["vcpus"] = r.vcpus;
            } else if constexpr (std::is_same_v<T, VcpuPinRequest>) {
                j["op"] = "vcpu-pin";
                j["domain"] = r.domain;
                j["vcpu"] = r.vcpu;
                if (r.hard)
                    j["hard"] = *r.hard;
                if (r.soft)
                    j["soft"] = *r.soft;
                if (r.force)
                    j["force"] = true;
            } else if constexpr (std::is_same_v<T, SchedCreditRequest>) {
                j["op"] = "sched-credit";
                j["domain"] = r.domain;
                if (r.weight)
                    j["weight"] = *r.weight;
                if (r.cap)
                    j["cap"] = *r.cap;
            } else if constexpr (std::is_same_v<T, CdromRequest>) {
                j["op"] = "cd-insert";
                j["domain"] = r.domain;
                j["spec"] = r.spec;
            } else if constexpr (std::is_same_v<T, InfoRequest>) {
                j["op"] = "info";
            } else if constexpr (std::is_same_v<T, DmesgRequest>) {
                j["op"] = "dmesg";
                j["clear"] = r.clear;
            } else if constexpr (std::is_same_v<T, DeviceAttachRequest>) {
                j["op"] = "device-attach";
                j["domain"] = r.domain;
                j["kind"] = to_string(r.kind);
                j["spec"] = r.spec;
            } else if constexpr (std::is_same_v<T, DeviceDetachRequest>) {
                j["op"] = "device-detach";
                j["domain"] = r.domain;
                j["kind"] = to_string(r.kind);
                j["device"] = r.device;
                j["force"] = r.force;
            } else if constexpr (std::is_same_v<T, MemSetRequest>) {
                j["op"] = "mem-set";
                j["domain"] = r.domain;
                j["target_kb"] = r.target_kb;
            } else if constexpr (std::is_same_v<T, DeviceListRequest>) {
                j["op"] = "device-list";
                j["domain"] = r.domain;
                j["kind"] = to_string(r.kind);
            }
        },
        request);
    return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<DecodedRequest> decode_request(std::string_view line)
{
    if (line.size() > k_max_line)
        return std::unexpected(bad("request too long"));
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
        return std::unexpected(bad("a request must be one JSON object on one line"));
    DecodedRequest out;
    out.id = UXL_TRY(field<std::uint64_t>(j, "id", 0));
    const std::string op = UXL_TRY(required_string(j, "op"));

    if (op == "create") {
        CreateRequest r;
        r.config_json = UXL_TRY(required_string(j, "config"));
        r.config_path = UXL_TRY(field<std::string>(j, "config_path", ""));
        r.paused = UXL_TRY(field<bool>(j, "paused", false));
        out.request = std::move(r);
    } else if (op == "list") {
        ListRequest r;
        r.domain = UXL_TRY(field<std::string>(j, "domain", ""));
        r.long_format = UXL_TRY(field<bool>(j, "long", false));
        r.vcpus = UXL_TRY(field<bool>(j, "vcpus", false));
        out.request = std::move(r);
    } else if (op == "shutdown" || op == "reboot") {
        ShutdownRequest r;
        r.domain = UXL_TRY(field<std::string>(j, "domain", ""));
        r.all = UXL_TRY(field<bool>(j, "all", false));
        r.fallback = UXL_TRY(field<bool>(j, "fallback", false));
        r.reboot = op == "reboot";
        out.request = std::move(r);
    } else if (op == "wait") {
        WaitRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.death_only = UXL_TRY(field<bool>(j, "death_only", false));
        r.timeout_seconds = UXL_TRY(field<int>(j, "timeout", 0));
        out.request = std::move(r);
    } else if (op == "destroy" || op == "pause" || op == "unpause" || op == "console" ||
               op == "lookup" || op == "vnc") {
        DomainRequest r;
        r.op = op == "destroy"   ? DomainRequest::Op::destroy
               : op == "pause"   ? DomainRequest::Op::pause
               : op == "unpause" ? DomainRequest::Op::unpause
               : op == "console" ? DomainRequest::Op::console
               : op == "vnc"     ? DomainRequest::Op::vnc
                                 : DomainRequest::Op::lookup;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.console_type = UXL_TRY(field<std::string>(j, "console_type", ""));
        out.request = std::move(r);
    } else if (op == "rename") {
        RenameRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.new_name = UXL_TRY(required_string(j, "new_name"));
        out.request = std::move(r);
    } else if (op == "sysrq") {
        SysrqRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        const std::string key = UXL_TRY(required_string(j, "key"));
        if (key.size() != 1)
            return std::unexpected(bad("sysrq key must be one character"));
        r.key = key[0];
        out.request = std::move(r);
    } else if (op == "trigger") {
        TriggerRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.trigger = UXL_TRY(required_string(j, "trigger"));
        r.vcpu = UXL_TRY(field<int>(j, "vcpu", 0));
        out.request = std::move(r);
    } else if (op == "vcpu-set") {
        VcpuSetRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.vcpus = UXL_TRY(field<int>(j, "vcpus", 0));
        out.request = std::move(r);
    } else if (op == "vcpu-pin") {
        VcpuPinRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.vcpu = UXL_TRY(field<int>(j, "vcpu", -1));
        if (j.contains("hard"))
            r.hard = UXL_TRY(field<std::vector<int>>(j, "hard", {}));
        if (j.contains("soft"))
            r.soft = UXL_TRY(field<std::vector<int>>(j, "soft", {}));
        r.force = UXL_TRY(field<bool>(j, "force", false));
        out.request = std::move(r);
    } else if (op == "sched-credit") {
        SchedCreditRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        if (j.contains("weight"))
            r.weight = UXL_TRY(field<int>(j, "weight", 256));
        if (j.contains("cap"))
            r.cap = UXL_TRY(field<int>(j, "cap", 0));
        out.request = std::move(r);
    } else if (op == "cd-insert") {
        CdromRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.spec = UXL_TRY(required_string(j, "spec"));
        out.request = std::move(r);
    } else if (op == "info") {
        out.request = InfoRequest{};
    } else if (op == "dmesg") {
        DmesgRequest r;
        r.clear = UXL_TRY(field<bool>(j, "clear", false));
        out.request = r;
    } else if (op == "device-attach") {
        DeviceAttachRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.kind = UXL_TRY(required_device_kind(j));
        r.spec = UXL_TRY(field<std::vector<std::string>>(j, "spec", {}));
        out.request = std::move(r);
    } else if (op == "device-detach") {
        DeviceDetachRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.kind = UXL_TRY(required_device_kind(j));
        r.device = UXL_TRY(required_string(j, "device"));
        r.force = UXL_TRY(field<bool>(j, "force", false));
        out.request = std::move(r);
    } else if (op == "mem-set") {
        MemSetRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.target_kb = UXL_TRY(field<std::int64_t>(j, "target_kb", 0));
        out.request = std::move(r);
    } else if (op == "device-list") {
        DeviceListRequest r;
        r.domain = UXL_TRY(required_string(j, "domain"));
        r.kind = UXL_TRY(required_device_kind(j));
        out.request = std::move(r);
    } else {
        return std::unexpected(bad("unknown request `" + op + "'"));
    }
    return out;
}

std::uint64_t peek_request_id(std::string_view line)
{
    if (line.size() > k_max_line)
        return 0;
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object())
        return 0;
    auto it = j.find("id");
    return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

std::string encode_reply(const Reply& reply)
{
    Json j{{"id", reply.id}, {"ok", !reply.error}};
    if (reply.error) {
        j["error"] = {{"code", errc_to_wire(reply.error->code)}, {"message", reply.error->message}};
        if (!reply.error->context.empty())
            j["error"]["context"] = reply.error->context;
    }
    if (reply.domid)
        j["domid"] = *reply.domid;
    if (reply.name)
        j["name"] = *reply.name;
    if (!reply.domains.empty()) {
        Json list = Json::array();
        for (const auto& d : reply.domains)
            list.push_back(domain_to_json(d));
        j["domains"] = std::move(list);
    }
    if (!reply.info.empty()) {
        Json list = Json::array();
        for (const auto& [k, v] : reply.info)
            list.push_back(Json::array({k, v}));
        j["info"] = std::move(list);
    }
    if (reply.text)
        j["text"] = *reply.text;
    if (!reply.devices.empty()) {
        Json list = Json::array();
        for (const auto& d : reply.devices)
            list.push_back(device_to_json(d));
        j["devices"] = std::move(list);
    }
    return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<Reply> decode_reply(std::string_view line)
{
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return std::unexpected(bad("the daemon sent a reply that is not JSON"));
    Reply r;
    r.id = UXL_TRY(field<std::uint64_t>(j, "id", 0));
    if (!UXL_TRY(field<bool>(j, "ok", false))) {
        auto e = j.find("error");
        if (e == j.end() || !e->is_object())
            return std::unexpected(bad("the daemon sent a failure without an error"));
        r.error = Error{errc_from_wire(UXL_TRY(field<std::string>(*e, "code", "internal"))),
                        UXL_TRY(field<std::string>(*e, "message", "")),
                        UXL_TRY(field<std::string>(*e, "context", ""))};
    }
    if (j.contains("domid"))
        r.domid = UXL_TRY(field<int>(j, "domid", 0));
    if (j.contains("name"))
        r.name = UXL_TRY(field<std::string>(j, "name", ""));
    if (auto it = j.find("domains"); it != j.end() && it->is_array())
        for (const auto& d : *it)
            r.domains.push_back(UXL_TRY(domain_from_json(d)));
    if (auto it = j.find("info"); it != j.end() && it->is_array())
        for (const auto& kv : *it)
            if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string())
                r.info.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
    if (j.contains("text"))
        r.text = UXL_TRY(field<std::string>(j, "text", ""));
    if (auto it = j.find("devices"); it != j.end() && it->is_array())
        for (const auto& d : *it)
            r.devices.push_back(UXL_TRY(device_from_json(d)));
    return r;
}

std::string encode_greeting(std::string_view daemon_version)
{
    Json j{{"uxld", std::string(daemon_version)}, {"protocol", k_version}};
    return j.dump() + "\n";
}

Result<int> decode_greeting(std::string_view line)
{
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("uxld"))
        return std::unexpected(bad("the socket did not greet like uxld"));
    return field<int>(j, "protocol", 0);
}

}  // namespace uxl::protocol
