// What `uxl create FILE.xml` needs of a libvirt domain XML without linking libxml2 (which
// would make the statically linked `uxl` twice as big): the XML is turned into an xl config
// by the helper `uxl-xml` (cli/uxl_xml.cc, which links toolstack_xml), each config line
// numbered with the XML line it comes from, and the config is read here as any config is,
// its messages naming the XML's lines. Pure; never throws.
#pragma once

#include "uxl/domain_spec.h"
#include "uxl/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace uxl {

// True when `data` looks like XML rather than an xl config: its first non-blank character
// (after a UTF-8 BOM) is '<' (a config file never starts with one).
bool looks_like_xml(std::string_view data);

// An xl config made from a document: line N of `text` comes from line source_lines[N - 1]
// of that document (0: unknown).
struct XmlConfig {
    std::string text;
    std::vector<int> source_lines;
};

// The numbered form uxl-xml prints: per config line "XMLLINE<TAB>LINE\n". The config lines
// hold no newline (one setting each).
std::string numbered_config(const XmlConfig& config);
Result<XmlConfig> parse_numbered_config(std::string_view numbered);

// The domain of such a config, read by parse_config and build_domain_spec; their warnings
// and the error name "SOURCE:XMLLINE: ...". Warnings are appended to `warnings`.
Result<DomainSpec> domain_spec_from_xml_config(const XmlConfig& config, std::string_view source,
                                               const BuildOptions& options,
                                               std::vector<std::string>& warnings);

}  // namespace uxl
