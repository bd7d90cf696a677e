#include "option_parser.h"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace uxl::cli {

int ParsedOptions::count(const std::string& key) const
{
    auto it = m_counts.find(key);
    return it == m_counts.end() ? 0 : it->second;
}

std::optional<std::string> ParsedOptions::value(const std::string& key) const
{
    auto it = m_values.find(key);
    if (it == m_values.end() || it->second.empty())
        return std::nullopt;
    return it->second.back();
}

ParseResult parse_options(const GlobalOptions& globals, const Command& command,
                          const std::vector<OptionSpec>& specs,
                          const std::vector<std::string>& args)
{
    CLI::App app{std::string(command.help), std::string(command.name)};
    app.set_help_flag();  // help is printed in xl's layout below
    app.allow_extras(false);
    app.positionals_at_end(false);

    ParsedOptions parsed;
    std::int64_t help = 0;
    app.add_flag("-h,--help", help);
    std::map<std::string, std::int64_t> counts;
    std::map<std::string, CLI::Option*> value_options;
    for (const OptionSpec& spec : specs) {
        if (spec.takes_value) {
            value_options[spec.key] = app.add_option(spec.names)
                                          ->expected(1)
                                          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        } else {
            app.add_flag(spec.names, counts[spec.key]);
        }
    }
    app.add_option("operands", parsed.operands);

    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ExtrasError& e) {
        std::string first;
        for (const auto& a : args)
            if (a.size() > 1 && a[0] == '-') {
                first = a;
                break;
            }
        if (!first.empty()) {
            std::string letter = first.starts_with("--") ? first.substr(2) : first.substr(1, 1);
            std::fprintf(stderr, "option `%s' not supported.\n", letter.c_str());
        } else {
            std::fprintf(stderr, "%s\n", e.what());
        }
        return {std::nullopt, k_exit_usage};
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s %.*s: %s\n", globals.program.c_str(),
                     static_cast<int>(command.name.size()), command.name.data(), e.what());
        return {std::nullopt, k_exit_usage};
    }
    if (help) {
        print_command_help(globals, command);
        return {std::nullopt, k_exit_success};
    }
    for (const auto& [key, n] : counts)
        parsed.m_counts[key] = static_cast<int>(n);
    for (const auto& [key, option] : value_options) {
        parsed.m_values[key] = option->results();
        parsed.m_counts[key] = static_cast<int>(option->count());
    }
    return {std::move(parsed), 0};
}

}  // namespace uxl::cli
