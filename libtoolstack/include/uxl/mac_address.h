// Ethernet MAC addresses as xl reads, prints and invents them.
//
// Pure functions: no I/O except generate_xen_mac(), which draws from the system's random
// source. Safe to call from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "uxl/result.h"

namespace uxl {

struct MacAddress {
    std::array<std::uint8_t, 6> bytes{};

    // "aa:bb:cc:dd:ee:ff": lower-case hex, two digits per byte, like libxl's
    // LIBXL_MAC_FMT, which is what goes to xenstore and into the JSON config.
    std::string to_string() const;

    // The all-zero address is libxl's "not set": libxl then generates one.
    bool is_zero() const;

    friend bool operator==(const MacAddress&, const MacAddress&) = default;
};

// Parses a MAC the way xl's vif `mac=` option does: six groups, each read with
// strtoul(…, 16) (so leading blanks, a sign and a "0x" prefix are accepted, and a group may
// have any number of digits), each followed by exactly one separator character of any kind,
// and each at most 255 once truncated to 32 bits. Whatever follows the sixth group is
// ignored, as xl ignores it. The error message is xl's: "Invalid parameter `mac'."
Result<MacAddress> parse_mac(std::string_view text);

// A random address in Xen's OUI, as libxl makes one for a vif without `mac=`:
// 00:16:3e:(random[0] & 0x7f):random[1]:random[2]. The OUI keeps the locally-administered
// and multicast bits clear; the 0x7f mask keeps the upper half of the range free, as
// xend's randint(0x00, 0x7f) did.
MacAddress generate_xen_mac(std::span<const std::uint8_t, 3> random);

// The same, with bytes from the operating system's random source (std::random_device,
// which is getrandom(2) on Linux with libstdc++).
MacAddress generate_xen_mac();

// The MAC to give the backend (host-side) interface of a vif: the guest's MAC with its
// first byte replaced by 0xfe. This is libvirt's rule (virNetDevTapCreateInBridgePort):
// 0xfe sets the locally-administered bit, keeps the multicast bit clear, and makes the
// address numerically larger than any guest MAC in Xen's OUI, so a Linux bridge — which
// takes the lowest port MAC as its own — never adopts the tap's address. It differs from
// both Linux xen-network-common.sh (fe:ff:ff:ff:ff:ff for every vif) and NetBSD's
// xennetback (fourth byte + 1); uxl uses one rule everywhere.
MacAddress host_side_mac(const MacAddress& guest);

namespace detail {

// xl's group-by-group reader, exposed for the vif parser: xl stores each group into the
// NIC as soon as it is read, so a config-file `mac=` that fails part-way (a warning there,
// not an error) leaves the groups read so far in place. Stores groups into `mac` from the
// start and returns how many it stored: 6 on success, fewer on failure.
std::size_t parse_mac_groups(std::string_view text, MacAddress& mac);

}  // namespace detail

}  // namespace uxl
