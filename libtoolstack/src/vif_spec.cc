// xl's vif parser, rebuilt from tools/xl/xl_parse.c (parse_nic_config and the vif loop of
// parse_config_data) and tools/libs/util/libxlu_vif.c (rate=).
//
// How a vif entry is read:
//   1. parse_vif_spec splits a config-file entry as xl's strtok loop does;
//   2. parse_vif_tokens applies each token in turn to one VifSpec, starting from the devid
//      the caller gives;
//   3. apply_token dispatches on the text before the first '=' (equivalent to xl's chain of
//      MATCH_OPTION prefix tests, since no key contains '='), or on the whole token for the
//      bare flags;
//   4. a token xl "returns 1" for is a Rejection: a warning in a config file, an error on
//      the command line; a token xl exits on is an Error in both modes.
#include "uxl/vif_spec.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <utility>

#include "libxl_json_parts.h"

namespace uxl {
namespace {

constexpr std::array<std::string_view, 49> k_colo_field_names = {
    "coloft_forwarddev",
    "colo_sock_mirror_id",
    "colo_sock_mirror_ip",
    "colo_sock_mirror_port",
    "colo_sock_compare_pri_in_id",
    "colo_sock_compare_pri_in_ip",
    "colo_sock_compare_pri_in_port",
    "colo_sock_compare_sec_in_id",
    "colo_sock_compare_sec_in_ip",
    "colo_sock_compare_sec_in_port",
    "colo_sock_compare_notify_id",
    "colo_sock_compare_notify_ip",
    "colo_sock_compare_notify_port",
    "colo_sock_redirector0_id",
    "colo_sock_redirector0_ip",
    "colo_sock_redirector0_port",
    "colo_sock_redirector1_id",
    "colo_sock_redirector1_ip",
    "colo_sock_redirector1_port",
    "colo_sock_redirector2_id",
    "colo_sock_redirector2_ip",
    "colo_sock_redirector2_port",
    "colo_filter_mirror_queue",
    "colo_filter_mirror_outdev",
    "colo_filter_redirector0_queue",
    "colo_filter_redirector0_indev",
    "colo_filter_redirector0_outdev",
    "colo_filter_redirector1_queue",
    "colo_filter_redirector1_indev",
    "colo_filter_redirector1_outdev",
    "colo_compare_pri_in",
    "colo_compare_sec_in",
    "colo_compare_out",
    "colo_compare_notify_dev",
    "colo_sock_sec_redirector0_id",
    "colo_sock_sec_redirector0_ip",
    "colo_sock_sec_redirector0_port",
    "colo_sock_sec_redirector1_id",
    "colo_sock_sec_redirector1_ip",
    "colo_sock_sec_redirector1_port",
    "colo_filter_sec_redirector0_queue",
    "colo_filter_sec_redirector0_indev",
    "colo_filter_sec_redirector0_outdev",
    "colo_filter_sec_redirector1_queue",
    "colo_filter_sec_redirector1_indev",
    "colo_filter_sec_redirector1_outdev",
    "colo_filter_sec_rewriter0_queue",
    "colo_checkpoint_host",
    "colo_checkpoint_port",
};

// Plain string options: xl's replace_string(&nic->field, value). netdev= also sets
// gatewaydev but is handled on its own because it prints a deprecation notice.
struct StringOption {
    std::string_view key;
    std::optional<std::string> VifSpec::*field;
};

constexpr std::array<StringOption, 8> k_string_options = {{
    {"bridge", &VifSpec::bridge},
    {"gatewaydev", &VifSpec::gatewaydev},
    {"ip", &VifSpec::ip},
    {"script", &VifSpec::script},
    {"backend", &VifSpec::backend_domname},
    {"vifname", &VifSpec::ifname},
    {"model", &VifSpec::model},
    {"vlan", &VifSpec::vlan},
}};

// The text xl prints when parse_nic_config returns 1 for a token.
struct Rejection {
    std::string text;
};

// What a token did: nothing to report, a rejection, or (as the Result's error) a fatal one.
using TokenOutcome = Result<std::optional<Rejection>>;

std::optional<Rejection> accepted()
{
    return std::nullopt;
}

std::unexpected<Error> rate_error(std::string_view source, std::string_view what,
                                  std::string_view text)
{
    std::string message(source);
    message += ": config parsing error in vif: ";
    message += what;
    message += " in `";
    message += text;
    message += "'";
    return fail(Errc::invalid_argument, std::move(message));
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// Matches libxlu's ^[0-9]+[GMK]?[Bb]/s$ without a regex engine.
bool matches_rate_syntax(std::string_view text)
{
    std::size_t at = 0;
    while (at < text.size() && is_digit(text[at]))
        ++at;
    if (at == 0)
        return false;
    if (at < text.size() && (text[at] == 'G' || text[at] == 'M' || text[at] == 'K'))
        ++at;
    if (at >= text.size() || (text[at] != 'B' && text[at] != 'b'))
        return false;
    return text.substr(at + 1) == "/s";
}

// Matches libxlu's ^[0-9]+[mu]?s?$.
bool matches_interval_syntax(std::string_view text)
{
    std::size_t at = 0;
    while (at < text.size() && is_digit(text[at]))
        ++at;
    if (at == 0)
        return false;
    if (at < text.size() && (text[at] == 'm' || text[at] == 'u'))
        ++at;
    if (at < text.size() && text[at] == 's')
        ++at;
    return at == text.size();
}

// libxlu reads the number with strtoull(…, 0): a leading 0 makes it octal, and the digits
// after the first non-octal one are then taken for the unit. The syntax check above has
// already passed, so the text starts with a digit and has a unit character after the digits.
// Returns the value and the index of the first character strtoull did not read.
std::pair<std::uint64_t, std::size_t> read_c_number(const std::string& text)
{
    char* end = nullptr;
    const std::uint64_t value = std::strtoull(text.c_str(), &end, 0);
    return {value, static_cast<std::size_t>(end - text.c_str())};
}

Result<std::uint64_t> parse_bytes_per_second(std::string_view source, const std::string& bytes)
{
    if (!matches_rate_syntax(bytes))
        return rate_error(source, "invalid rate", bytes);
    // A value strtoull saturates (ERANGE) is also above UINT32_MAX, so one test covers both.
    auto [value, unit] = read_c_number(bytes);
    if (value == 0 || value > UINT32_MAX)
        return rate_error(source, "rate overflow", bytes);
    switch (bytes[unit]) {
    case 'G': value *= 1000 * 1000 * 1000; break;
    case 'M': value *= 1000 * 1000; break;
    case 'K': value *= 1000; break;
    default: break;
    }
    // "b" means bits, possibly after a multiplier letter.
    if (bytes[unit] == 'b' || bytes[unit + 1] == 'b')
        value /= 8;
    return value;
}

Result<std::uint32_t> parse_interval_usecs(std::string_view source, const std::string& interval)
{
    if (!matches_interval_syntax(interval))
        return rate_error(source, "invalid replenishment interval", interval);
    auto [value, unit] = read_c_number(interval);
    if (value == 0 || value > UINT32_MAX)
        return rate_error(source, "replenishment interval overflow", interval);
    // A bare number is in seconds, like an explicit "s".
    const char unit_char = unit < interval.size() ? interval[unit] : '\0';
    if (unit_char == 's' || unit_char == '\0')
        value *= 1000 * 1000;
    else if (unit_char == 'm')
        value *= 1000;
    if (value > UINT32_MAX)
        return rate_error(source, "replenishment interval overflow", interval);
    return static_cast<std::uint32_t>(value);
}

// rate=RATE[@INTERVAL], as xlu_vif_parse_rate. The NIC changes only when all of it is good.
Result<void> parse_rate(std::string_view source, std::string_view rate, VifSpec& nic)
{
    const std::size_t at_sign = rate.find('@');
    const std::string bytes(rate.substr(0, at_sign));
    if (bytes.empty())
        return rate_error(source, "no rate specified", rate);

    const std::uint64_t bytes_per_second = UXL_TRY(parse_bytes_per_second(source, bytes));
    std::uint32_t interval_usecs = 50000;  // libxlu's default: 50ms
    if (at_sign != std::string_view::npos) {
        const std::string interval(rate.substr(at_sign + 1));
        interval_usecs = UXL_TRY(parse_interval_usecs(source, interval));
    }

    if (bytes_per_second > UINT64_MAX / interval_usecs)
        return rate_error(source, "rate overflow", rate);
    nic.rate_bytes_per_interval = bytes_per_second * interval_usecs / 1000000;
    nic.rate_interval_usecs = interval_usecs;
    return {};
}

// xl's parse_ulong: strtoul base 10, trailing text ignored, exits on no digits or
// ULONG_MAX. xl then stores the unsigned long into an int field, which wraps.
Result<int> parse_c_ulong_as_int(std::string_view text)
{
    const std::string buffer(text);
    char* end = nullptr;
    const unsigned long value = std::strtoul(buffer.c_str(), &end, 10);
    if (end == buffer.c_str() || value == ULONG_MAX)
        return fail(Errc::invalid_argument, "xl: failed to convert \"" + buffer + "\" to number");
    return static_cast<int>(value);
}

std::string_view colo_field_for_key(std::string_view key)
{
    if (key == "forwarddev")
        return "coloft_forwarddev";
    if (key == "coloft_forwarddev")
        return {};  // xl only knows the field by its short token name
    for (std::string_view field : k_colo_field_names) {
        if (field == key)
            return field;
    }
    return {};
}

void warn(const VifParseOptions& options, std::string text)
{
    if (options.warnings != nullptr)
        options.warnings->push_back(std::move(text));
}

TokenOutcome apply_token(const std::string& token, const VifParseOptions& options, VifSpec& nic)
{
    if (token == "trusted") {
        nic.trusted = true;
        return accepted();
    }
    if (token == "untrusted") {
        nic.trusted = false;
        return accepted();
    }

    const std::size_t equals = token.find('=');
    const std::string_view key =
        equals == std::string::npos ? std::string_view{} : std::string_view(token).substr(0, equals);
    const std::string_view value =
        equals == std::string::npos ? std::string_view{} : std::string_view(token).substr(equals + 1);
    const auto unrecognized = [&token] {
        return std::optional<Rejection>(Rejection{"unrecognized argument `" + token + "'"});
    };
    if (equals == std::string::npos)
        return unrecognized();

    for (const StringOption& option : k_string_options) {
        if (option.key == key) {
            nic.*option.field = std::string(value);
            return accepted();
        }
    }
    if (key == "type") {
        if (value == "vif")
            nic.nictype = NicType::vif;
        else if (value == "ioemu")
            nic.nictype = NicType::vif_ioemu;
        else
            return std::optional<Rejection>(Rejection{"Invalid parameter `type'."});
        return accepted();
    }
    if (key == "mac") {
        // Groups read before a bad one stay in the NIC, as they do in xl.
        if (detail::parse_mac_groups(value, nic.mac) != nic.mac.bytes.size())
            return std::optional<Rejection>(Rejection{"Invalid parameter `mac'."});
        return accepted();
    }
    if (key == "netdev") {
        warn(options, "the netdev parameter is deprecated, please use gatewaydev instead");
        nic.gatewaydev = std::string(value);
        return accepted();
    }
    if (key == "rate") {
        UXL_TRY(parse_rate(options.source, value, nic));
        return accepted();
    }
    if (key == "accel") {
        warn(options, "the accel parameter for vifs is currently not supported");
        return accepted();
    }
    if (key == "devid") {
        nic.devid = UXL_TRY(parse_c_ulong_as_int(value));
        return accepted();
    }
    if (key == "mtu") {
        nic.mtu = UXL_TRY(parse_c_ulong_as_int(value));
        return accepted();
    }
    if (const std::string_view field = colo_field_for_key(key); !field.empty()) {
        nic.colo[std::string(field)] = std::string(value);
        return accepted();
    }
    return unrecognized();
}

}  // namespace

std::string_view to_string(NicType type)
{
    switch (type) {
    case NicType::unknown: return "unknown";
    case NicType::vif_ioemu: return "vif_ioemu";
    case NicType::vif: return "vif";
    }
    return "unknown";
}

std::span<const std::string_view> vif_colo_field_names()
{
    return k_colo_field_names;
}

Result<VifSpec> parse_vif_tokens(std::span<const std::string> tokens,
                                 const VifParseOptions& options)
{
    VifSpec nic;
    nic.devid = options.devid;
    for (const std::string& token : tokens) {
        const std::optional<Rejection> rejection = UXL_TRY(apply_token(token, options, nic));
        if (!rejection)
            continue;
        if (options.mode == VifParseOptions::Mode::command_line)
            return fail(Errc::invalid_argument, rejection->text);
        warn(options, rejection->text);
    }
    return nic;
}

Result<VifSpec> parse_vif_spec(std::string_view spec, const VifParseOptions& options)
{
    std::vector<std::string> tokens;
    std::size_t start = 0;
    while (start <= spec.size()) {
        const std::size_t comma = std::min(spec.find(',', start), spec.size());
        std::string_view token = spec.substr(start, comma - start);
        // strtok never yields an empty token; the space stripping comes after it, so a
        // token of spaces becomes an empty one (and xl then calls it unrecognized).
        if (!token.empty()) {
            token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
            tokens.emplace_back(token);
        }
        start = comma + 1;
    }
    return parse_vif_tokens(tokens, options);
}

std::string vif_spec_to_yajl(const VifSpec& spec)
{
    return detail::to_yajl(detail::nic_to_libxl_json(spec));
}

Result<VifSpec> parse_network_attach_tokens(std::span<const std::string> tokens,
                                            std::vector<std::string>* warnings)
{
    VifParseOptions options;
    options.source = "command line";
    options.devid = -1;
    options.mode = VifParseOptions::Mode::command_line;
    options.warnings = warnings;
    return parse_vif_tokens(tokens, options);
}

}  // namespace uxl
