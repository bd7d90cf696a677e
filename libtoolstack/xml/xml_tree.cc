// parse_xml_tree: libxml2 under limits (see xml_tree.h), its DOM copied into XmlElement.
//
//   1. check the size and look for NUL bytes;
//   2. parse with a private context whose SAX internalSubset handler stops the parser, so a
//      DOCTYPE never gets as far as declaring an entity;
//   3. copy the elements into the tree, refusing depth beyond the limit as we go.
#include "xml_tree.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <memory>

namespace uxl {
namespace {

struct ParseState {
    bool saw_doctype = false;
};

// SAX internalSubset: called at "<!DOCTYPE name [" before anything inside is read.
void refuse_internal_subset(void* context, const xmlChar*, const xmlChar*, const xmlChar*)
{
    auto* ctxt = static_cast<xmlParserCtxtPtr>(context);
    static_cast<ParseState*>(ctxt->_private)->saw_doctype = true;
    xmlStopParser(ctxt);
}

struct ContextFree {
    void operator()(xmlParserCtxtPtr ctxt) const { xmlFreeParserCtxt(ctxt); }
};
struct DocFree {
    void operator()(xmlDocPtr doc) const { xmlFreeDoc(doc); }
};

std::string where(std::string_view source, long line)
{
    std::string out(source);
    if (line > 0)
        out += ":" + std::to_string(line);
    return out;
}

std::string qualified_name(const xmlNode* node)
{
    std::string name = reinterpret_cast<const char*>(node->name);
    if (node->ns && node->ns->prefix)
        name = reinterpret_cast<const char*>(node->ns->prefix) + (":" + name);
    return name;
}

Result<void> copy_element(const xmlNode* node, XmlElement& out, int depth, std::string_view source,
                          const XmlLimits& limits)
{
    out.name = qualified_name(node);
    out.line = static_cast<int>(xmlGetLineNo(node));
    if (depth > limits.max_depth)
        return fail(Errc::invalid_argument,
                    where(source, out.line) + ": <" + out.name + "> is nested more than " +
                        std::to_string(limits.max_depth) + " elements deep");
    for (const xmlAttr* attr = node->properties; attr; attr = attr->next) {
        std::string value;
        if (xmlChar* text = xmlNodeListGetString(node->doc, attr->children, 1)) {
            value = reinterpret_cast<const char*>(text);
            xmlFree(text);
        }
        std::string name = reinterpret_cast<const char*>(attr->name);
        if (attr->ns && attr->ns->prefix)
            name = reinterpret_cast<const char*>(attr->ns->prefix) + (":" + name);
        out.attributes.emplace_back(std::move(name), std::move(value));
    }
    for (const xmlNode* child = node->children; child; child = child->next) {
        if (child->type == XML_ELEMENT_NODE) {
            out.children.emplace_back();
            UXL_TRY(copy_element(child, out.children.back(), depth + 1, source, limits));
        } else if (child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) {
            if (child->content)
                out.text += reinterpret_cast<const char*>(child->content);
        } else if (child->type == XML_ENTITY_REF_NODE) {
            // Only the predefined entities exist without a DTD, and libxml2 substitutes
            // those itself; anything else is an undeclared entity.
            return fail(Errc::invalid_argument, where(source, xmlGetLineNo(child)) +
                                                    ": entity references are not supported");
        }
    }
    return {};
}

void append_escaped(std::string& out, std::string_view text, bool attribute)
{
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '\'': out += attribute ? "&apos;" : "'"; break;
        case '"': out += attribute ? "&quot;" : "\""; break;
        default: out += c;
        }
    }
}

void append_element(std::string& out, const XmlElement& element, int depth)
{
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
    out += "<" + element.name;
    for (const auto& [key, value] : element.attributes) {
        out += " " + key + "='";
        append_escaped(out, value, true);
        out += "'";
    }
    if (element.children.empty() && element.text.empty()) {
        out += "/>\n";
        return;
    }
    out += ">";
    if (element.children.empty()) {
        append_escaped(out, element.text, false);
    } else {
        out += "\n";
        for (const XmlElement& child : element.children)
            append_element(out, child, depth + 1);
        out.append(static_cast<std::size_t>(depth) * 2, ' ');
    }
    out += "</" + element.name + ">\n";
}

}  // namespace

const std::string* XmlElement::attribute(std::string_view key) const
{
    for (const auto& [name, value] : attributes)
        if (name == key)
            return &value;
    return nullptr;
}

const XmlElement* XmlElement::child(std::string_view child_name) const
{
    for (const XmlElement& element : children)
        if (element.name == child_name)
            return &element;
    return nullptr;
}

Result<XmlElement> parse_xml_tree(std::string_view text, std::string_view source, const XmlLimits& limits)
{
    // 1. Size and NUL bytes.
    if (text.size() > limits.max_bytes)
        return fail(Errc::invalid_argument, std::string(source) + ": the XML is " + std::to_string(text.size()) +
                                                " bytes long, more than the " +
                                                std::to_string(limits.max_bytes) + " accepted");
    if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
        const long line = 1 + static_cast<long>(std::count(text.begin(), text.begin() + static_cast<long>(nul), '\n'));
        return fail(Errc::invalid_argument,
                    where(source, line) + ": a NUL byte: expected UTF-8 XML text");
    }

    // 2. Parse.
    std::unique_ptr<xmlParserCtxt, ContextFree> ctxt(xmlNewParserCtxt());
    if (!ctxt || !ctxt->sax)
        return fail(Errc::internal, "libxml2 could not make a parser context");
    ParseState state;
    ctxt->_private = &state;
    ctxt->sax->internalSubset = refuse_internal_subset;
    const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                        XML_PARSE_IGNORE_ENC | XML_PARSE_BIG_LINES;
    const std::string url(source);
    std::unique_ptr<xmlDoc, DocFree> doc(xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()),
                                                           url.c_str(), "UTF-8", options));
    if (state.saw_doctype)
        return fail(Errc::invalid_argument,
                    where(source, ctxt->input ? ctxt->input->line : 0) +
                        ": <!DOCTYPE> is not supported (a domain XML has no document type)");
    if (!doc || !ctxt->wellFormed) {
        const xmlError* error = xmlCtxtGetLastError(ctxt.get());
        std::string message = error && error->message ? error->message : "not well-formed";
        while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
            message.pop_back();
        return fail(Errc::invalid_argument,
                    where(source, error ? error->line : 0) + ": XML parse error: " + message);
    }
    const xmlNode* root = xmlDocGetRootElement(doc.get());
    if (!root)
        return fail(Errc::invalid_argument, std::string(source) + ": no root element");

    // 3. Copy.
    XmlElement tree;
    UXL_TRY(copy_element(root, tree, 1, source, limits));
    return tree;
}

std::string xml_tree_to_string(const XmlElement& root)
{
    std::string out;
    append_element(out, root, 0);
    return out;
}

}  // namespace uxl
