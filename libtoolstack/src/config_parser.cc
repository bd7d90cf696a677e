// The xl config parser: a lexer and an LR(1) parser that behave like xl's flex scanner
// and bison parser (libxlu_cfg_l.l, libxlu_cfg_y.y), down to the error texts.
//
// How a buffer is read:
//   1. The lexer hands out tokens on demand. A character no token can start (an upper-case
//      letter, `$`, a CR, `.`, ...) switches it to an error state that swallows the rest of
//      the non-blank run and reports "lexical error" for that line; no token is produced
//      for the run (a newline ending it still comes out as NEWLINE, so recovery works).
//   2. The parser is the LALR(1) automaton of xl's grammar (reference §1.2), written out
//      by hand below: per state, the explicit token actions, a default reduction, and the
//      gotos. Bison lists the explicit tokens of the state where an error is detected as
//      "expecting ..."; so do we.
//   3. On a syntax error the parser recovers as bison does: it pops back to the statement
//      level, shifts `error`, discards tokens up to a NEWLINE and carries on, staying
//      silent for the next few tokens (bison's yyerrstatus) and for lines where the lexer
//      already complained. So each bad line reports once, and later lines still report.
//   4. Each completed assignment is stored; `+=` adds to the earlier setting.
//
// After the first error xl stores nothing more (the parse has failed anyway); we keep
// storing so that `uxl check` can look at the keys of the whole file, but we only report
// what xl reports.
#include "uxl/config_file.h"

#include <array>
#include <cstring>
#include <optional>
#include <utility>

namespace uxl {
namespace {

// Terminal symbols, in bison's symbol order (this order is visible in "expecting" lists).
enum Sym : int {
    s_end = 0,
    s_error = 1,
    s_ident = 3,
    s_string = 4,
    s_number = 5,
    s_newline = 6,
    s_add = 7,     // "+="
    s_assign = 8,  // '='
    s_semi = 9,    // ';'
    s_lbrack = 10, // '['
    s_rbrack = 11, // ']'
    s_comma = 12,  // ','
};

const char* symbol_name(int sym)
{
    switch (sym) {
    case s_end: return "$end";
    case s_error: return "error";
    case s_ident: return "IDENT";
    case s_string: return "STRING";
    case s_number: return "NUMBER";
    case s_newline: return "NEWLINE";
    case s_add: return "+=";
    case s_assign: return "'='";
    case s_semi: return "';'";
    case s_lbrack: return "'['";
    case s_rbrack: return "']'";
    case s_comma: return "','";
    }
    return "$undefined";
}

struct Token {
    int sym = s_end;
    std::string text;   // the raw text the scanner matched (yytext)
    std::string value;  // IDENT/NUMBER text, or the dequoted STRING
    int line = 0;       // bison location first_line, as xl's scanner sets it
    int column = 0;     // 1-based column of the first character (for `uxl check`)
    int length = 0;
};

// State shared by the lexer and the parser: xl's CfgParseContext.
struct ParseContext {
    std::string_view source;
    Diagnostics diagnostics;
    bool err = false;            // ctx->err: something failed; the parse will fail
    int lexerr_lineno = -1;      // last line on which the lexer reported an error
    bool likely_python = false;

    // xlu__cfg_yyerror: reports `message` near `text`, unless the lexer already reported
    // an error on this line.
    void report(int line, std::string_view text, const std::string& message, int column)
    {
        int lineno = line;
        if (lineno <= lexerr_lineno)
            return;
        size_t len = text.size();
        const char* newline = "";
        if (len > 0 && text[len - 1] == '\n') {
            --len;
            --lineno;
            if (len == 0)
                newline = "<newline>";
        }
        while (len > 0 && (text[len - 1] == '\t' || text[len - 1] == ' '))
            --len;
        // printf's %.*s stops at a NUL byte; so does xl's message.
        std::string_view shown = text.substr(0, len);
        if (size_t nul = shown.find('\0'); nul != std::string_view::npos)
            shown = shown.substr(0, nul);

        std::string xl = std::string(source) + ":" + std::to_string(lineno) +
                         ": config parsing error near ";
        if (len > 0)
            xl += "`" + std::string(shown) + "'";
        xl += newline;
        xl += ": " + message;

        Diagnostic d;
        d.severity = Severity::error;
        d.source = std::string(source);
        d.pos = SourcePos{lineno > 0 ? lineno : 1, column, static_cast<int>(shown.size())};
        d.message = message;
        if (len > 0)
            d.message += " (near `" + std::string(shown) + "')";
        d.xl_text = std::move(xl);
        diagnostics.add(std::move(d));
        err = true;
    }
};

// The scanner. Mirrors xl's flex rules (reference §1.1).
class Lexer {
public:
    Lexer(std::string_view data, ParseContext& ctx) : m_data(data), m_ctx(ctx) {}

