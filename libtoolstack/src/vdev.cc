// The vdev name ↔ device number table, as libxl computes it.
//
// libxl parses names with sscanf("%i"), strtoul() and a hand-written letter decoder, and
// those C functions accept more than the documented syntax (leading blanks, signs, `0x`
// prefixes). The helpers below reproduce glibc's behaviour for exactly the inputs libxl
// feeds them, so that a name libxl accepts gets the same number here and a name it
// rejects is rejected here. One deliberate difference: libxl returns a negative number
// (and callers that only test for -1 then use it) when a sign or an empty letter run
// makes the disk or partition negative; such names are rejected here instead.
#include "uxl/vdev.h"

#include "c_number.h"

#include <climits>
#include <cstdint>

namespace uxl {
namespace {

bool is_c_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

bool is_digit_in_base(char c, int base)
{
    return digit_value(c) < base;
}

struct CUnsigned {
    std::uint64_t value = 0;  // already negated (mod 2^64) for a leading '-', as strtoul does
    size_t end = 0;           // index after the number; the start index when nothing converted
    bool overflow = false;    // strtoul would have set ERANGE
};

// strtoul(s + pos, &end, base) on a 64-bit glibc, for base 0 or 10.
CUnsigned c_strtoul(std::string_view s, size_t pos, int base)
{
    CUnsigned out;
    out.end = pos;
    size_t i = pos;
    while (i < s.size() && is_c_space(s[i]))
        ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        negative = s[i] == '-';
        ++i;
    }
    if (base == 0) {
        // "0x" counts as a prefix only when a hex digit follows; otherwise the "0" is the
        // number and the 'x' is where conversion stops.
        if (i + 2 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')
            && is_digit_in_base(s[i + 2], 16)) {
            base = 16;
            i += 2;
        } else if (i < s.size() && s[i] == '0') {
            base = 8;
        } else {
            base = 10;
        }
    }
    size_t first_digit = i;
    std::uint64_t value = 0;
    bool overflow = false;
    for (; i < s.size() && is_digit_in_base(s[i], base); ++i) {
        auto digit = static_cast<std::uint64_t>(digit_value(s[i]));
        if (value > (UINT64_MAX - digit) / static_cast<std::uint64_t>(base))
            overflow = true;
        value = value * static_cast<std::uint64_t>(base) + digit;
    }
    if (i == first_digit)
        return out;  // nothing converted: end stays at the start, value 0
    out.end = i;
    out.overflow = overflow;
    if (overflow)
        out.value = UINT64_MAX;
    else
        out.value = negative ? (~value + 1) : value;
    return out;
}

// One "%i" conversion of glibc's sscanf into an int, starting at `pos`. Returns the index
// after it, or nullopt on a matching failure.
std::optional<size_t> c_scan_int(std::string_view s, size_t pos, int& result)
{
    size_t i = pos;
    while (i < s.size() && is_c_space(s[i]))
        ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        negative = s[i] == '-';
        ++i;
    }
    int base = 10;
    bool have_digit = false;
    if (i < s.size() && s[i] == '0') {
        // glibc consumes "0x" even when no hex digit follows, and then has read the
        // number 0.
        have_digit = true;
        ++i;
        if (i < s.size() && (s[i] == 'x' || s[i] == 'X')) {
            base = 16;
            ++i;
        } else {
            base = 8;
        }
    }
    std::uint64_t magnitude = 0;
    bool overflow = false;
    for (; i < s.size() && is_digit_in_base(s[i], base); ++i) {
        have_digit = true;
        auto digit = static_cast<std::uint64_t>(digit_value(s[i]));
        if (magnitude > (UINT64_MAX - digit) / static_cast<std::uint64_t>(base))
            overflow = true;
        magnitude = magnitude * static_cast<std::uint64_t>(base) + digit;
    }
    if (!have_digit)
        return std::nullopt;
    result = detail::c_long_to_int(negative, overflow, magnitude);
    return i;
}

