// The launch plan that uxld writes to DIR/plan.json and the per-domain monitor reads: one
// schema, declared here once, for both sides (doc/monitor.md).
//
// Header-only and self-contained (the standard library and nlohmann), because the monitor
// links nothing else: it is the one process that must never fail.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uxl {

struct MonitorPlan {
    std::vector<std::string> argv;    // argv[0] is the program executed (no PATH search, no shell)
    std::vector<std::string> env;     // "K=V" entries; the guest gets exactly these
    bool disable_aslr = false;        // personality(ADDR_NO_RANDOMIZE) in the guest
    std::string working_dir = "/";
    std::string console_log;          // every console byte is appended here
    std::size_t ring_bytes = 65536;   // console replay kept in memory
    // The guest's identity (guest_users.h in uxld): with uid >= 0 the guest's child drops
    // every capability (bounding set included), sets these groups, gid and uid and
    // PR_SET_NO_NEW_PRIVS before exec. -1: it keeps the monitor's (root's).
    long uid = -1;
    long gid = -1;
    std::vector<long> groups;         // supplementary groups (kvm's, for a QEMU under KVM)
    // The cgroup.procs files of the guest's cgroup (one per v1 controller, one for v2): the
    // guest's process writes "0" (itself) into each before it execs, so that the guest and
    // every helper it forks live in the cgroup from their first instruction. Empty: none.
    std::vector<std::string> cgroup_procs;

    // The most console replay a plan may ask the monitor to keep.
    static constexpr std::size_t max_ring_bytes = 64 << 20;
};

// The file's text. May be called anywhere.
inline std::string encode_monitor_plan(const MonitorPlan& plan)
{
    nlohmann::json j;
    j["argv"] = plan.argv;
    j["env"] = plan.env;
    j["disable_aslr"] = plan.disable_aslr;
    j["working_dir"] = plan.working_dir;
    j["console_log"] = plan.console_log;
    j["ring_bytes"] = plan.ring_bytes;
    if (plan.uid >= 0) {
        j["uid"] = plan.uid;
        j["gid"] = plan.gid;
        j["groups"] = plan.groups;
    }
    j["cgroup_procs"] = plan.cgroup_procs;
    return j.dump(2) + "\n";
}

// Reads the file's text back; absent keys keep their defaults, anything malformed is an
// error naming the key. Never throws.
inline std::expected<MonitorPlan, std::string> parse_monitor_plan(std::string_view json_text)
{
    using Status = std::expected<void, std::string>;
    auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
        return std::unexpected("not a JSON object");
    auto strings = [&](const char* key, std::vector<std::string>& out) -> Status {
        if (!j.contains(key))
            return {};
        if (!j[key].is_array())
            return std::unexpected(std::string(key) + " must be an array of strings");
        for (auto& v : j[key]) {
            if (!v.is_string())
                return std::unexpected(std::string(key) + " must be an array of strings");
            out.push_back(v.get<std::string>());
            if (out.back().find('\0') != std::string::npos)
                return std::unexpected(std::string(key) + " holds a NUL byte");
        }
        return {};
    };
    MonitorPlan plan;
    if (auto s = strings("argv", plan.argv); !s)
        return std::unexpected(s.error());
    if (auto s = strings("env", plan.env); !s)
        return std::unexpected(s.error());
    if (auto s = strings("cgroup_procs", plan.cgroup_procs); !s)
        return std::unexpected(s.error());
    if (plan.argv.empty() || plan.argv[0].empty())
        return std::unexpected("argv must name a program");
    if (j.contains("disable_aslr")) {
        if (!j["disable_aslr"].is_boolean())
            return std::unexpected("disable_aslr must be true or false");
        plan.disable_aslr = j["disable_aslr"].get<bool>();
    }
    for (auto [key, field] : {std::pair{"working_dir", &plan.working_dir},
                              std::pair{"console_log", &plan.console_log}}) {
        if (!j.contains(key))
            continue;
        if (!j[key].is_string())
            return std::unexpected(std::string(key) + " must be a string");
        *field = j[key].get<std::string>();
    }
    if (j.contains("ring_bytes")) {
        if (!j["ring_bytes"].is_number_unsigned() ||
            j["ring_bytes"].get<std::uint64_t>() > MonitorPlan::max_ring_bytes)
            return std::unexpected("ring_bytes must be a number from 0 to " +
                                   std::to_string(MonitorPlan::max_ring_bytes));
        plan.ring_bytes = j["ring_bytes"].get<std::size_t>();
    }
    // A uid or gid is 0 to 2^31 - 1 (root, 0, is a uid too, though uxld never asks for it).
    auto id = [](const nlohmann::json& v) { return v.is_number_integer() && v.get<long>() >= 0 && v.get<long>() < 2147483648L; };
    if (j.contains("uid") || j.contains("gid")) {
        if (!j.contains("uid") || !j.contains("gid") || !id(j["uid"]) || !id(j["gid"]))
            return std::unexpected("uid and gid must both be numbers from 0 to 2147483647");
        plan.uid = j["uid"].get<long>();
        plan.gid = j["gid"].get<long>();
    }
    if (j.contains("groups")) {
        if (!j["groups"].is_array() || j["groups"].size() > 16)
            return std::unexpected("groups must be an array of at most 16 gids");
        for (auto& g : j["groups"]) {
            if (!id(g))
                return std::unexpected("groups must be an array of at most 16 gids");
            plan.groups.push_back(g.get<long>());
        }
    }
    return plan;
}

}  // namespace uxl
