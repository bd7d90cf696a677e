// The public face of the libvirt XML code (uxl/libvirt_xml.h): parse, convert, print.
//
// XML in:  parse_xml_tree → import_domain (settings of an xl config) → [parse_config →
//          build_domain_spec, for create].
// XML out: [parse_config → build_domain_spec, plus the Xen-only keys] → export_domain →
//          xml_tree_to_string.
#include "uxl/libvirt_xml.h"

#include "libvirt_xml_export.h"
#include "uxl/config_file.h"
#include "uxl/config_reader.h"
#include "uxl/xml_config.h"

#include <algorithm>
#include <cstdlib>

namespace uxl {
namespace {

// Keys a DomainSpec does not hold but the XML shows (libvirt_xml_export.cc reads them).
constexpr std::string_view k_extra_keys[] = {
    "device_model_override", "viridian", "hap", "nestedhvm", "passthrough", "e820_host",
    "tsc_mode", "parallel", "bios_path_override", "backend", "cpus", "max_grant_frames", "max_event_channels",
};
// Keys the XML has no place for but which say nothing a DomainSpec lacks: xm's HVM
// `builder`, and the `vfb` of a PV guest (read below).
constexpr std::string_view k_consumed_keys[] = {"builder", "vfb", "device_model", "device_model_version"};

std::string line_of(std::string_view source, int line)
{
    return std::string(source) + ":" + std::to_string(line);
}

}  // namespace

std::optional<NativeFormat> parse_native_format(std::string_view name)
{
    if (name == "xen-xl")
        return NativeFormat::xen_xl;
    if (name == "xen-xm")
        return NativeFormat::xen_xm;
    return std::nullopt;
}

Result<XmlConversion> libvirt_xml_to_native(std::string_view xml, std::string_view source, NativeFormat format)
{
    XmlElement tree = UXL_TRY(parse_xml_tree(xml, source));
    libvirt::NativeConfig config = UXL_TRY(libvirt::import_domain(tree, source, format));
    return XmlConversion{config.text(), std::move(config.warnings)};
}

Result<XmlConversion> native_to_libvirt_xml(std::string_view text, std::string_view source, NativeFormat format,
                                            const BuildOptions& options)
{
    ParseOutcome outcome = parse_config(text, source);
    if (!outcome.ok()) {
        std::string report = outcome.diagnostics.xl_report();
        while (!report.empty() && report.back() == '\n')
            report.pop_back();
        return fail(Errc::invalid_argument, report.empty() ? "Failed to parse config: Invalid argument" : report,
                    std::string(source));
    }
    Diagnostics diagnostics;
    ConfigReader reader(outcome.config, diagnostics);
    DomainSpec spec = UXL_TRY(build_domain_spec(reader, options));

    XmlConversion out;
    for (const Diagnostic& d : diagnostics.items())
        if (!d.xl_text.empty())
            out.warnings.push_back(d.xl_text);
    libvirt::ConfigExtras extras;
    extras.from_config = true;
    for (std::string_view key : k_extra_keys)
        if (const Setting* setting = outcome.config.find(key); setting && setting->value.is_string())
            extras.values[std::string(key)] = setting->value.text;
    if (auto it = extras.values.find("cpus"); it != extras.values.end())
        extras.cpus = it->second;
    if (const Setting* vfb = outcome.config.find("vfb"); vfb && vfb->value.is_list())
        for (const ConfigValue& item : vfb->value.items)
            extras.vfb.push_back(item.text);
    if (const Setting* disks = outcome.config.find("disk"); disks && disks->value.is_list())
        for (const ConfigValue& item : disks->value.items)
            extras.disks.push_back(item.text);
    if (const Setting* vifs = outcome.config.find("vif"); vifs && vifs->value.is_list())
        for (const ConfigValue& item : vifs->value.items)
            extras.vifs.push_back(item.text);
    extras.on_crash_given = outcome.config.find("on_crash") != nullptr;
    // What neither the spec nor the extras took is said, never dropped silently.
    for (const Setting& setting : outcome.config.settings) {
        const std::string_view key = setting.name;
        const bool taken = reader.used_keys().contains(key) ||
                           std::find(std::begin(k_extra_keys), std::end(k_extra_keys), key) != std::end(k_extra_keys) ||
                           std::find(std::begin(k_consumed_keys), std::end(k_consumed_keys), key) != std::end(k_consumed_keys);
        if (!taken)
            out.warnings.push_back(line_of(source, setting.line) + ": " + setting.name +
                                   ": uxl has no libvirt XML for it; dropped");
    }
    out.text = xml_tree_to_string(libvirt::export_domain(spec, extras, format));
    return out;
}

Result<XmlConfig> libvirt_xml_to_xml_config(std::string_view xml, std::string_view source,
                                            std::vector<std::string>& warnings)
{
    XmlElement tree = UXL_TRY(parse_xml_tree(xml, source));
    libvirt::NativeConfig config = UXL_TRY(libvirt::import_domain(tree, source, NativeFormat::xen_xl));
    warnings.insert(warnings.end(), config.warnings.begin(), config.warnings.end());
    XmlConfig out;
    out.text = config.text();
    for (const libvirt::NativeSetting& setting : config.settings)
        out.source_lines.push_back(setting.xml_line);
    return out;
}

Result<DomainSpec> domain_spec_from_libvirt_xml(std::string_view xml, std::string_view source,
                                                const BuildOptions& options, std::vector<std::string>& warnings)
{
    XmlConfig config = UXL_TRY(libvirt_xml_to_xml_config(xml, source, warnings));
    return domain_spec_from_xml_config(config, source, options, warnings);
}

std::string domain_spec_to_libvirt_xml(const DomainSpec& spec)
{
    return xml_tree_to_string(libvirt::export_domain(spec, {}, NativeFormat::xen_xl));
}

}  // namespace uxl
