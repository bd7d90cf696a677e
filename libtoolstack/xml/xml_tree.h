// XmlElement: an XML document as a plain tree of elements, read with libxml2 under the
// limits that make hostile input harmless. The rest of libtoolstack works on this tree, so
// libxml2's headers stay in xml_tree.cc.
//
// What parse_xml_tree() refuses, before or while libxml2 reads the text:
//   1. input over XmlLimits::max_bytes, or holding a NUL byte (so UTF-16 input, whose
//      encoding libxml2 would detect and switch to, cannot hide markup from us);
//   2. any document type declaration: the internal subset stops the parser at once, so no
//      entity is ever declared, let alone expanded (no billion laughs, no external entity);
//   3. elements nested deeper than XmlLimits::max_depth.
// libxml2 reads with XML_PARSE_NONET (no network), without XML_PARSE_NOENT (no entity
// substitution), XML_PARSE_DTDLOAD (no external subset) or XML_PARSE_HUGE (its own size
// limits stay on), and with XML_PARSE_IGNORE_ENC (the text is UTF-8, whatever it declares).
// libxml2 2.9.14 (Debian 12) has no XML_PARSE_NO_XXE; point 2 covers what it would.
#pragma once

#include "uxl/result.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uxl {

struct XmlElement {
    std::string name;  // the qualified name as written (prefix:local)
    std::vector<std::pair<std::string, std::string>> attributes;  // in document order
    std::vector<XmlElement> children;  // the child elements, in order
    std::string text;  // the element's own text (text and CDATA children joined)
    int line = 0;      // where its start tag is

    // The attribute's value, or nullptr.
    const std::string* attribute(std::string_view key) const;
    // The first child element of that name, or nullptr.
    const XmlElement* child(std::string_view child_name) const;
};

struct XmlLimits {
    std::size_t max_bytes = 1 << 20;  // libvirt's own domain XMLs are a few KiB
    int max_depth = 32;               // a domain XML is at most 6 levels deep
};

// Parses `text`; `source` names the file in error messages, whose text says where and what
// ("domain.xml:3: XML parse error: ..."). Pure; never throws.
Result<XmlElement> parse_xml_tree(std::string_view text, std::string_view source,
                                  const XmlLimits& limits = {});

// The tree as XML text, two spaces of indent per level, attributes in single quotes as
// libvirt writes them; ends in "\n".
std::string xml_tree_to_string(const XmlElement& root);

}  // namespace uxl
