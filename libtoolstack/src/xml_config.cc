// A config made from a libvirt domain XML, read with the XML's line numbers (uxl/xml_config.h).
#include "uxl/xml_config.h"

#include "uxl/config_file.h"
#include "uxl/config_reader.h"

#include <cstdlib>

namespace uxl {
namespace {

// "FILE:LINE", or "FILE" for a config line the XML has no line for.
std::string line_of(std::string_view source, int line)
{
    return line > 0 ? std::string(source) + ":" + std::to_string(line) : std::string(source);
}

// The message without a leading "SOURCE:LINE: " (the config's line, not the XML's).
std::string without_location(const std::string& message, std::string_view source)
{
    const std::string prefix = std::string(source) + ":";
    if (!message.starts_with(prefix))
        return message;
    const auto digits_end = message.find_first_not_of("0123456789", prefix.size());
    if (digits_end == prefix.size() || digits_end == std::string::npos || message.compare(digits_end, 2, ": ") != 0)
        return message;
    return message.substr(digits_end + 2);
}

}  // namespace

bool looks_like_xml(std::string_view data)
{
    if (data.starts_with("\xEF\xBB\xBF"))
        data.remove_prefix(3);
    const auto first = data.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && data[first] == '<';
}

std::string numbered_config(const XmlConfig& config)
{
    std::string out;
    std::size_t index = 0;
    std::string_view rest = config.text;
    while (!rest.empty()) {
        const auto end = rest.find('\n');
        const std::string_view line = rest.substr(0, end);
        const int source_line = index < config.source_lines.size() ? config.source_lines[index] : 0;
        out += std::to_string(source_line);
        out += '\t';
        out += line;
        out += '\n';
        ++index;
        if (end == std::string_view::npos)
            break;
        rest.remove_prefix(end + 1);
    }
    return out;
}

Result<XmlConfig> parse_numbered_config(std::string_view numbered)
{
    XmlConfig out;
    while (!numbered.empty()) {
        const auto end = numbered.find('\n');
        const std::string_view line = numbered.substr(0, end);
        const auto tab = line.find('\t');
        if (tab == std::string_view::npos || tab == 0 || tab > 9 ||
            line.substr(0, tab).find_first_not_of("0123456789") != std::string_view::npos)
            return fail(Errc::invalid_argument, "malformed numbered config line from uxl-xml");
        out.source_lines.push_back(std::atoi(std::string(line.substr(0, tab)).c_str()));
        out.text += line.substr(tab + 1);
        out.text += '\n';
        if (end == std::string_view::npos)
            break;
        numbered.remove_prefix(end + 1);
    }
    return out;
}

Result<DomainSpec> domain_spec_from_xml_config(const XmlConfig& config, std::string_view source,
                                               const BuildOptions& options, std::vector<std::string>& warnings)
{
    // The config's line N came from the XML's line source_lines[N - 1].
    auto xml_line = [&](int cfg_line) {
        return cfg_line >= 1 && cfg_line <= static_cast<int>(config.source_lines.size())
                   ? config.source_lines[static_cast<std::size_t>(cfg_line - 1)]
                   : 0;
    };
    ParseOutcome outcome = parse_config(config.text, source);
    if (!outcome.ok()) {
        const Diagnostic* first = outcome.diagnostics.items().empty() ? nullptr : &outcome.diagnostics.items().front();
        return fail(Errc::invalid_argument,
                    line_of(source, first ? xml_line(first->pos.line) : 0) + ": " +
                        (first ? first->message : std::string("the XML makes no valid config")),
                    std::string(source));
    }
    Diagnostics diagnostics;
    ConfigReader reader(outcome.config, diagnostics);
    BuildOptions build = options;
    build.config_path = std::string(source);
    Result<DomainSpec> spec = build_domain_spec(reader, build);
    // The message, not xl's text: that names the config's own line, which is not the XML's.
    for (const Diagnostic& d : diagnostics.items())
        warnings.push_back(line_of(source, xml_line(d.pos.line)) + ": " + (d.message.empty() ? d.xl_text : d.message));
    if (!spec) {
        int line = 0;
        const std::string& context = spec.error().context;
        if (const auto colon = context.rfind(':'); colon != std::string::npos)
            line = xml_line(std::atoi(context.c_str() + colon + 1));
        return fail(spec.error().code, line_of(source, line) + ": " + without_location(spec.error().message, source), std::string(source));
    }
    return spec;
}

}  // namespace uxl
