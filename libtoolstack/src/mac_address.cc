// MAC addresses: xl's `mac=` reader, libxl's random Xen-OUI addresses, and the
// host-side address uxl gives a vif's backend interface.
#include "uxl/mac_address.h"

#include <cstdio>
#include <cstdlib>
#include <random>

namespace uxl {

std::string MacAddress::to_string() const
{
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1],
                  bytes[2], bytes[3], bytes[4], bytes[5]);
    return text;
}

bool MacAddress::is_zero() const
{
    for (std::uint8_t byte : bytes) {
        if (byte != 0)
            return false;
    }
    return true;
}

namespace detail {

std::size_t parse_mac_groups(std::string_view text, MacAddress& mac)
{
    // strtoul needs a terminated string; the copy also gives the same view of the text
    // that xl's char* has.
    const std::string buffer(text);
    const char* const terminator = buffer.c_str() + buffer.size();
    const char* cursor = buffer.c_str();
    for (std::size_t group = 0; group < mac.bytes.size(); ++group) {
        // xl steps over one separator unconditionally, so a MAC cut short makes it read
        // past the string's terminator. uxl stops there instead and calls the MAC invalid.
        if (cursor > terminator)
            return group;
        char* group_end = nullptr;
        // xl stores strtoul's unsigned long into an unsigned int before the range check,
        // so a group is compared after truncation to 32 bits; keep that.
        const auto value =
            static_cast<std::uint32_t>(std::strtoul(cursor, &group_end, 16));
        if (group_end == cursor || value > 255)
            return group;
        mac.bytes[group] = static_cast<std::uint8_t>(value);
        cursor = group_end + 1;
    }
    return mac.bytes.size();
}

}  // namespace detail

Result<MacAddress> parse_mac(std::string_view text)
{
    MacAddress mac;
    if (detail::parse_mac_groups(text, mac) != mac.bytes.size())
        return fail(Errc::invalid_argument, "Invalid parameter `mac'.");
    return mac;
}

MacAddress generate_xen_mac(std::span<const std::uint8_t, 3> random)
{
    return MacAddress{{0x00, 0x16, 0x3e, static_cast<std::uint8_t>(random[0] & 0x7f),
                       random[1], random[2]}};
}

MacAddress generate_xen_mac()
{
    std::random_device source;
    const std::uint32_t word = source();
    const std::array<std::uint8_t, 3> random{static_cast<std::uint8_t>(word),
                                             static_cast<std::uint8_t>(word >> 8),
                                             static_cast<std::uint8_t>(word >> 16)};
    return generate_xen_mac(random);
}

MacAddress host_side_mac(const MacAddress& guest)
{
    MacAddress host = guest;
    host.bytes[0] = 0xfe;
    return host;
}

}  // namespace uxl
