// libxlu's PCI_SPEC_STRING parser (tools/libs/util/libxlu_pci.c), rebuilt.
//
// How a string is read:
//   1. try a positional BDF at the start; if it parses, an optional "@VSLOT" follows, then
//      either the end or a ',' before the key=value part — anything else is an error;
//   2. if it does not parse, the whole string is read as key=value pairs instead (so
//      "bdf=…" and "name=…" forms work, and a malformed BDF ends up as "not key=value");
//   3. each pair is applied in order, later ones overriding earlier ones;
//   4. finally exactly one of a BDF and a name must have been given.
#include "uxl/pci_spec.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <strings.h>

namespace uxl {
namespace {

// The parser works on a terminated copy, as libxlu works on a char*, because it leans on
// strtoul/atoi whose C semantics (blanks, signs, prefixes) are the behaviour to keep.
class Cursor {
public:
    explicit Cursor(const char* at) : m_at(at) {}
    const char* position() const { return m_at; }
    char peek() const { return *m_at; }
    void advance() { ++m_at; }

    // Reads a number like sscanf's "%x": leading white space, an optional sign and "0x"
    // are accepted, and the unsigned long result is stored into 32 bits.
    std::optional<std::uint32_t> scan_hex()
    {
        char* end = nullptr;
        const unsigned long value = std::strtoul(m_at, &end, 16);
        if (end == m_at)
            return std::nullopt;
        m_at = end;
        return static_cast<std::uint32_t>(value);
    }

    // Consumes `c` if it is next, as a literal character in a scanf format does.
    bool expect(char c)
    {
        if (*m_at != c)
            return false;
        ++m_at;
        return true;
    }

private:
    const char* m_at;
};

// How many ':' the leading run of hex digits and colons holds: libxlu's test for whether
// the BDF has a domain part (1 colon: no, 2: yes, anything else: not a BDF).
int count_leading_colons(const char* text)
{
    int colons = 0;
    for (; std::isxdigit(static_cast<unsigned char>(*text)) || *text == ':'; ++text) {
        if (*text == ':')
            ++colons;
    }
    return colons;
}

// Parses [DDDD:]BB:SS.F at the cursor into `pci`, leaving the cursor after it. On failure
// neither the cursor nor `pci` changes.
bool parse_bdf(Cursor& cursor, PciSpec& pci)
{
    Cursor at = cursor;
    std::optional<std::uint32_t> domain = 0;
    const int colons = count_leading_colons(at.position());
    if (colons == 2) {
        domain = at.scan_hex();
        if (!domain || !at.expect(':'))
            return false;
    } else if (colons != 1) {
        return false;
    }
    const std::optional<std::uint32_t> bus = at.scan_hex();
    if (!bus || !at.expect(':'))
        return false;
    const std::optional<std::uint32_t> dev = at.scan_hex();
    // libxlu does not check that the '.' matched (its %n is then left unset, which is
    // undefined behaviour); uxl requires it.
    if (!dev || !at.expect('.'))
        return false;
    if (*domain > 0xffff || *bus > 0xff || *dev > 0x1f)
        return false;

    std::uint32_t func = 0;
    std::uint32_t vfunc_mask = 1;
    if (at.expect('*')) {
        vfunc_mask = pci_func_all;
    } else {
        const std::optional<std::uint32_t> scanned = at.scan_hex();
        if (!scanned || *scanned > 7)
            return false;
        func = *scanned;
    }

    pci.domain = static_cast<int>(*domain);
    pci.bus = static_cast<std::uint8_t>(*bus);
    pci.dev = static_cast<std::uint8_t>(*dev);
    pci.func = static_cast<std::uint8_t>(func);
    pci.vfunc_mask = vfunc_mask;
    cursor = at;
    return true;
}

// Parses a virtual slot (hex, at most 0x1f) into vdevfn.
bool parse_vslot(Cursor& cursor, PciSpec& pci)
{
    const std::optional<std::uint32_t> slot = cursor.scan_hex();
    if (!slot || *slot > 0x1f)
        return false;
    pci.vdevfn = *slot << 3;
    return true;
}

// libxl_rdm_reserve_policy_from_string: libxl matches enum names with strcasecmp, and
// "invalid" is one of the names.
std::optional<RdmReservePolicy> rdm_policy_from_string(const std::string& text)
{
    for (RdmReservePolicy policy :
         {RdmReservePolicy::invalid, RdmReservePolicy::strict, RdmReservePolicy::relaxed}) {
        if (::strcasecmp(text.c_str(), std::string(to_string(policy)).c_str()) == 0)
            return policy;
    }
    return std::nullopt;
}

class SpecParser {
public:
    SpecParser(std::string_view spec, const PciParseOptions& options)
        : m_spec(spec), m_options(options), m_pci(options.initial)
    {
    }

