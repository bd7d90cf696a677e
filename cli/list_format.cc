// xl's list, list -l, uptime and info layouts (tools/xl/xl_info.c) and its device lists
// (xl_block.c, xl_nic.c, xl_pci.c), reproduced byte for byte.
#include "list_format.h"

#include "uxl/mac_address.h"

#include <cstdio>
#include <optional>
#include <string_view>

namespace uxl::cli {
namespace {

using protocol::DeviceInfo;
using protocol::DomainInfo;
using protocol::ShutdownReason;

template <class... Args>
void append_format(std::string& out, const char* format, Args... args)
{
    char buffer[512];
    int n = std::snprintf(buffer, sizeof buffer, format, args...);
    if (n < 0)
        return;
    if (static_cast<std::size_t>(n) < sizeof buffer) {
        out.append(buffer, static_cast<std::size_t>(n));
        return;
    }
    std::string big(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(big.data(), big.size(), format, args...);
    big.resize(static_cast<std::size_t>(n));
    out += big;
}

// libxl's xenstore fields that have no counterpart here (event channel, ring references).
constexpr int k_missing = -1;

// A host PCI address as the daemon reports it, "dddd:bb:ss.f" (or "bb:ss.f"), in hex.
struct Bdf {
    unsigned domain = 0, bus = 0, dev = 0, func = 0;
};

std::optional<Bdf> parse_bdf(const std::string& text)
{
    Bdf b;
    int used = -1;
    if (std::sscanf(text.c_str(), "%x:%x:%x.%x%n", &b.domain, &b.bus, &b.dev, &b.func, &used) == 4 &&
        used == static_cast<int>(text.size()))
        return b;
    b = Bdf{};
    used = -1;
    if (std::sscanf(text.c_str(), "%x:%x.%x%n", &b.bus, &b.dev, &b.func, &used) == 3 &&
        used == static_cast<int>(text.size()))
        return b;
    return std::nullopt;
}

constexpr std::string_view k_null_uuid = "00000000-0000-0000-0000-000000000000";

// A small recursive-descent pass over JSON text that writes it out again in yajl's
// beautified layout. Strings, numbers and literals are copied as they are, so nothing of
// the stored config changes but the whitespace.
class YajlReindenter {
public:
    explicit YajlReindenter(std::string_view text) : m_text(text) {}

    Result<std::string> run(int depth)
    {
        skip_space();
        if (!value(depth))
            return fail(Errc::protocol, "a stored domain config is not valid JSON (" + m_error + ")");
        skip_space();
        if (m_pos != m_text.size())
            return fail(Errc::protocol, "a stored domain config has text after its JSON value");
        return std::move(m_out);
    }

private:
    bool error(std::string what)
    {
        m_error = std::move(what) + " at offset " + std::to_string(m_pos);
        return false;
    }

    void skip_space()
    {
        while (m_pos < m_text.size() &&
               (m_text[m_pos] == ' ' || m_text[m_pos] == '\n' || m_text[m_pos] == '\t' ||
                m_text[m_pos] == '\r'))
            ++m_pos;
    }

    void indent(int depth) { m_out.append(static_cast<std::size_t>(depth) * 4, ' '); }

    bool string()
    {
        if (m_pos >= m_text.size() || m_text[m_pos] != '"')
            return error("expected a string");
        std::size_t start = m_pos++;
        while (m_pos < m_text.size() && m_text[m_pos] != '"') {
            if (static_cast<unsigned char>(m_text[m_pos]) < 0x20)
                return error("control character in a string");
            m_pos += m_text[m_pos] == '\\' ? 2 : 1;
        }
        if (m_pos >= m_text.size())
            return error("unterminated string");
        ++m_pos;
        m_out.append(m_text.substr(start, m_pos - start));
        return true;
    }

    bool scalar()
    {
        std::size_t start = m_pos;
        while (m_pos < m_text.size()) {
            char c = m_text[m_pos];
            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' ||
                c == '.' || c == 'E')
                ++m_pos;
            else
                break;
        }
        std::string_view word = m_text.substr(start, m_pos - start);
        if (word.empty())
            return error("expected a value");
        bool literal = word == "true" || word == "false" || word == "null";
        bool number = word[0] == '-' || (word[0] >= '0' && word[0] <= '9');
        if (!literal && !number)
            return error("unexpected `" + std::string(word) + "'");
        m_out.append(word);
        return true;
    }

    // Containers follow yajl: open bracket and newline; elements separated by ",\n" and
    // indented one level deeper; then newline, the container's own indent, close bracket.
    bool container(int depth, char close, bool is_object)
    {
        ++m_pos;
        m_out += close == '}' ? "{\n" : "[\n";
        skip_space();
        if (m_pos < m_text.size() && m_text[m_pos] == close) {
            ++m_pos;
        } else {
            for (;;) {
                indent(depth + 1);
                if (is_object) {
                    if (!string())
                        return false;
                    skip_space();
                    if (m_pos >= m_text.size() || m_text[m_pos] != ':')
                        return error("expected ':'");
                    ++m_pos;
                    m_out += ": ";
                    skip_space();
                }
                if (!value(depth + 1))
                    return false;
                skip_space();
                if (m_pos < m_text.size() && m_text[m_pos] == ',') {
                    ++m_pos;
                    m_out += ",\n";
                    skip_space();
                    continue;
                }
                if (m_pos < m_text.size() && m_text[m_pos] == close) {
                    ++m_pos;
                    break;
                }
                return error(std::string("expected ',' or '") + close + "'");
            }
        }
        m_out += "\n";
        indent(depth);
        m_out += close;
        return true;
    }

    bool value(int depth)
    {
        if (++m_nesting > 512)
            return error("nested too deeply");
        bool ok = false;
        if (m_pos >= m_text.size())
            ok = error("unexpected end");
        else if (m_text[m_pos] == '{')
            ok = container(depth, '}', true);
        else if (m_text[m_pos] == '[')
            ok = container(depth, ']', false);
        else if (m_text[m_pos] == '"')
            ok = string();
        else
            ok = scalar();
        --m_nesting;
        return ok;
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
    int m_nesting = 0;
    std::string m_out;
    std::string m_error;
};

}  // namespace

int libxl_shutdown_reason(ShutdownReason reason)
{
    switch (reason) {
    case ShutdownReason::none: return 0;
    case ShutdownReason::poweroff: return 0;
    case ShutdownReason::reboot: return 1;
    case ShutdownReason::suspend: return 2;
    case ShutdownReason::crash: return 3;
    case ShutdownReason::watchdog: return 4;
    case ShutdownReason::soft_reset: return 5;
    }
    return 0;
}

std::string state_letters(const DomainInfo& d)
{
    static constexpr std::string_view reason_letters = "-rscwS";
    const int reason = d.shutdown ? libxl_shutdown_reason(d.reason) : 0;
    std::string s;
    s += d.running ? 'r' : '-';
    s += d.blocked ? 'b' : '-';
    s += d.paused ? 'p' : '-';
    s += d.shutdown ? 's' : '-';
    s += reason_letters[static_cast<std::size_t>(reason)];
    s += d.dying ? 'd' : '-';
    return s;
}

std::string format_list(const std::vector<DomainInfo>& domains, const ListOptions& options)
{
    std::string out = "Name                                        ID   Mem VCPUs\tState\tTime(s)";
    if (options.verbose)
        out += "   UUID                            Reason-Code\tSecurity Label";
    if (options.context && !options.verbose)
        out += "   Security Label";
    if (options.cpupool)
        out += "         Cpupool";
    if (options.numa)
        out += " NODE Affinity";
    out += "\n";

    for (const DomainInfo& d : domains) {
        const std::string state = state_letters(d);
        // xl divides a float: (float)cpu_time / 1e9.
        const float seconds = static_cast<float>(d.cpu_seconds);
        append_format(out, "%-40s %5d %5lu %5d     %s  %8.1f", d.name.c_str(), d.domid,
                      static_cast<unsigned long>(d.memory_kb / 1024), d.vcpus, state.c_str(),
                      static_cast<double>(seconds));
        if (options.verbose) {
            const std::string uuid = d.uuid.empty() ? std::string(k_null_uuid) : d.uuid;
            append_format(out, " %s", uuid.c_str());
            if (d.shutdown)
                append_format(out, " %8x", static_cast<unsigned>(libxl_shutdown_reason(d.reason)));
            else
                append_format(out, " %8s", "-");
        }
        if (options.verbose || options.context)
            append_format(out, " %16s", "-");
        if (options.cpupool)
            append_format(out, "%16s", "Pool-0");
        if (options.numa)
            out += " all";
        out += "\n";
    }
    return out;
}

Result<std::string> reindent_yajl(std::string_view json, int depth)
{
    return YajlReindenter(json).run(depth);
}

Result<std::string> format_list_long(const std::vector<DomainInfo>& domains)
{
    // Built as yajl builds it: the array at depth 0, each element a map at depth 1 whose
    // "config" value is the stored object laid out at depth 2.
    std::string out = "[\n";
    bool first = true;
    for (const DomainInfo& d : domains) {
        if (d.config_json.empty())
            continue;
        std::string config = UXL_TRY(reindent_yajl(d.config_json, 2));
        if (!first)
            out += ",\n";
        first = false;
        out += "    {\n";
        append_format(out, "        \"domid\": %d,\n", d.domid);
        out += "        \"config\": ";
        out += config;
        out += "\n    }";
    }
    // yajl's array close ("\n]"), its final newline at depth 0, and puts()'s newline.
    out += "\n]\n\n";
    return out;
}

std::string uptime_to_string(unsigned long uptime, bool short_mode)
{
    const int day = static_cast<int>(uptime / 86400);
    uptime -= static_cast<unsigned long>(day) * 86400;
    const int hour = static_cast<int>(uptime / 3600);
    uptime -= static_cast<unsigned long>(hour) * 3600;
    const int min = static_cast<int>(uptime / 60);
    uptime -= static_cast<unsigned long>(min) * 60;
    const int sec = static_cast<int>(uptime);

    std::string out;
    if (short_mode) {
        if (day > 1)
            append_format(out, "%d days, %2d:%02d", day, hour, min);
        else if (day == 1)
            append_format(out, "%d day, %2d:%02d", day, hour, min);
        else
            append_format(out, "%2d:%02d", hour, min);
    } else {
        if (day > 1)
            append_format(out, "%d days, %2d:%02d:%02d", day, hour, min, sec);
        else if (day == 1)
            append_format(out, "%d day, %2d:%02d:%02d", day, hour, min, sec);
        else
            append_format(out, "%2d:%02d:%02d", hour, min, sec);
    }
    return out;
}

std::string format_uptime(const std::vector<DomainInfo>& domains, const UptimeOptions& options)
{
    std::string out;
    if (!options.short_mode)
        append_format(out, "%-33s %4s %s\n", "Name", "ID", "Uptime");
    for (const DomainInfo& d : domains) {
        unsigned long seconds = 0;
        if (d.domid == 0 && options.host_uptime) {
            seconds = *options.host_uptime;
        } else if (d.started_at > 0) {
            // xl keeps start times in a uint32_t and subtracts from time(NULL).
            const auto start = static_cast<std::uint32_t>(d.started_at);
            const auto now = static_cast<std::uint32_t>(options.now);
            seconds = now - start;
        } else {
            continue;
        }
        const std::string uptime = uptime_to_string(seconds, options.short_mode);
        if (options.short_mode)
            append_format(out, " %s up %s, %s (%d)\n", options.clock.c_str(), uptime.c_str(),
                          d.name.c_str(), d.domid);
        else
            append_format(out, "%-33s %4d %s\n", d.name.c_str(), d.domid, uptime.c_str());
    }
    return out;
}

std::string format_info(const std::vector<std::pair<std::string, std::string>>& info,
                        std::string_view prefix)
{
    std::string out;
    for (const auto& [key, value] : info) {
        if (prefix.empty()) {
            append_format(out, "%-23s: %s\n", key.c_str(), value.c_str());
        } else if (std::string_view(key).starts_with(prefix)) {
            out += value;
            out += "\n";
        }
    }
    return out;
}

std::string vcpu_list_header()
{
    std::string out;
    append_format(out, "%-32s %5s %5s %5s %5s %9s %s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)",
                  "Affinity (Hard / Soft)");
    return out;
}

std::string format_vcpu_list(const std::vector<DomainInfo>& domains)
{
    std::string out;
    for (const DomainInfo& d : domains) {
        for (const protocol::VcpuInfo& v : d.vcpu_list) {
            append_format(out, "%-32s %5u %5u", d.name.c_str(), static_cast<unsigned>(d.domid),
                          static_cast<unsigned>(v.id));
            if (v.online)
                append_format(out, "%5u %3c%c- ", static_cast<unsigned>(v.cpu), v.running ? 'r' : '-',
                              v.blocked ? 'b' : '-');
            else
                append_format(out, "%5c %3c%cp ", '-', '-', '-');
            append_format(out, "%9.1f  ", static_cast<double>(static_cast<float>(v.seconds)));
            out += v.hard_affinity + " / " + v.soft_affinity + "\n";
        }
    }
    return out;
}

std::string sched_credit_pool_line()
{
    return std::string("Cpupool ") + k_cpupool_name + ": tslice=30ms ratelimit=1000us migration-delay=0us\n";
}

std::string format_sched_credit(const std::vector<DomainInfo>& domains)
{
    std::string out;
    append_format(out, "%-33s %4s %6s %4s\n", "Name", "ID", "Weight", "Cap");
    for (const DomainInfo& d : domains)
        append_format(out, "%-33s %4d %6d %4d\n", d.name.c_str(), d.domid, d.weight, d.cap);
    return out;
}

std::string format_vm_list(const std::vector<DomainInfo>& domains)
{
    // libxl_list_vm skips only stub domains, so Domain-0 is listed too, whatever the help
    // text says.
    std::string out = "UUID                                  ID    name\n";
    for (const DomainInfo& d : domains) {
        append_format(out, "%s  %d    %-30s\n", d.uuid.c_str(), d.domid, d.name.c_str());
    }
    return out;
}

std::string block_list_header()
{
    std::string out;
    append_format(out, "%-5s %-3s %-6s %-5s %-6s %-8s %-30s\n", "Vdev", "BE", "handle", "state",
                  "evt-ch", "ring-ref", "BE-path");
    return out;
}

std::string format_block_list(const std::vector<DeviceInfo>& disks)
{
    std::string out;
    for (const DeviceInfo& d : disks)
        append_format(out, "%-5d %-3d %-6d %-5d %-6d %-8d %-30s\n", d.devid, d.backend_domid,
                      d.frontend_domid, d.state, k_missing, k_missing, d.backend.c_str());
    return out;
}

std::string network_list_header()
{
    std::string out;
    append_format(out, "%-3s %-2s %-17s %-6s %-5s %-6s %5s/%-5s %-30s\n", "Idx", "BE", "Mac Addr.",
                  "handle", "state", "evt-ch", "tx-", "rx-ring-ref", "BE-path");
    return out;
}

std::string format_network_list(const std::vector<DeviceInfo>& nics)
{
    std::string out;
    for (const DeviceInfo& d : nics) {
        append_format(out, "%-3d %-2d ", d.devid, d.backend_domid);
        auto mac = parse_mac(d.mac);
        append_format(out, "%-17s", mac ? mac->to_string().c_str() : d.mac.c_str());
        append_format(out, "%6d %5d %6d %5d/%-11d %-30s\n", d.devid, d.state, k_missing, k_missing,
                      k_missing, d.backend.c_str());
    }
    return out;
}

std::string format_pci_list(const std::vector<DeviceInfo>& devices)
{
    if (devices.empty())
        return {};
    std::string out = "Vdev Device\n";
    for (const DeviceInfo& d : devices) {
        const unsigned slot = (static_cast<unsigned>(d.devid) >> 3) & 0x1f;
        const unsigned function = static_cast<unsigned>(d.devid) & 0x7;
        if (auto bdf = parse_bdf(d.bdf))
            append_format(out, "%02x.%01x %04x:%02x:%02x.%01x\n", slot, function, bdf->domain,
                          bdf->bus, bdf->dev, bdf->func);
        else
            append_format(out, "%02x.%01x %s\n", slot, function, d.bdf.c_str());
    }
    return out;
}

}  // namespace uxl::cli
