// check_config(): all the problems of a domain config in one report.
//
//  1. Parse. Syntax errors come with line and column; the parser recovers line by line,
//     so every bad line is reported. xl's three "looks like Python" lines become one.
//  2. If the file parsed, build the domain as `uxl create` would (build_domain_spec),
//     which yields xl's value warnings, and at most one fatal error. That error names
//     only a line (Error::context is "FILE:LINE"); the setting or list element on that
//     line supplies the column.
//  3. Look at the keys themselves, even when the file did not parse, since the settings
//     of the good lines are known: unknown keys (with a suggestion), keys of xm's that xl
//     ignores, xl.conf settings, and keys assigned twice.
//  4. Order everything by line, then column.
#include "uxl/config_check.h"

#include "uxl/config_file.h"
#include "uxl/config_reader.h"
#include "uxl/domain_spec.h"
#include "uxl/known_keys.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <map>
#include <vector>

namespace uxl {
namespace {

Diagnostic make(Severity severity, std::string_view source, SourcePos pos, std::string message)
{
    Diagnostic d;
    d.severity = severity;
    d.source = std::string(source);
    d.pos = pos;
    d.message = std::move(message);
    return d;
}

std::string quoted(std::string_view key)
{
    return "`" + std::string(key) + "'";
}

// 1. ------------------------------------------------------------------------------------

// The parser reports the lines xl prints after a failed parse of a Python-looking file
// as three warnings without a position; they are one fact.
void add_parse_diagnostics(const Diagnostics& parsed, std::string_view source,
                           std::vector<Diagnostic>& out)
{
    std::string python;
    for (const Diagnostic& d : parsed.items()) {
        if (d.pos.line > 0 || d.severity != Severity::warning) {
            out.push_back(d);
            continue;
        }
        std::string_view text = d.message.empty() ? std::string_view(d.xl_text) : d.message;
        while (!text.empty() && text.front() == ' ')
            text.remove_prefix(1);
        if (!python.empty())
            python += ' ';
        python += text;
    }
    if (!python.empty())
        out.push_back(make(Severity::warning, source, {}, std::move(python)));
}

// 2. ------------------------------------------------------------------------------------

bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

// Whether `word` occurs in `text` on its own, not as part of a longer key.
bool mentions(std::string_view text, std::string_view word)
{
    if (word.empty())
        return false;
    for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
        const bool starts = at == 0 || !is_key_char(text[at - 1]);
        const size_t end = at + word.size();
        const bool ends = end == text.size() || !is_key_char(text[end]);
        if (starts && ends)
            return true;
    }
    return false;
}

// The line number at the end of an Error's context "SOURCE:LINE", or 0.
int context_line(std::string_view context, std::string_view source)
{
    if (!context.starts_with(source) || context.size() <= source.size() + 1 ||
        context[source.size()] != ':')
        return 0;
    context.remove_prefix(source.size() + 1);
    int line = 0;
    auto [end, ec] = std::from_chars(context.data(), context.data() + context.size(), line);
    if (ec != std::errc() || end != context.data() + context.size())
        return 0;
    return line;
}

struct Candidate {
    SourcePos pos;
    std::string_view key;
    std::string_view text;  // the string value or element; empty for a list
};

void collect_elements(const ConfigValue& list, std::string_view key, int line,
                      std::vector<Candidate>& out)
{
    for (const ConfigValue& element : list.items) {
        if (element.is_list())
            collect_elements(element, key, line, out);
        else if (element.pos.line == line)
            out.push_back({element.pos, key, element.text});
    }
}

// Where, on `line`, the fatal error `message` is about: a value or list element on that
// line, preferring one the message quotes, then one whose key it names.
SourcePos locate(const ConfigFile& config, int line, std::string_view message)
{
    std::vector<Candidate> candidates;
    for (const Setting& setting : config.settings) {
        if (setting.line == line) {
            candidates.push_back({setting.value.pos, setting.name,
                                  setting.value.is_string() ? std::string_view(setting.value.text)
                                                            : std::string_view()});
        }
        if (setting.value.is_list())
            collect_elements(setting.value, setting.name, line, candidates);
    }
    for (const Candidate& c : candidates) {
        if (!c.text.empty() && message.find(c.text) != std::string_view::npos)
            return c.pos;
    }
    for (const Candidate& c : candidates) {
        if (mentions(message, c.key))
            return c.pos;
    }
    if (!candidates.empty())
        return candidates.front().pos;
    return SourcePos{line, 0, 0};
}

// xl's texts sometimes start with "FILE:LINE: " and may span lines (a device
// parser's report, then xl's verdict); the location is shown separately by check.
std::string strip_location(std::string_view text, std::string_view source)
{
    std::string out;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.starts_with(source) && line.size() > source.size() && line[source.size()] == ':') {
            std::string_view rest = line.substr(source.size() + 1);
            const size_t digits = std::min(rest.find_first_not_of("0123456789"), rest.size());
            if (digits > 0 && rest.substr(digits).starts_with(": "))
                line = rest.substr(digits + 2);  // "FILE:LINE: "
            else if (digits == 0 && rest.starts_with(" "))
                line = rest.substr(1);  // "FILE: "
        }
        for (std::string_view marker : {"error: ", "warning: "}) {
            if (line.starts_with(marker))
                line.remove_prefix(marker.size());
        }
        if (line.empty())
            continue;
        if (!out.empty())
            out += "; ";
        out += line;
    }
    return out;
}

