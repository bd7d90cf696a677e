// CPULIST: the host-CPU sets of xl.cfg(5)'s `cpus` and `cpus_soft` (and of `xl vcpu-pin`),
// parsed as xl's parse_cpurange() does (tools/xl/xl_parse.c).
//
//   CPULIST = ITEM[,ITEM]...          empty items are skipped (strtok)
//   ITEM    = [^][node:|nodes:]RANGE  `^` removes, `node:` means every CPU of those nodes
//   RANGE   = all | N | N-M           decimal, read with strtoul (leading blanks and a
//                                      sign accepted, nothing may follow)
//
// Items apply left to right, so "0-7,^3" is 0-2,4-7. xl keeps the result in a libxl CPU
// bitmap sized for the host in whole bytes (8 bits for a 2-CPU host): `all` sets every bit
// of it, and CPUs beyond it are dropped without a word. The set returned here is that
// bitmap, so that uxl's JSON shows what xl's does.
#pragma once

#include "uxl/result.h"

#include <string_view>
#include <vector>

namespace uxl {

struct HostCpuTopology {
    int cpus = 1;               // online CPUs (libxl_get_max_cpus)
    std::vector<int> cpu_node;  // the NUMA node of each CPU; empty: every CPU is on node 0
};

// How many bits a libxl CPU bitmap has on a host with `cpus` CPUs: whole bytes.
int cpu_bitmap_bits(int cpus);

// Parses a CPULIST. Returns the CPUs in the set, ascending, or an Error whose message is
// xl's line: `Can't combine "^" and "all".` or `Invalid pcpu range: X.` (X is the item
// without its `^` and `node:` prefixes, as xl prints it). Pure; may be called anywhere.
Result<std::vector<int>> parse_cpu_list(std::string_view text, const HostCpuTopology& host);

// A set of host CPUs as xl's print_bitmap() shows it for a host of `nr_cpus` CPUs (the
// affinity columns of `xl vcpu-list`): ranges ("0-2,5"), "all" when every one of them is
// in the set, "none" when none is. CPUs at or beyond nr_cpus are not shown. Pure.
std::string format_cpu_bitmap(const std::vector<int>& cpus, int nr_cpus);

}  // namespace uxl