    Token next()
    {
        for (;;) {
            if (m_pos >= m_data.size()) {
                if (m_in_error) {
                    // A bad run that reaches the end of the file: report it like any other.
                    finish_error_run(/*with_newline=*/false);
                }
                Token t;
                t.sym = s_end;
                t.text = std::string(1, '\0');  // flex's yytext at end of input
                t.line = m_last_line;
                t.column = column_of(m_pos);
                m_last_text = t.text;
                return t;
            }
            if (m_in_error) {
                // <lexerr>[^ \t\n]* followed by a blank, or by a newline.
                while (m_pos < m_data.size() && !is_blank(m_data[m_pos]) && m_data[m_pos] != '\n')
                    ++m_pos;
                if (m_pos >= m_data.size())
                    continue;  // handled at the top
                if (m_data[m_pos] == '\n') {
                    ++m_pos;
                    ++m_lineno;
                    m_line_start = m_pos;
                    finish_error_run(/*with_newline=*/true);
                    Token t;
                    t.sym = s_newline;
                    t.text = m_last_text;
                    t.line = m_lineno;
                    t.column = m_error_column;
                    m_last_line = t.line;
                    return t;
                }
                finish_error_run(/*with_newline=*/false);
                continue;
            }

            const size_t start = m_pos;
            const char c = m_data[m_pos];
            if (is_blank(c)) {
                ++m_pos;
                continue;
            }
            if (c == '\n') {
                ++m_pos;
                ++m_lineno;
                m_line_start = m_pos;
                return newline_token(start);
            }
            if (c == '#') {
                size_t nl = m_data.find('\n', m_pos);
                if (nl != std::string_view::npos) {
                    m_pos = nl + 1;
                    ++m_lineno;
                    int column = column_of(start);
                    m_line_start = m_pos;
                    Token t = newline_token(start);
                    t.column = column;
                    return t;
                }
                start_error_run(start, /*python=*/false);  // a comment must end with \n
                continue;
            }
            if (c >= 'a' && c <= 'z') {
                ++m_pos;
                while (m_pos < m_data.size() && is_ident_char(m_data[m_pos]))
                    ++m_pos;
                return simple_token(s_ident, start, true);
            }
            if (c >= '0' && c <= '9') {
                ++m_pos;
                while (m_pos < m_data.size() && is_number_char(m_data[m_pos]))
                    ++m_pos;
                return simple_token(s_number, start, true);
            }
            switch (c) {
            case ',': ++m_pos; return simple_token(s_comma, start, false);
            case '[': ++m_pos; return simple_token(s_lbrack, start, false);
            case ']': ++m_pos; return simple_token(s_rbrack, start, false);
            case '=': ++m_pos; return simple_token(s_assign, start, false);
            case ';': ++m_pos; return simple_token(s_semi, start, false);
            case '+':
                if (m_pos + 1 < m_data.size() && m_data[m_pos + 1] == '=') {
                    m_pos += 2;
                    return simple_token(s_add, start, false);
                }
                break;
            case '\'':
            case '"':
                if (auto end = match_string(m_pos)) {
                    m_pos = *end;
                    Token t = simple_token(s_string, start, false);
                    t.value = dequote(t.text);
                    return t;
                }
                break;
            default:
                break;
            }
            // `[+-.():]`: the characters of Python expressions (the class includes ',' but
            // that is matched above).
            const bool python = c == '+' || c == '-' || c == '.' || c == '(' || c == ')' || c == ':';
            start_error_run(start, python);
        }
    }

    int lineno() const { return m_lineno; }
    const std::string& last_text() const { return m_last_text; }

