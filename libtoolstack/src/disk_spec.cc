// The xl disk specification parser: a hand-written equivalent of libxlu's flex scanner
// (libxlu_disk_l.l) and its driver (libxlu_disk.c).
//
// The grammar is defined by the flex rules, not by the man page, and users' config files
// depend on its corners (trailing blanks kept in values, `target=` eating commas, the xm
// prefixes), so the scanner reproduces flex's matching rather than a tidier grammar:
//   1. Each fragment is scanned on its own, from its start, as xl runs a fresh scanner per
//      argv word; the parse state (the disk, "a deprecated prefix was seen", "access was
//      given", the errors so far) carries over from fragment to fragment.
//   2. At each position every rule of kRules is tried. The longest match wins and a tie
//      goes to the earlier rule, as in flex. A rule's trailing context (`/.*` in the flex
//      source) counts towards its length but is not consumed.
//   3. The winning rule's action updates the disk or records an error line. Most errors
//      let the scan go on (and may add more lines, as xl prints them); three stop the
//      fragment. Once a fragment ends with errors, parsing stops.
//   4. After the last fragment come libxl's defaults (format raw; a cdrom is removable and
//      read-only, and an empty one has format `empty`) and the two completeness checks.
#include "uxl/disk_spec.h"

#include "c_number.h"

#include <climits>
#include <cstdint>
#include <utility>
#include <vector>

#include "libxl_json_parts.h"

