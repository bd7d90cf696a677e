// Diagnostics: what the config reader and the spec builders found wrong or doubtful.
//
// Each diagnostic carries two renderings:
//  - `xl_text`: the exact line xl prints for it (empty when xl says nothing, e.g. for an
//    unknown key, which xl silently ignores); `uxl create` prints these;
//  - `message` + position: for `uxl check`, which shows line, column and a caret.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace uxl {

enum class Severity { error, warning };

struct SourcePos {
    int line = 0;    // 1-based; 0 when unknown
    int column = 0;  // 1-based; 0 when unknown
    int length = 0;  // how many characters the caret underlines (at least one is shown)
};

struct Diagnostic {
    Severity severity = Severity::error;
    std::string source;   // the config file name, as given on the command line
    SourcePos pos;
    std::string message;  // one sentence for `uxl check`
    std::string xl_text;  // xl's exact text, without the trailing newline; may be empty
};

class Diagnostics {
public:
    void add(Diagnostic d) { m_items.push_back(std::move(d)); }
    const std::vector<Diagnostic>& items() const { return m_items; }
    bool has_errors() const;
    bool empty() const { return m_items.empty(); }
    void append(const Diagnostics& other);

    // The lines xl would print for these diagnostics, each ending in "\n".
    std::string xl_report() const;

private:
    std::vector<Diagnostic> m_items;
};

// Renders one diagnostic for `uxl check`:
//   FILE:LINE:COL: error: MESSAGE
//       the source line
//           ^~~~
// `source_text` is the whole file; the line is taken from it when pos.line is known.
std::string render_for_check(const Diagnostic& d, std::string_view source_text);

}  // namespace uxl