    // xlu__cfgl_lexicalerror: an error at the scanner's current line, near the last text.
    void lexical_error(const std::string& message, int column)
    {
        int line = m_lineno;
        m_ctx.report(line, m_last_text, message, column);
        m_ctx.lexerr_lineno = line;
        m_ctx.err = true;
    }

private:
    static bool is_blank(char c) { return c == ' ' || c == '\t'; }
    static bool is_ident_char(char c)
    {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
    }
    static bool is_number_char(char c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == 'x';
    }

    int column_of(size_t pos) const { return static_cast<int>(pos - m_line_start) + 1; }

    Token simple_token(int sym, size_t start, bool keep_value)
    {
        Token t;
        t.sym = sym;
        t.text = std::string(m_data.substr(start, m_pos - start));
        if (keep_value)
            t.value = t.text;
        t.line = m_lineno;
        t.column = column_of(start);
        t.length = static_cast<int>(m_pos - start);
        m_last_text = t.text;
        m_last_line = t.line;
        return t;
    }

    Token newline_token(size_t start)
    {
        Token t;
        t.sym = s_newline;
        t.text = std::string(m_data.substr(start, m_pos - start));
        t.line = m_lineno - 1;
        // The newline belongs to the line it ends; point at its end.
        t.column = 0;
        m_last_text = t.text;
        m_last_line = t.line;
        return t;
    }

    // '([^'\\\n]|\\.)*' or the same with double quotes; returns the end offset.
    std::optional<size_t> match_string(size_t pos) const
    {
        const char quote = m_data[pos];
        size_t i = pos + 1;
        while (i < m_data.size()) {
            char c = m_data[i];
            if (c == quote)
                return i + 1;
            if (c == '\n')
                return std::nullopt;
            if (c == '\\') {
                if (i + 1 >= m_data.size() || m_data[i + 1] == '\n')
                    return std::nullopt;
                i += 2;
                continue;
            }
            ++i;
        }
        return std::nullopt;
    }

    // xlu__cfgl_dequote. The C escapes of xl are supported. Numeric escapes are broken in
    // xl (a hex escape always fails; an octal one is silently dropped); we refuse both with
    // xl's texts, so that a string never silently loses characters.
    std::string dequote(const std::string& raw)
    {
        std::string out;
        const int column = column_of(m_pos - raw.size());
        for (size_t i = 1; i + 1 < raw.size(); ++i) {
            char c = raw[i];
            if (c != '\\') {
                out += c;
                continue;
            }
            char nc = raw[++i];
            switch (nc) {
            case '"': case '\'': case '\\': out += nc; break;
            case 'a': out += '\a'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'v': out += '\v'; break;
            case 'x':
                lexical_error("invalid digit after backslash hexnumerical character escape in quoted string",
                              column);
                return out;
            default:
                if (nc >= '0' && nc <= '7') {
                    lexical_error("invalid digit after backslash octalnumerical character escape in quoted string",
                                  column);
                } else {
                    lexical_error("invalid character after backlash in quoted string", column);
                }
                return out;
            }
        }
        return out;
    }

    void start_error_run(size_t start, bool python)
    {
        if (python)
            m_ctx.likely_python = true;
        m_in_error = true;
        m_error_start = start;
        m_error_column = column_of(start);
        m_pos = start + 1;
    }

    void finish_error_run(bool with_newline)
    {
        m_in_error = false;
        m_last_text = std::string(m_data.substr(m_error_start, m_pos - m_error_start));
        (void)with_newline;
        lexical_error("lexical error", m_error_column);
    }