    Result<PciSpec> run()
    {
        Cursor cursor(m_spec.c_str());
        if (parse_bdf(cursor, m_pci)) {
            m_bdf_present = true;
            if (cursor.expect('@') && !parse_vslot(cursor, m_pci))
                return invalid("invalid virtual slot: it must be a hex number up to 1f");
            if (!cursor.expect(',') && cursor.peek() != '\0')
                return invalid("unexpected text after the BDF");
        }

        while (cursor.peek() != '\0')
            UXL_TRY(apply_pair(cursor));

        if (m_bdf_present == m_name_present)
            return invalid("exactly one of a BDF and name= must be given");
        return m_pci;
    }

private:
    // Reads KEY=VALUE[,] at the cursor and applies it.
    Result<void> apply_pair(Cursor& cursor)
    {
        const char* const key_start = cursor.position();
        while (cursor.peek() != '=' && cursor.peek() != '\0')
            cursor.advance();
        if (cursor.peek() == '\0')
            return invalid("expected a BDF or KEY=VALUE");
        const std::string key(key_start, cursor.position());
        cursor.advance();
        const char* const value_start = cursor.position();
        while (cursor.peek() != ',' && cursor.peek() != '\0')
            cursor.advance();
        const std::string value(value_start, cursor.position());
        cursor.expect(',');

        if (key == "bdf") {
            // Text after the BDF inside the value is ignored, as libxlu ignores it.
            Cursor value_cursor(value.c_str());
            if (!parse_bdf(value_cursor, m_pci))
                return invalid("invalid BDF in bdf=");
            m_bdf_present = true;
        } else if (key == "vslot") {
            Cursor value_cursor(value.c_str());
            if (!parse_vslot(value_cursor, m_pci))
                return invalid("invalid vslot=: it must be a hex number up to 1f");
        } else if (key == "permissive") {
            m_pci.permissive = std::atoi(value.c_str()) != 0;
        } else if (key == "msitranslate") {
            m_pci.msitranslate = std::atoi(value.c_str()) != 0;
        } else if (key == "seize") {
            m_pci.seize = std::atoi(value.c_str()) != 0;
        } else if (key == "power_mgmt") {
            m_pci.power_mgmt = std::atoi(value.c_str()) != 0;
        } else if (key == "rdm_policy") {
            const std::optional<RdmReservePolicy> policy = rdm_policy_from_string(value);
            if (!policy)
                return reported("Unknown RDM policy: " + value);
            m_pci.rdm_policy = *policy;
        } else if (key == "name") {
            m_name_present = true;
            m_pci.name = value;
        } else {
            return reported("Unknown PCI_SPEC_STRING option: " + key);
        }
        return {};
    }

    // A failure libxlu reports with this text before returning.
    std::unexpected<Error> reported(std::string text) const
    {
        if (m_options.report != nullptr)
            *m_options.report = text;
        return fail(Errc::invalid_argument, std::move(text), m_spec);
    }

    // A failure libxlu returns without a word; the caller's own line is all xl prints.
    std::unexpected<Error> invalid(std::string_view why) const
    {
        return fail(Errc::invalid_argument,
                    "Malformed PCI_SPEC_STRING `" + m_spec + "': " + std::string(why) + ".",
                    m_spec);
    }

    const std::string m_spec;
    const PciParseOptions& m_options;
    PciSpec m_pci;
    bool m_bdf_present = false;
    bool m_name_present = false;
};

}  // namespace

std::string_view to_string(RdmReservePolicy policy)
{
    switch (policy) {
    case RdmReservePolicy::invalid: return "invalid";
    case RdmReservePolicy::strict: return "strict";
    case RdmReservePolicy::relaxed: return "relaxed";
    }
    return "invalid";
}

Result<PciSpec> parse_pci_spec(std::string_view spec, const PciParseOptions& options)
{
    if (options.report != nullptr)
        options.report->clear();
    return SpecParser(spec, options).run();
}

Result<PciSpec> parse_pci_spec(std::string_view spec)
{
    return parse_pci_spec(spec, PciParseOptions{});
}

std::string pci_spec_to_bdf(const PciSpec& spec)
{
    char text[32];
    std::snprintf(text, sizeof text, "%04x:%02x:%02x.%01x", static_cast<unsigned>(spec.domain),
                  static_cast<unsigned>(spec.bus), static_cast<unsigned>(spec.dev),
                  static_cast<unsigned>(spec.func));
    return text;
}

}  // namespace uxl
