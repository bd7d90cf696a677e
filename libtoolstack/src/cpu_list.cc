// CPULIST parsing, after xl's parse_cpurange / update_cpumap_range / parse_range.
//
// 1. Split on ',' the way strtok does: empty items vanish.
// 2. Per item: strip "^" (remove instead of add), then "node:" or "nodes:" (whole nodes).
// 3. "all" sets the whole bitmap (refused after "^"); otherwise parse_range() reads N or
//    N-M with strtoul and refuses ULONG_MAX, M < N and trailing text.
// 4. Set or clear the bits; bits beyond the bitmap are ignored, as libxl_bitmap_set does.
#include "uxl/cpu_list.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>

namespace uxl {
namespace {

bool skip_prefix(std::string_view& text, std::string_view prefix)
{
    if (!text.starts_with(prefix))
        return false;
    text.remove_prefix(prefix.size());
    return true;
}

// parse_range(): 0 on success, as in xl.
bool parse_range(const std::string& text, unsigned long& first, unsigned long& last)
{
    const char* start = text.c_str();
    char* end = nullptr;
    first = last = std::strtoul(start, &end, 10);
    if (end == start || first == ULONG_MAX)
        return false;
    if (*end == '-') {
        const char* second = end + 1;
        last = std::strtoul(second, &end, 10);
        if (end == second || last == ULONG_MAX || last < first)
            return false;
    }
    return *end == '\0';
}

int node_of(const HostCpuTopology& host, int cpu)
{
    if (host.cpu_node.empty())
        return 0;
    return static_cast<size_t>(cpu) < host.cpu_node.size() ? host.cpu_node[static_cast<size_t>(cpu)]
                                                           : -1;
}

}  // namespace

int cpu_bitmap_bits(int cpus)
{
    if (cpus < 1)
        cpus = 1;
    return (cpus + 7) / 8 * 8;
}

Result<std::vector<int>> parse_cpu_list(std::string_view text, const HostCpuTopology& host)
{
    const int bits = cpu_bitmap_bits(host.cpus);
    std::vector<bool> map(static_cast<size_t>(bits), false);

    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        if (comma == std::string_view::npos)
            comma = text.size();
        std::string_view item = text.substr(pos, comma - pos);
        pos = comma + 1;
        if (item.empty())
            continue;

        const bool remove = skip_prefix(item, "^");
        const bool nodes = skip_prefix(item, "node:") || skip_prefix(item, "nodes:");
        const std::string rest(item);

        if (rest == "all") {
            if (remove)
                return fail(Errc::invalid_argument, "Can't combine \"^\" and \"all\".");
            map.assign(map.size(), true);
            continue;
        }

        unsigned long first = 0;
        unsigned long last = 0;
        if (!parse_range(rest, first, last))
            return fail(Errc::invalid_argument, "Invalid pcpu range: " + rest + ".");

        // xl walks the whole range; only the part that can name a bit (or a node that
        // has CPUs) matters, so the walk stops there.
        for (int cpu = 0; cpu < bits; ++cpu) {
            unsigned long id = static_cast<unsigned long>(cpu);
            if (nodes) {
                if (cpu >= host.cpus)
                    break;
                const int node = node_of(host, cpu);
                if (node < 0)
                    continue;
                id = static_cast<unsigned long>(node);
            }
            if (id >= first && id <= last)
                map[static_cast<size_t>(cpu)] = !remove;
        }
    }

    std::vector<int> cpus;
    for (int cpu = 0; cpu < bits; ++cpu)
        if (map[static_cast<size_t>(cpu)])
            cpus.push_back(cpu);
    return cpus;
}

std::string format_cpu_bitmap(const std::vector<int>& cpus, int nr_cpus)
{
    std::vector<bool> set(static_cast<size_t>(std::max(nr_cpus, 0)), false);
    for (int cpu : cpus)
        if (cpu >= 0 && cpu < nr_cpus)
            set[static_cast<size_t>(cpu)] = true;
    std::string out;
    int cpu = 0;
    while (cpu < nr_cpus) {
        if (!set[static_cast<size_t>(cpu)]) {
            ++cpu;
            continue;
        }
        int last = cpu;
        while (last + 1 < nr_cpus && set[static_cast<size_t>(last + 1)])
            ++last;
        // As xl's: one run from CPU 0 to the last is "all".
        if (cpu == 0 && last == nr_cpus - 1)
            return "all";
        out += (out.empty() ? "" : ",") + std::to_string(cpu);
        if (last > cpu)
            out += "-" + std::to_string(last);
        cpu = last + 1;
    }
    return out.empty() ? "none" : out;
}

}  // namespace uxl