    std::string_view m_data;
    ParseContext& m_ctx;
    size_t m_pos = 0;
    size_t m_line_start = 0;
    int m_lineno = 1;
    int m_last_line = 1;
    bool m_in_error = false;
    size_t m_error_start = 0;
    int m_error_column = 0;
    std::string m_last_text;
};

// ---- The automaton ------------------------------------------------------------------

enum Nonterminal { n_file, n_stmts, n_stmt, n_assignment, n_endstmt, n_value, n_atom, n_valuelist, n_values, n_nlok };

struct Rule {
    Nonterminal lhs;
    int length;
};

// Rules of xl's grammar, numbered as bison numbers them (0 is $accept).
constexpr std::array<Rule, 23> k_rules = {{
    {n_file, 2},        // 0  $accept: file $end
    {n_file, 1},        // 1  file: stmts
    {n_file, 2},        // 2  file: stmts assignment
    {n_stmts, 0},       // 3  stmts: %empty
    {n_stmts, 2},       // 4  stmts: stmts stmt
    {n_stmt, 2},        // 5  stmt: assignment endstmt
    {n_stmt, 1},        // 6  stmt: endstmt
    {n_stmt, 2},        // 7  stmt: error NEWLINE
    {n_assignment, 3},  // 8  assignment: IDENT '=' value
    {n_assignment, 3},  // 9  assignment: IDENT "+=" value
    {n_endstmt, 1},     // 10 endstmt: NEWLINE
    {n_endstmt, 1},     // 11 endstmt: ';'
    {n_value, 1},       // 12 value: atom
    {n_value, 4},       // 13 value: '[' nlok valuelist ']'
    {n_atom, 1},        // 14 atom: STRING
    {n_atom, 1},        // 15 atom: NUMBER
    {n_valuelist, 0},   // 16 valuelist: %empty
    {n_valuelist, 1},   // 17 valuelist: values
    {n_valuelist, 3},   // 18 valuelist: values ',' nlok
    {n_values, 2},      // 19 values: value nlok
    {n_values, 5},      // 20 values: values ',' nlok value nlok
    {n_nlok, 0},        // 21 nlok: %empty
    {n_nlok, 2},        // 22 nlok: nlok NEWLINE
}};

struct Action {
    int sym;
    int target;  // > 0: shift to that state; < 0: reduce by rule -target
};

struct Goto {
    Nonterminal nt;
    int state;
};

struct State {
    std::vector<Action> actions;  // explicit actions, in symbol order
    int default_rule;             // reduce by this rule on any other token; -1: error
    std::vector<Goto> gotos;
};

constexpr int k_accept_state = 3;

const std::vector<State>& automaton()
{
    static const std::vector<State> states = {
        /* 0 */ {{}, 3, {{n_file, 1}, {n_stmts, 2}}},
        /* 1 */ {{{s_end, 3}}, -1, {}},
        /* 2 */ {{{s_end, -1}, {s_error, 4}, {s_ident, 5}, {s_newline, 6}, {s_semi, 7}}, -1,
                 {{n_stmt, 8}, {n_assignment, 9}, {n_endstmt, 10}}},
        /* 3 */ {{}, -1, {}},
        /* 4 */ {{{s_newline, 11}}, -1, {}},
        /* 5 */ {{{s_add, 12}, {s_assign, 13}}, -1, {}},
        /* 6 */ {{}, 10, {}},
        /* 7 */ {{}, 11, {}},
        /* 8 */ {{}, 4, {}},
        /* 9 */ {{{s_newline, 6}, {s_semi, 7}}, 2, {{n_endstmt, 14}}},
        /* 10 */ {{}, 6, {}},
        /* 11 */ {{}, 7, {}},
        /* 12 */ {{{s_string, 15}, {s_number, 16}, {s_lbrack, 17}}, -1, {{n_value, 18}, {n_atom, 19}}},
        /* 13 */ {{{s_string, 15}, {s_number, 16}, {s_lbrack, 17}}, -1, {{n_value, 20}, {n_atom, 19}}},
        /* 14 */ {{}, 5, {}},
        /* 15 */ {{}, 14, {}},
        /* 16 */ {{}, 15, {}},
        /* 17 */ {{}, 21, {{n_nlok, 21}}},
        /* 18 */ {{}, 9, {}},
        /* 19 */ {{}, 12, {}},
        /* 20 */ {{}, 8, {}},
        /* 21 */ {{{s_string, 15}, {s_number, 16}, {s_newline, 22}, {s_lbrack, 17}}, 16,
                  {{n_value, 23}, {n_atom, 19}, {n_valuelist, 24}, {n_values, 25}}},
        /* 22 */ {{}, 22, {}},
        /* 23 */ {{}, 21, {{n_nlok, 26}}},
        /* 24 */ {{{s_rbrack, 27}}, -1, {}},
        /* 25 */ {{{s_comma, 28}}, 17, {}},
        /* 26 */ {{{s_newline, 22}}, 19, {}},
        /* 27 */ {{}, 13, {}},
        /* 28 */ {{}, 21, {{n_nlok, 29}}},
        /* 29 */ {{{s_string, 15}, {s_number, 16}, {s_newline, 22}, {s_lbrack, 17}}, 18,
                  {{n_value, 30}, {n_atom, 19}}},
        /* 30 */ {{}, 21, {{n_nlok, 31}}},
        /* 31 */ {{{s_newline, 22}}, 20, {}},
    };
    return states;
}

// A stack entry: the state and the semantic value of the symbol that led to it.
struct StackEntry {
    int state = 0;
    Token token;                // terminals
    ConfigValue value;          // value/atom; valuelist/values as a list
    std::string name;           // assignment: the key
    SourcePos name_pos;
    bool addition = false;
};

class Parser {
public:
    Parser(std::string_view data, ParseContext& ctx, ConfigFile& config)
        : m_lexer(data, ctx), m_ctx(ctx), m_config(config)
    {
    }