// sscanf(vdev, "d%ip%i%n", ...) >= 2 with everything consumed, within libxl's limits.
bool match_d_p_form(std::string_view vdev, int& disk, int& partition)
{
    if (vdev.empty() || vdev[0] != 'd')
        return false;
    auto after_disk = c_scan_int(vdev, 1, disk);
    if (!after_disk || *after_disk >= vdev.size() || vdev[*after_disk] != 'p')
        return false;
    auto after_partition = c_scan_int(vdev, *after_disk + 1, partition);
    if (!after_partition || *after_partition != vdev.size())
        return false;
    return disk < (1 << 20) && partition < 256;
}

// libxl's device_virtdisk_matches: `<prefix><letters>[<partition>]`, letters read as
// bijective base 26 (a=0 … z=25, aa=26). An empty letter run leaves the disk at -1, as in
// libxl; the callers decide what that means.
bool match_lettered(std::string_view vdev, std::string_view prefix, int max_disk,
                    int max_partition, int& disk, int& partition)
{
    if (!vdev.starts_with(prefix))
        return false;
    size_t i = prefix.size();
    std::int64_t index = -1;
    for (; i < vdev.size() && vdev[i] >= 'a' && vdev[i] <= 'z'; ++i) {
        index = (index + 1) * 26 + (vdev[i] - 'a');
        if (index > max_disk)
            return false;
    }
    disk = static_cast<int>(index);
    if (i == vdev.size()) {
        partition = 0;
        return true;
    }
    if (vdev[i] == '0')
        return false;  // libxl refuses leading zeroes in the partition number
    CUnsigned number = c_strtoul(vdev, i, 10);
    // libxl stores the unsigned long into a long and compares it signed, then keeps the
    // low 32 bits as an int.
    auto as_long = static_cast<std::int64_t>(number.value);
    if (number.end != vdev.size() || number.end == i || as_long > max_partition)
        return false;
    partition = static_cast<int>(static_cast<std::uint32_t>(number.value));
    return true;
}

}  // namespace

std::optional<int> vdev_to_number(std::string_view vdev)
{
    // libxl sees a C string: anything after an embedded NUL does not exist for it.
    vdev = vdev.substr(0, vdev.find('\0'));

    int disk = 0;
    int partition = 0;
    if (match_d_p_form(vdev, disk, partition)
        || match_lettered(vdev, "xvd", (1 << 20) - 1, 255, disk, partition)) {
        if (disk < 0 || partition < 0)
            return std::nullopt;
        if (disk <= 15 && partition <= 15)
            return (202 << 8) | (disk << 4) | partition;
        return (1 << 28) | (disk << 8) | partition;
    }

    CUnsigned number = c_strtoul(vdev, 0, 0);
    // An empty name converts nothing and leaves the end pointer on the terminating NUL,
    // so libxl reads it as device 0; that is reproduced on purpose.
    if (!number.overflow && number.end == vdev.size() && number.value <= INT_MAX)
        return static_cast<int>(number.value);

    if (match_lettered(vdev, "hd", 3, 63, disk, partition)) {
        // "hd" alone leaves the disk at -1, which libxl turns into 832 (hdb): reproduced.
        if (partition < 0)
            return std::nullopt;
        return ((disk < 2 ? 3 : 22) << 8) | ((disk & 1) << 6) | partition;
    }
    if (match_lettered(vdev, "sd", 15, 15, disk, partition)) {
        if (disk < 0 || partition < 0)
            return std::nullopt;
        return (8 << 8) | (disk << 4) | partition;
    }
    return std::nullopt;
}

namespace {

void append_disk_letters(std::string& out, std::uint32_t index)
{
    if (index >= 26)
        append_disk_letters(out, index / 26 - 1);
    out.push_back(static_cast<char>('a' + index % 26));
}

}  // namespace

std::string number_to_vdev(int devid)
{
    constexpr std::uint32_t extended = std::uint32_t{1} << 28;
    auto bits = static_cast<std::uint32_t>(devid);
    std::uint32_t minor;
    std::uint32_t partitions_per_disk;
    if ((bits & extended) == 0) {
        minor = bits & 0xff;
        partitions_per_disk = 16;
    } else {
        minor = bits & ~extended;
        partitions_per_disk = 256;
    }
    std::string name = "xvd";
    append_disk_letters(name, minor / partitions_per_disk);
    if (std::uint32_t partition = minor % partitions_per_disk; partition != 0)
        name += std::to_string(partition);
    return name;
}

}  // namespace uxl
