// Typed reads with xl's semantics (libxlu_cfg.c). The xl_text of each warning is the
// exact line xl prints; the message is the same fact worded for `uxl check`.
#include "uxl/config_reader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace uxl {
namespace {

std::string prefix(const ConfigFile& config, int line)
{
    return config.source + ":" + std::to_string(line) + ": warning: ";
}

}  // namespace

const Setting* ConfigReader::lookup(std::string_view name)
{
    const Setting* s = m_config.find(name);
    if (s)
        m_used.emplace(name);
    return s;
}

void ConfigReader::warn(const Setting& setting, std::string message, std::string xl_text)
{
    Diagnostic d;
    d.severity = Severity::warning;
    d.source = m_config.source;
    d.pos = setting.value.pos.line > 0 ? setting.value.pos : setting.name_pos;
    d.message = std::move(message);
    d.xl_text = std::move(xl_text);
    m_diagnostics.add(std::move(d));
}

void ConfigReader::error(const Setting& setting, std::string message, std::string xl_text)
{
    Diagnostic d;
    d.severity = Severity::error;
    d.source = m_config.source;
    d.pos = setting.value.pos.line > 0 ? setting.value.pos : setting.name_pos;
    d.message = std::move(message);
    d.xl_text = std::move(xl_text);
    m_diagnostics.add(std::move(d));
}

const Setting* ConfigReader::get_raw(std::string_view name)
{
    return lookup(name);
}

std::optional<std::string> ConfigReader::get_string(std::string_view name, bool dont_warn)
{
    const Setting* s = lookup(name);
    if (!s)
        return std::nullopt;
    if (!s->value.is_string()) {
        if (!dont_warn) {
            warn(*s, "`" + std::string(name) + "' is a list but should be a single value",
                 prefix(m_config, s->line) + "parameter `" + std::string(name) +
                     "' is a list but should be a single value");
        }
        return std::nullopt;
    }
    return s->value.text;
}

std::optional<long> ConfigReader::get_long(std::string_view name, bool dont_warn)
{
    return get_bounded_long(name, LONG_MIN, LONG_MAX, dont_warn);
}

std::optional<long> ConfigReader::get_bounded_long(std::string_view name, long min, long max,
                                                   bool dont_warn)
{
    const Setting* s = lookup(name);
    if (!s)
        return std::nullopt;
    const std::string key(name);
    if (!s->value.is_string()) {
        if (!dont_warn) {
            warn(*s, "`" + key + "' is a list but should be a single value",
                 prefix(m_config, s->line) + "parameter `" + key +
                     "' is a list but should be a single value");
        }
        return std::nullopt;
    }
    if (s->addition) {
        if (!dont_warn) {
            warn(*s, "`+=' cannot be used with the number `" + key + "'",
                 prefix(m_config, s->line) + "can't use += with numbers for parameter `" + key + "'");
        }
        return std::nullopt;
    }
    const char* text = s->value.text.c_str();
    char* end = nullptr;
    errno = 0;
    long value = std::strtol(text, &end, 0);
    if (errno != 0) {
        const int e = errno;
        if (!dont_warn) {
            warn(*s, "`" + key + "' could not be parsed as a number: " + std::strerror(e),
                 prefix(m_config, s->line) + "parameter `" + key +
                     "' could not be parsed as a number: " + std::strerror(e));
        }
        return std::nullopt;
    }
    if (*end != '\0' || end == text) {
        if (!dont_warn) {
            warn(*s, "`" + key + "' is not a valid number: `" + s->value.text + "'",
                 prefix(m_config, s->line) + "parameter `" + key + "' is not a valid number");
        }
        return std::nullopt;
    }
    if (value < min) {
        if (!dont_warn) {
            warn(*s, "`" + key + "' is " + std::to_string(value) + ", less than the minimum " +
                         std::to_string(min),
                 prefix(m_config, s->line) + "value `" + std::to_string(value) +
                     "' is smaller than minimum bound '" + std::to_string(min) + "'");
        }
        return std::nullopt;
    }
    if (value > max) {
        if (!dont_warn) {
            warn(*s, "`" + key + "' is " + std::to_string(value) + ", more than the maximum " +
                         std::to_string(max),
                 prefix(m_config, s->line) + "value `" + std::to_string(value) +
                     "' is greater than maximum bound '" + std::to_string(max) + "'");
        }
        return std::nullopt;
    }
    return value;
}

std::optional<bool> ConfigReader::get_bool(std::string_view name, bool dont_warn)
{
    auto value = get_long(name, dont_warn);
    if (!value)
        return std::nullopt;
    return *value != 0;
}

const ConfigValue* ConfigReader::get_list(std::string_view name, bool dont_warn)
{
    const Setting* s = lookup(name);
    if (!s)
        return nullptr;
    if (!s->value.is_list()) {
        if (!dont_warn) {
            const std::string key(name);
            warn(*s, "`" + key + "' is a single value but should be a list",
                 prefix(m_config, s->line) + "parameter `" + key +
                     "' is a single value but should be a list");
        }
        return nullptr;
    }
    return &s->value;
}

std::optional<std::string> ConfigReader::element_string(const ConfigValue& value, bool dont_warn)
{
    if (!value.is_string()) {
        if (!dont_warn) {
            Diagnostic d;
            d.severity = Severity::warning;
            d.source = m_config.source;
            d.pos = value.pos;
            d.message = "a list element here should be a string, not a list";
            // xl prints the value's column, which its scanner never sets: always 0.
            d.xl_text = m_config.source + ":" + std::to_string(value.pos.line) +
                        ":0: warning: value is not a string";
            m_diagnostics.add(std::move(d));
        }
        return std::nullopt;
    }
    return value.text;
}

}  // namespace uxl