    void run();

private:
    void reduce(int rule);
    void store(StackEntry& assignment, int line);
    std::string syntax_error_message(int state, int sym) const;

    Lexer m_lexer;
    ParseContext& m_ctx;
    ConfigFile& m_config;
    std::vector<StackEntry> m_stack;
};

std::string Parser::syntax_error_message(int state, int sym) const
{
    std::string msg = "syntax error, unexpected ";
    msg += symbol_name(sym);
    const State& st = automaton()[static_cast<size_t>(state)];
    std::vector<int> expected;
    for (const Action& a : st.actions)
        if (a.sym != s_error)
            expected.push_back(a.sym);
    if (expected.size() > 4)  // bison gives up listing beyond four
        return msg;
    for (size_t i = 0; i < expected.size(); ++i) {
        msg += i == 0 ? ", expecting " : " or ";
        msg += symbol_name(expected[i]);
    }
    return msg;
}

void Parser::store(StackEntry& assignment, int line)
{
    Setting setting;
    setting.name = assignment.name;
    setting.value = std::move(assignment.value);
    setting.name_pos = assignment.name_pos;
    setting.line = line;
    setting.addition = assignment.addition;

    if (setting.addition) {
        // xlu__cfg_set_store: `+=` adds the earlier value in front of this one, and the
        // earlier setting is left empty (for lists).
        for (auto it = m_config.settings.rbegin(); it != m_config.settings.rend(); ++it) {
            if (it->name != setting.name)
                continue;
            if (it->value.kind != setting.value.kind) {
                if (!m_ctx.err) {
                    m_lexer.lexical_error("can't add [list] to \"string\" or vice versa",
                                          setting.value.pos.column);
                }
                m_ctx.err = true;
                return;
            }
            if (setting.value.is_string()) {
                setting.value.text = it->value.text + setting.value.text;
            } else {
                auto earlier = std::move(it->value.items);
                it->value.items.clear();
                earlier.insert(earlier.end(), std::make_move_iterator(setting.value.items.begin()),
                               std::make_move_iterator(setting.value.items.end()));
                setting.value.items = std::move(earlier);
            }
            break;
        }
    }
    m_config.settings.push_back(std::move(setting));
}

void Parser::reduce(int rule)
{
    const Rule& r = k_rules[static_cast<size_t>(rule)];
    const size_t base = m_stack.size() - static_cast<size_t>(r.length);
    StackEntry result;

    auto at = [&](int i) -> StackEntry& { return m_stack[base + static_cast<size_t>(i)]; };

    switch (rule) {
    case 8:  // assignment: IDENT '=' value
    case 9: {  // assignment: IDENT "+=" value
        // Stored as soon as the value is complete, before the statement's terminator is
        // read, as xl does: a `+=` error is reported on the value's last line.
        StackEntry assignment;
        assignment.name = at(0).token.value;
        assignment.name_pos = SourcePos{at(0).token.line, at(0).token.column, at(0).token.length};
        assignment.value = std::move(at(2).value);
        assignment.addition = rule == 9;
        store(assignment, assignment.value.pos.line);
        break;
    }
    case 12:  // value: atom
        result.value = std::move(at(0).value);
        break;
    case 13: {  // value: '[' nlok valuelist ']'
        result.value = std::move(at(2).value);
        result.value.kind = ConfigValue::Kind::list;
        const Token& open = at(0).token;
        result.value.pos = SourcePos{open.line, open.column, 1};
        break;
    }
    case 14:  // atom: STRING
    case 15: {  // atom: NUMBER
        const Token& t = at(0).token;
        result.value.kind = ConfigValue::Kind::string;
        result.value.text = t.value;
        result.value.is_number = rule == 15;
        result.value.pos = SourcePos{t.line, t.column, t.length};
        break;
    }
    case 16:  // valuelist: %empty
        result.value.kind = ConfigValue::Kind::list;
        break;
    case 17:  // valuelist: values
    case 18:  // valuelist: values ',' nlok
        result.value = std::move(at(0).value);
        break;
    case 19:  // values: value nlok
        result.value.kind = ConfigValue::Kind::list;
        result.value.items.push_back(std::move(at(0).value));
        break;
    case 20:  // values: values ',' nlok value nlok
        result.value = std::move(at(0).value);
        result.value.items.push_back(std::move(at(3).value));
        break;
    default:
        break;
    }

    m_stack.resize(base);
    const int from = m_stack.back().state;
    int to = -1;
    for (const Goto& g : automaton()[static_cast<size_t>(from)].gotos)
        if (g.nt == r.lhs)
            to = g.state;
    result.state = to;
    m_stack.push_back(std::move(result));
}

void Parser::run()
{
    m_stack.clear();
    m_stack.push_back(StackEntry{});  // state 0

    std::optional<Token> lookahead;
    int errstatus = 0;  // bison's yyerrstatus: tokens to shift before errors show again

    for (;;) {
        const int state = m_stack.back().state;
        if (state == k_accept_state)
            return;
        const State& st = automaton()[static_cast<size_t>(state)];

        int target = 0;
        if (st.actions.empty()) {
            target = -st.default_rule;  // a state that needs no lookahead
        } else {
            if (!lookahead)
                lookahead = m_lexer.next();
            for (const Action& a : st.actions)
                if (a.sym == lookahead->sym)
                    target = a.target;
            if (target == 0 && st.default_rule >= 0)
                target = -st.default_rule;
        }

        if (target > 0) {  // shift
            if (errstatus > 0)
                --errstatus;
            StackEntry e;
            e.state = target;
            e.token = std::move(*lookahead);
            lookahead.reset();
            m_stack.push_back(std::move(e));
            continue;
        }
        if (target < 0) {
            reduce(-target);
            continue;
        }

        // A syntax error, detected in `state` with the lookahead in hand.
        if (errstatus == 0) {
            m_ctx.report(lookahead->line, lookahead->text,
                         syntax_error_message(state, lookahead->sym), lookahead->column);
        }
        if (errstatus == 3) {
            if (lookahead->sym == s_end)
                return;  // YYABORT
            lookahead.reset();  // discard it
        }
        errstatus = 3;
        // Pop to the statement level, the only state that shifts `error` (state 2).
        for (;;) {
            const int s = m_stack.back().state;
            bool shifts_error = false;
            for (const Action& a : automaton()[static_cast<size_t>(s)].actions)
                if (a.sym == s_error)
                    shifts_error = true;
            if (shifts_error)
                break;
            if (m_stack.size() == 1)
                return;  // YYABORT
            m_stack.pop_back();
        }
        StackEntry e;
        e.state = 4;
        e.token.sym = s_error;
        m_stack.push_back(std::move(e));
    }
}

}  // namespace

ParseOutcome parse_config(std::string_view data, std::string_view source)
{
    ParseOutcome outcome;
    outcome.config.source = std::string(source);
    outcome.config.text = std::string(data);

    ParseContext ctx;
    ctx.source = source;
    Parser parser(data, ctx, outcome.config);
    parser.run();

    outcome.diagnostics = std::move(ctx.diagnostics);
    outcome.failed = ctx.err;
    if (ctx.err && ctx.likely_python) {
        static constexpr const char* k_python[] = {
            "warning: Config file looks like it contains Python code.",
            "warning:  Arbitrary Python is no longer supported.",
            "warning:  See https://wiki.xen.org/wiki/PythonInXlConfig",
        };
        for (const char* line : k_python) {
            Diagnostic d;
            d.severity = Severity::warning;
            d.source = std::string(source);
            d.message = line + std::strlen("warning: ");
            d.xl_text = line;
            outcome.diagnostics.add(std::move(d));
        }
    }
    return outcome;
}

}  // namespace uxl
