// A small re-implementation of yajl_gen's beautified output (yajl 2.x), because libxl's
// JSON layout is a contract that scripts (xendomains, check-xl-*-parse) depend on.
//
// yajl's rules, reproduced here:
//   1. map/array open prints the bracket and a newline;
//   2. each element is preceded by "," + newline when it is not the first, then indent;
//   3. a map key is followed by ": " and its value is printed without indent;
//   4. close prints a newline, the parent's indent, then the bracket — so an empty
//      container comes out as "{\n\n<indent>}";
//   5. the top-level value ends with a newline.
#include "yajl_writer.h"

#include <cstdio>

namespace uxl::detail {
namespace {

void append_indent(std::string& out, int depth)
{
    out.append(static_cast<size_t>(depth) * 4, ' ');
}

// yajl_string_encode without escape_solidus: only '"', '\\' and control characters are
// escaped; bytes >= 0x80 pass through unchanged.
void append_string(std::string& out, const std::string& s)
{
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04X", c);
                out += buf;
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
    }
    out.push_back('"');
}

void append_value(std::string& out, const OrderedJson& value, int depth)
{
    switch (value.type()) {
    case OrderedJson::value_t::object: {
        out += "{\n";
        bool first = true;
        for (const auto& [key, member] : value.items()) {
            if (!first)
                out += ",\n";
            first = false;
            append_indent(out, depth + 1);
            append_string(out, key);
            out += ": ";
            append_value(out, member, depth + 1);
        }
        out += "\n";
        append_indent(out, depth);
        out += "}";
        break;
    }
    case OrderedJson::value_t::array: {
        out += "[\n";
        bool first = true;
        for (const auto& element : value) {
            if (!first)
                out += ",\n";
            first = false;
            append_indent(out, depth + 1);
            append_value(out, element, depth + 1);
        }
        out += "\n";
        append_indent(out, depth);
        out += "]";
        break;
    }
    case OrderedJson::value_t::string:
        append_string(out, value.get_ref<const std::string&>());
        break;
    case OrderedJson::value_t::boolean:
        out += value.get<bool>() ? "true" : "false";
        break;
    case OrderedJson::value_t::number_integer:
        out += std::to_string(value.get<long long>());
        break;
    case OrderedJson::value_t::number_unsigned:
        out += std::to_string(value.get<unsigned long long>());
        break;
    case OrderedJson::value_t::number_float: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", value.get<double>());
        out += buf;
        break;
    }
    case OrderedJson::value_t::null:
    case OrderedJson::value_t::discarded:
    case OrderedJson::value_t::binary:
        out += "null";
        break;
    }
}

}  // namespace

std::string to_yajl(const OrderedJson& value)
{
    std::string out;
    append_value(out, value, 0);
    out += "\n";
    return out;
}

}  // namespace uxl::detail
