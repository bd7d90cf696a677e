#include "uxl/diagnostic.h"

#include <algorithm>

namespace uxl {

bool Diagnostics::has_errors() const
{
    return std::any_of(m_items.begin(), m_items.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

void Diagnostics::append(const Diagnostics& other)
{
    m_items.insert(m_items.end(), other.m_items.begin(), other.m_items.end());
}

std::string Diagnostics::xl_report() const
{
    std::string out;
    for (const auto& d : m_items) {
        if (d.xl_text.empty())
            continue;
        out += d.xl_text;
        out += '\n';
    }
    return out;
}

namespace {

std::string_view nth_line(std::string_view text, int line)
{
    size_t start = 0;
    for (int i = 1; i < line; ++i) {
        size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos)
            return {};
        start = nl + 1;
    }
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
        end = text.size();
    std::string_view result = text.substr(start, end - start);
    if (!result.empty() && result.back() == '\r')
        result.remove_suffix(1);
    return result;
}

}  // namespace

std::string render_for_check(const Diagnostic& d, std::string_view source_text)
{
    std::string out = d.source;
    if (d.pos.line > 0) {
        out += ':' + std::to_string(d.pos.line);
        if (d.pos.column > 0)
            out += ':' + std::to_string(d.pos.column);
    }
    out += d.severity == Severity::error ? ": error: " : ": warning: ";
    out += d.message;
    out += '\n';
    if (d.pos.line <= 0)
        return out;
    std::string_view line = nth_line(source_text, d.pos.line);
    if (line.empty() && d.pos.column <= 1)
        return out;
    // Tabs are kept in the caret line so that the caret lines up under the source.
    out += "    ";
    for (unsigned char c : line)
        out += (c < 0x20 && c != '\t') ? '?' : static_cast<char>(c);
    out += '\n';
    if (d.pos.column > 0) {
        out += "    ";
        int col = std::min<int>(d.pos.column, static_cast<int>(line.size()) + 1);
        for (int i = 1; i < col; ++i)
            out += line[static_cast<size_t>(i - 1)] == '\t' ? '\t' : ' ';
        out += '^';
        for (int i = 1; i < d.pos.length; ++i)
            out += '~';
        out += '\n';
    }
    return out;
}

}  // namespace uxl