namespace uxl {

std::string to_string(DiskFormat format)
{
    switch (format) {
    case DiskFormat::unknown: return "unknown";
    case DiskFormat::qcow: return "qcow";
    case DiskFormat::qcow2: return "qcow2";
    case DiskFormat::vhd: return "vhd";
    case DiskFormat::raw: return "raw";
    case DiskFormat::empty: return "empty";
    case DiskFormat::qed: return "qed";
    }
    return "unknown";
}

std::string to_string(DiskBackend backend)
{
    switch (backend) {
    case DiskBackend::unknown: return "unknown";
    case DiskBackend::phy: return "phy";
    case DiskBackend::tap: return "tap";
    case DiskBackend::qdisk: return "qdisk";
    case DiskBackend::standalone: return "standalone";
    }
    return "unknown";
}

std::string to_string(DiskSpecification specification)
{
    switch (specification) {
    case DiskSpecification::unknown: return "unknown";
    case DiskSpecification::xen: return "xen";
    case DiskSpecification::virtio: return "virtio";
    }
    return "unknown";
}

std::string to_string(DiskTransport transport)
{
    switch (transport) {
    case DiskTransport::unknown: return "unknown";
    case DiskTransport::mmio: return "mmio";
    }
    return "unknown";
}

std::string disk_spec_to_yajl(const DiskSpec& disk)
{
    return detail::to_yajl(detail::disk_to_libxl_json(disk));
}

namespace {

// What a rule does when it wins; several flex rules with the same action share one.
enum class Rule {
    blanks,
    format,
    cdrom,
    devtype_cdrom,
    devtype_disk,
    devtype_other,
    access,
    backend,
    backendtype,
    specification,
    vdev,
    script,
    direct_io_safe,
    discard,
    no_discard,
    colo,
    no_colo,
    colo_host,
    colo_port,
    colo_export,
    active_disk,
    hidden_disk,
    trusted,
    untrusted,
    grant_usage_on,
    grant_usage_off,
    target,
    unknown_parameter,
    format_prefix,
    script_prefix,
    ignored_prefix,
    unknown_prefix,
    positional,
    stray_character,
};

// The shapes of the flex patterns, each described with the pattern it stands for.
enum class Shape {
    blank_run,         // [ \t\n]+/([^ \t\n].*)?
    keyword_value,     // <text>[^,]*,?
    flag,              // <text>,?
    keyword_rest,      // <text>.*
    short_parameter,   // [a-z][-a-z0-9]*=[^,],?
    prefix,            // <text>:/.*
    any_prefix,        // [a-z][a-z0-9]*:/([^a-z0-9].*)?
    positional,        // [^=,]*,|[^=,]+,?
    any_character,     // .
};

struct RuleDef {
    Rule rule;
    Shape shape;
    std::string_view text;
};

// In the order of the flex source, which decides ties.
constexpr RuleDef kRules[] = {
    {Rule::blanks, Shape::blank_run, ""},
    {Rule::format, Shape::keyword_value, "format="},
    {Rule::cdrom, Shape::flag, "cdrom"},
    {Rule::devtype_cdrom, Shape::flag, "devtype=cdrom"},
    {Rule::devtype_disk, Shape::flag, "devtype=disk"},
    {Rule::devtype_other, Shape::keyword_value, "devtype="},
    {Rule::access, Shape::keyword_value, "access="},
    {Rule::backend, Shape::keyword_value, "backend="},
    {Rule::backendtype, Shape::keyword_value, "backendtype="},
    {Rule::specification, Shape::keyword_value, "specification="},
    {Rule::vdev, Shape::keyword_value, "vdev="},
    {Rule::script, Shape::keyword_value, "script="},
    {Rule::direct_io_safe, Shape::flag, "direct-io-safe"},
    {Rule::discard, Shape::flag, "discard"},
    {Rule::no_discard, Shape::flag, "no-discard"},
    {Rule::colo, Shape::flag, "colo"},
    {Rule::no_colo, Shape::flag, "no-colo"},
    {Rule::colo_host, Shape::keyword_value, "colo-host="},
    {Rule::colo_port, Shape::keyword_value, "colo-port="},
    {Rule::colo_export, Shape::keyword_value, "colo-export="},
    {Rule::active_disk, Shape::keyword_value, "active-disk="},
    {Rule::hidden_disk, Shape::keyword_value, "hidden-disk="},
    {Rule::trusted, Shape::flag, "trusted"},
    {Rule::untrusted, Shape::flag, "untrusted"},
    {Rule::grant_usage_on, Shape::flag, "grant_usage=1"},
    {Rule::grant_usage_off, Shape::flag, "grant_usage=0"},
    {Rule::target, Shape::keyword_rest, "target="},
    {Rule::unknown_parameter, Shape::short_parameter, ""},
    {Rule::format_prefix, Shape::prefix, "raw"},
    {Rule::format_prefix, Shape::prefix, "qcow"},
    {Rule::format_prefix, Shape::prefix, "qcow2"},
    {Rule::format_prefix, Shape::prefix, "vhd"},
    {Rule::script_prefix, Shape::prefix, "iscsi"},
    {Rule::script_prefix, Shape::prefix, "nbd"},
    {Rule::script_prefix, Shape::prefix, "enbd"},
    {Rule::script_prefix, Shape::prefix, "drbd"},
    {Rule::ignored_prefix, Shape::prefix, "tapdisk"},
    {Rule::ignored_prefix, Shape::prefix, "tap"},
    {Rule::ignored_prefix, Shape::prefix, "tap2"},
    {Rule::ignored_prefix, Shape::prefix, "aio"},
    {Rule::ignored_prefix, Shape::prefix, "ioemu"},
    {Rule::ignored_prefix, Shape::prefix, "file"},
    {Rule::ignored_prefix, Shape::prefix, "phy"},
    {Rule::unknown_prefix, Shape::any_prefix, ""},
    {Rule::positional, Shape::positional, ""},
    {Rule::stray_character, Shape::any_character, ""},
};

struct Match {
    Rule rule = Rule::stray_character;
    size_t length = 0;    // decides the longest match; includes trailing context
    size_t consumed = 0;  // what the action sees as its text (flex's yytext)
};

bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

bool is_lower_or_digit(char c)
{
    return is_lower(c) || (c >= '0' && c <= '9');
}

// How many characters flex's `.*` matches from `pos`: everything up to a newline.
size_t rest_of_line(std::string_view text, size_t pos)
{
    size_t newline = text.find('\n', pos);
    return (newline == std::string_view::npos ? text.size() : newline) - pos;
}

size_t optional_comma(std::string_view text, size_t pos)
{
    return pos < text.size() && text[pos] == ',' ? 1 : 0;
}

// Length and consumed count of `def` at `pos`; length 0 means no match.
Match try_rule(const RuleDef& def, std::string_view text, size_t pos)
{
    Match m{def.rule, 0, 0};
    std::string_view here = text.substr(pos);
    switch (def.shape) {
    case Shape::blank_run: {
        size_t run = 0;
        while (run < here.size() && is_blank(here[run]))
            ++run;
        if (run == 0)
            return m;
        m.consumed = run;
        m.length = run + rest_of_line(text, pos + run);
        return m;
    }
    case Shape::keyword_value: {
        if (!here.starts_with(def.text))
            return m;
        size_t end = here.find(',', def.text.size());
        if (end == std::string_view::npos)
            end = here.size();
        m.length = m.consumed = end + optional_comma(here, end);
        return m;
    }
    case Shape::flag:
        if (!here.starts_with(def.text))
            return m;
        m.length = m.consumed = def.text.size() + optional_comma(here, def.text.size());
        return m;
    case Shape::keyword_rest:
        if (!here.starts_with(def.text))
            return m;
        m.length = m.consumed = def.text.size() + rest_of_line(text, pos + def.text.size());
        return m;
    case Shape::short_parameter: {
        if (here.empty() || !is_lower(here[0]))
            return m;
        size_t i = 1;
        while (i < here.size() && (is_lower_or_digit(here[i]) || here[i] == '-'))
            ++i;
        // Exactly one value character: the flex pattern is `[^,]`, not `[^,]*`.
        if (i + 1 >= here.size() || here[i] != '=' || here[i + 1] == ',')
            return m;
        i += 2;
        m.length = m.consumed = i + optional_comma(here, i);
        return m;
    }
    case Shape::prefix: {
        if (!here.starts_with(def.text) || here.size() <= def.text.size()
            || here[def.text.size()] != ':')
            return m;
        m.consumed = def.text.size() + 1;
        m.length = m.consumed + rest_of_line(text, pos + m.consumed);
        return m;
    }
    case Shape::any_prefix: {
        if (here.empty() || !is_lower(here[0]))
            return m;
        size_t i = 1;
        while (i < here.size() && is_lower_or_digit(here[i]))
            ++i;
        if (i >= here.size() || here[i] != ':')
            return m;
        m.consumed = i + 1;
        m.length = m.consumed;
        // The optional trailing context `[^a-z0-9].*` (its first character may even be a
        // newline) makes the match longer when it applies.
        if (m.consumed < here.size() && !is_lower_or_digit(here[m.consumed]))
            m.length += 1 + rest_of_line(text, pos + m.consumed + 1);
        return m;
    }
    case Shape::positional: {
        size_t end = here.find_first_of("=,");
        if (end == std::string_view::npos)
            end = here.size();
        size_t length = end + optional_comma(here, end);
        m.length = m.consumed = length;
        return m;
    }
    case Shape::any_character:
        if (here.empty() || here[0] == '\n')
            return m;
        m.length = m.consumed = 1;
        return m;
    }
    return m;
}

Match longest_match(std::string_view text, size_t pos)
{
    Match best;
    for (const RuleDef& def : kRules) {
        Match m = try_rule(def, text, pos);
        if (m.length > best.length)
            best = m;
    }
    return best;
}

// flex's STRIP(','): drops one trailing comma.
std::string_view strip_comma(std::string_view text)
{
    if (!text.empty() && text.back() == ',')
        text.remove_suffix(1);
    return text;
}

std::string_view value_after_equals(std::string_view matched)
{
    return strip_comma(matched).substr(matched.find('=') + 1);
}

// atoi() as glibc does it: strtol, saturating, then keeping the low 32 bits.
int c_atoi(std::string_view text)
{
    size_t i = 0;
    while (i < text.size()
           && (text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r')))
        ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-'))
        negative = text[i++] == '-';
    std::uint64_t magnitude = 0;
    bool overflow = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        auto digit = static_cast<std::uint64_t>(text[i] - '0');
        if (magnitude > (UINT64_MAX - digit) / 10)
            overflow = true;
        magnitude = magnitude * 10 + digit;
    }
    return detail::c_long_to_int(negative, overflow, magnitude);
}

class DiskSpecParser {
public:
    explicit DiskSpecParser(std::string_view source) : m_source(source) {}

    Result<DiskSpec> run(std::span<const std::string> fragments)
    {
        m_disk.readwrite = true;
        for (const std::string& fragment : fragments) {
            // xl hands the scanner a C string: nothing after an embedded NUL exists.
            m_fragment = std::string_view(fragment).substr(0, fragment.find('\0'));
            scan_fragment();
            if (!m_errors.empty())
                return failure();
        }
        apply_defaults();
        if (!m_disk.vdev) {
            report(std::nullopt, "no vdev specified");
            return failure();
        }
        if (!m_disk.pdev_path && !m_disk.removable) {
            report(std::nullopt, "no target specified (and device not removable)");
            return failure();
        }
        return std::move(m_disk);
    }

private:
    void scan_fragment()
    {
        size_t pos = 0;
        while (pos < m_fragment.size()) {
            Match m = longest_match(m_fragment, pos);
            if (!act(m, pos))
                return;
            pos += m.consumed;
        }
    }

    // Runs the action of the winning rule; returns false when the rest of the fragment
    // must not be scanned.
    bool act(const Match& m, size_t pos)
    {
        std::string_view matched = m_fragment.substr(pos, m.consumed);
        switch (m.rule) {
        case Rule::blanks: return true;
        case Rule::format: set_format(value_after_equals(matched)); return true;
        case Rule::cdrom:
        case Rule::devtype_cdrom: m_disk.is_cdrom = true; return true;
        case Rule::devtype_disk: m_disk.is_cdrom = false; return true;
        // xl quotes the whole unstripped token here, trailing comma included.
        case Rule::devtype_other: report(matched, "unknown value for type"); return true;
        case Rule::access: set_access(value_after_equals(matched)); return true;
        case Rule::backend:
            save_string("backend", m_disk.backend_domname, value_after_equals(matched));
            return true;
        case Rule::backendtype: set_backend(value_after_equals(matched)); return true;
        case Rule::specification: set_specification(value_after_equals(matched)); return true;
        case Rule::vdev: save_string("vdev", m_disk.vdev, value_after_equals(matched)); return true;
        case Rule::script:
            save_string("script", m_disk.script, value_after_equals(matched));
            return true;
        case Rule::direct_io_safe: m_disk.direct_io_safe = true; return true;
        case Rule::discard: m_disk.discard_enable = true; return true;
        case Rule::no_discard: m_disk.discard_enable = false; return true;
        case Rule::colo: m_disk.colo_enable = true; return true;
        case Rule::no_colo: m_disk.colo_enable = false; return true;
        case Rule::colo_host:
            save_string("colo-host", m_disk.colo_host, value_after_equals(matched));
            return true;
        case Rule::colo_port: set_colo_port(value_after_equals(matched)); return true;
        case Rule::colo_export:
            save_string("colo-export", m_disk.colo_export, value_after_equals(matched));
            return true;
        case Rule::active_disk:
            save_string("active-disk", m_disk.active_disk, value_after_equals(matched));
            return true;
        case Rule::hidden_disk:
            save_string("hidden-disk", m_disk.hidden_disk, value_after_equals(matched));
            return true;
        case Rule::trusted: m_disk.trusted = true; return true;
        case Rule::untrusted: m_disk.trusted = false; return true;
        case Rule::grant_usage_on: m_disk.grant_usage = true; return true;
        case Rule::grant_usage_off: m_disk.grant_usage = false; return true;
        case Rule::target:
            save_string("target", m_disk.pdev_path, value_after_equals(matched));
            return true;
        case Rule::unknown_parameter: report(matched, "unknown parameter"); return true;
        case Rule::format_prefix:
            m_had_deprecated_prefix = true;
            set_format(matched.substr(0, matched.size() - 1));
            return true;
        case Rule::script_prefix:
            m_had_deprecated_prefix = true;
            save_string("script", m_disk.script,
                        "block-" + std::string(matched.substr(0, matched.size() - 1)));
            return true;
        case Rule::ignored_prefix: m_had_deprecated_prefix = true; return true;
        case Rule::unknown_prefix:
            report(matched, "unknown deprecated disk prefix");
            return false;
        case Rule::positional: return positional(strip_comma(matched));
        case Rule::stray_character: stray_character(pos); return false;
        }
        return true;
    }

    // A parameter without '=': fills target, format, vdev, access in that order. The
    // format slot is skipped after an xm prefix (`phy:/dev/x,xvda,w`), and an empty target
    // lets `<vdev>:cdrom` stand in the format slot (xend's `,hdc:cdrom,r`).
    bool positional(std::string_view value)
    {
        if (!m_errors.empty())
            return true;  // earlier errors would only cause confusing follow-ups
        if (!m_disk.pdev_path) {
            save_string("target", m_disk.pdev_path, value);
        } else if (!m_had_deprecated_prefix && m_disk.format == DiskFormat::unknown) {
            if (m_disk.pdev_path->empty() && vdev_and_devtype(value))
                m_disk.format = DiskFormat::empty;
            else
                set_format(value);
        } else if (!m_disk.vdev) {
            if (!vdev_and_devtype(value))
                save_string("vdev", m_disk.vdev, value);
        } else if (!m_access_set) {
            m_access_set = true;
            set_access(value);
        } else {
            report(value, "too many positional parameters");
            return false;
        }
        return true;
    }

    // flex's `.` rule: it switches to an error state whose only rule takes the rest of the
    // line, and reports the character plus that rest. At the very end of the input the
    // error state meets end-of-file first and the scan ends without a message, as in xl.
    void stray_character(size_t pos)
    {
        size_t rest = rest_of_line(m_fragment, pos + 1);
        if (rest == 0 && pos + 1 == m_fragment.size())
            return;
        report(m_fragment.substr(pos, 1 + rest), "bad disk syntax");
    }

    // The deprecated `<vdev>:<devtype>` form; returns false (doing nothing) without a colon.
    bool vdev_and_devtype(std::string_view value)
    {
        size_t colon = value.rfind(':');
        if (colon == std::string_view::npos)
            return false;
        save_string("vdev", m_disk.vdev, value.substr(0, colon));
        std::string_view type = value.substr(colon + 1);
        if (type == "cdrom")
            m_disk.is_cdrom = true;
        else if (type == "disk")
            m_disk.is_cdrom = false;
        else
            report(type, "unknown deprecated type");
        return true;
    }

    // A string may be given once; only an empty earlier value may be overwritten.
    void save_string(std::string_view what, std::optional<std::string>& field,
                     std::string_view value)
    {
        if (field && !field->empty()) {
            report(value, std::string(what) + " respecified");
            return;
        }
        field = std::string(value);
    }

    // An enum may be set again only to the same value (libxl's DSET); the message names
    // the libxl member, so backendtype= reports "backend respecified".
    template <class Enum>
    void set_enum(Enum& field, Enum value, std::string_view member, std::string_view text)
    {
        if (field != Enum::unknown && field != value) {
            report(text, std::string(member) + " respecified");
            return;
        }
        field = value;
    }

    void set_format(std::string_view text)
    {
        static constexpr std::pair<std::string_view, DiskFormat> kNames[] = {
            {"", DiskFormat::raw},     {"raw", DiskFormat::raw},
            {"qcow", DiskFormat::qcow}, {"qcow2", DiskFormat::qcow2},
            {"vhd", DiskFormat::vhd},   {"empty", DiskFormat::empty},
            {"qed", DiskFormat::qed},
        };
        for (const auto& [name, format] : kNames) {
            if (text == name) {
                set_enum(m_disk.format, format, "format", text);
                return;
            }
        }
        report(text, "unknown value for format");
    }

    void set_backend(std::string_view text)
    {
        static constexpr std::pair<std::string_view, DiskBackend> kNames[] = {
            {"phy", DiskBackend::phy},
            {"tap", DiskBackend::tap},
            {"qdisk", DiskBackend::qdisk},
            {"standalone", DiskBackend::standalone},
        };
        for (const auto& [name, backend] : kNames) {
            if (text == name) {
                set_enum(m_disk.backend, backend, "backend", text);
                return;
            }
        }
        report(text, "unknown value for backendtype");
    }

    void set_specification(std::string_view text)
    {
        if (text == "xen")
            set_enum(m_disk.specification, DiskSpecification::xen, "specification", text);
        else if (text == "virtio")
            set_enum(m_disk.specification, DiskSpecification::virtio, "specification", text);
        else
            report(text, "unknown value for specification");
    }

    void set_access(std::string_view text)
    {
        if (text == "r" || text == "ro")
            m_disk.readwrite = false;
        else if (text == "rw" || text == "w" || text.empty())
            m_disk.readwrite = true;
        else
            report(text, "unknown value for access");
    }

    void set_colo_port(std::string_view text)
    {
        if (int port = c_atoi(text); port != 0)
            m_disk.colo_port = port;
        else
            report(text, "unknown value for colo_port");
    }

    void apply_defaults()
    {
        if (m_disk.format == DiskFormat::unknown)
            m_disk.format = DiskFormat::raw;
        if (m_disk.is_cdrom) {
            m_disk.removable = true;
            m_disk.readwrite = false;
            if (!m_disk.pdev_path || m_disk.pdev_path->empty())
                m_disk.format = DiskFormat::empty;
        }
    }

    void report(std::optional<std::string_view> erroneous, std::string_view message)
    {
        std::string line(m_source);
        line += ": config parsing error in disk specification: ";
        line += message;
        if (erroneous) {
            line += ": near `";
            line += *erroneous;
            line += "'";
        }
        line += " in `";
        line += m_fragment;
        line += "'";
        m_errors.push_back(std::move(line));
    }

    std::unexpected<Error> failure() const
    {
        std::string message;
        for (const std::string& line : m_errors) {
            if (!message.empty())
                message += '\n';
            message += line;
        }
        return fail(Errc::invalid_argument, std::move(message));
    }

    std::string_view m_source;
    // glibc prints a NULL spec as "(null)", which is what xl shows when given no fragment.
    std::string_view m_fragment = "(null)";
    DiskSpec m_disk;
    bool m_had_deprecated_prefix = false;
    bool m_access_set = false;
    std::vector<std::string> m_errors;
};

}  // namespace

Result<DiskSpec> parse_disk_spec(std::span<const std::string> fragments, std::string_view source)
{
    return DiskSpecParser(source).run(fragments);
}

Result<DiskSpec> parse_disk_spec(std::string_view spec, std::string_view source)
{
    const std::string fragment(spec);
    return parse_disk_spec(std::span<const std::string>(&fragment, 1), source);
}

}  // namespace uxl