void add_build_diagnostics(const ConfigFile& config, const CheckOptions& options,
                           std::vector<Diagnostic>& out, std::string& backend)
{
    Diagnostics found;
    ConfigReader reader(config, found);
    BuildOptions build;
    build.config_path = options.config_path;
    build.host_cpus = options.host_cpus;
    build.read_kernel_head = options.read_kernel_head;
    auto spec = build_domain_spec(reader, build);
    if (spec)
        backend = std::string(to_string(spec->backend)) + ": " + spec->backend_reason;
    for (const Diagnostic& d : found.items()) {
        out.push_back(d);
        if (out.back().message.empty())
            out.back().message = strip_location(d.xl_text, config.source);
    }
    if (!spec) {
        const Error& error = spec.error();
        const int line = context_line(error.context, config.source);
        const SourcePos pos = line > 0 ? locate(config, line, error.message) : SourcePos{};
        out.push_back(make(Severity::error, config.source, pos,
                           strip_location(error.message, config.source)));
    }
}

// 3. ------------------------------------------------------------------------------------

bool reported_at(const std::vector<Diagnostic>& found, const SourcePos& pos)
{
    return std::any_of(found.begin(), found.end(), [&](const Diagnostic& d) {
        return d.pos.line == pos.line && d.pos.column == pos.column;
    });
}

// Runs after the builder, whose diagnostics are in `out` already.
void add_key_diagnostics(const ConfigFile& config, const CheckOptions& options, std::vector<Diagnostic>& out)
{
    std::map<std::string_view, const Setting*> earlier;
    for (const Setting& setting : config.settings) {
        const std::string_view key = setting.name;
        const std::string name = quoted(key);
        if (is_global_key(key)) {
            out.push_back(make(Severity::warning, config.source, setting.name_pos,
                               name + " is an xl.conf setting (/etc/xen/xl.conf); in a domain "
                                      "config xl ignores it, and so does uxl"));
            continue;
        }
        if (!is_known_key(key)) {
            std::string message = "unknown key " + name;
            if (auto suggestion = suggest_key(key))
                message += ", did you mean " + quoted(*suggestion) + "?";
            else
                message += "; xl ignores it";
            out.push_back(make(Severity::error, config.source, setting.name_pos, std::move(message)));
            continue;
        }
        // The builder applies `nics' and already says what it did, at the value.
        if (is_xm_only_key(key) && !reported_at(out, setting.value.pos)) {
            out.push_back(make(Severity::warning, config.source, setting.name_pos,
                               "xm-era key " + name + " is not read by xl; " +
                                   std::string(xm_key_advice(key))));
        }
        auto [it, first] = earlier.try_emplace(key, &setting);
        if (first)
            continue;
        // `+=` builds on the earlier value rather than replacing it, and a command-line
        // override is meant to replace it.
        const bool is_override = options.first_override_line > 0 &&
                                 setting.name_pos.line >= options.first_override_line;
        if (!setting.addition && !is_override) {
            out.push_back(make(Severity::warning, config.source, setting.name_pos,
                               name + " is set again here; the earlier value on line " +
                                   std::to_string(it->second->name_pos.line) + " is ignored"));
        }
        it->second = &setting;
    }
}

// 4. ------------------------------------------------------------------------------------

Diagnostics in_file_order(std::vector<Diagnostic> items)
{
    // Diagnostics about the whole file (no line) go last, after the located ones.
    auto key = [](const Diagnostic& d) {
        return std::pair(d.pos.line > 0 ? d.pos.line : INT_MAX, d.pos.column);
    };
    std::stable_sort(items.begin(), items.end(),
                     [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
    Diagnostics out;
    for (Diagnostic& d : items)
        out.add(std::move(d));
    return out;
}

std::string plural(size_t n, std::string_view what)
{
    return std::to_string(n) + " " + std::string(what) + (n == 1 ? "" : "s");
}

}  // namespace

bool CheckReport::clean() const
{
    return diagnostics.empty();
}

std::string CheckReport::render(std::string_view source_text) const
{
    std::string out;
    size_t errors = 0;
    for (const Diagnostic& d : diagnostics.items()) {
        out += render_for_check(d, source_text);
        errors += d.severity == Severity::error ? 1 : 0;
    }
    if (!diagnostics.empty()) {
        const size_t warnings = diagnostics.items().size() - errors;
        out += plural(errors, "error") + ", " + plural(warnings, "warning") + "\n";
    }
    return out;
}

CheckReport check_config(std::string_view text, std::string_view source,
                         const CheckOptions& options)
{
    ParseOutcome parsed = parse_config(text, source);
    std::vector<Diagnostic> found;
    add_parse_diagnostics(parsed.diagnostics, source, found);
    CheckReport report;
    if (parsed.ok())
        add_build_diagnostics(parsed.config, options, found, report.backend);
    add_key_diagnostics(parsed.config, options, found);

    report.diagnostics = in_file_order(std::move(found));
    return report;
}

}  // namespace uxl
