// Reading libxl's JSON back: one object at a time, with the path that names it in errors
// ("b_info.type.hvm.vga"). Shared by libxl_json.cc and libxl_json_hvm.cc.
//
// Internal to libtoolstack: it includes nlohmann/json, which stays out of public headers.
#pragma once

#include "uxl/domain_spec.h"
#include "uxl/result.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uxl::detail {

using Json = nlohmann::json;

// Reading it back. Each Fields is one JSON object and the path that names it in errors.

inline std::unexpected<Error> bad(const std::string& path, std::string_view what)
{
    return fail(Errc::invalid_argument, "libxl JSON: `" + path + "' " + std::string(what));
}

class Fields {
public:
    Fields(const Json& object, std::string path) : m_object(object), m_path(std::move(path)) {}

    const std::string& path() const { return m_path; }
    std::string path_of(std::string_view key) const
    {
        return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
    }

    const Json* find(std::string_view key) const
    {
        auto it = m_object.find(std::string(key));
        return it == m_object.end() || it->is_null() ? nullptr : &*it;
    }

    Result<std::optional<std::string>> string(std::string_view key) const
    {
        const Json* value = find(key);
        if (!value)
            return std::nullopt;
        if (!value->is_string())
            return bad(path_of(key), "must be a string");
        return value->get<std::string>();
    }

    template <class Int>
    Result<std::optional<Int>> integer(std::string_view key) const
    {
        const Json* value = find(key);
        if (!value)
            return std::nullopt;
        return read_integer<Int>(*value, path_of(key));
    }

    // A libxl "bool" (true/false) or an "integer" used as one.
    Result<std::optional<bool>> boolean(std::string_view key) const
    {
        const Json* value = find(key);
        if (!value)
            return std::nullopt;
        if (value->is_boolean())
            return value->get<bool>();
        if (value->is_number_integer())
            return value->get<long long>() != 0;
        return bad(path_of(key), "must be true or false");
    }

    // libxl__defbool_parse_json: "True", "False" or "<default>".
    Result<std::optional<bool>> defbool(std::string_view key) const
    {
        const Json* value = find(key);
        if (!value)
            return std::nullopt;
        if (value->is_string()) {
            const auto& text = value->get_ref<const std::string&>();
            if (text == "True")
                return true;
            if (text == "False")
                return false;
            if (text == "<default>")
                return std::nullopt;
        }
        if (value->is_boolean())
            return value->get<bool>();
        return bad(path_of(key), "must be \"True\", \"False\" or \"<default>\"");
    }

    Result<std::optional<Fields>> object(std::string_view key) const
    {
        const Json* value = find(key);
        if (!value)
            return std::nullopt;
        if (!value->is_object())
            return bad(path_of(key), "must be an object");
        return Fields(*value, path_of(key));
    }

    Result<const Json*> array(std::string_view key) const
    {
        const Json* value = find(key);
        if (value && !value->is_array())
            return bad(path_of(key), "must be an array");
        return value;
    }

    template <class Enum, class Names>
    Result<std::optional<Enum>> enumeration(std::string_view key, const Names& names) const
    {
        auto text = UXL_TRY(string(key));
        if (!text)
            return std::nullopt;
        for (const auto& [value, name] : names)
            if (*text == name)
                return value;
        return bad(path_of(key), "has an unknown value \"" + *text + "\"");
    }

    template <class Int>
    static Result<Int> read_integer(const Json& value, const std::string& path)
    {
        if (value.is_number_unsigned()) {
            const auto n = value.get<unsigned long long>();
            if (n > static_cast<unsigned long long>(std::numeric_limits<Int>::max()))
                return bad(path, "is out of range");
            return static_cast<Int>(n);
        }
        if (value.is_number_integer()) {
            const auto n = value.get<long long>();
            if (n < static_cast<long long>(std::numeric_limits<Int>::min()) ||
                (n > 0 && static_cast<unsigned long long>(n) >
                              static_cast<unsigned long long>(std::numeric_limits<Int>::max())))
                return bad(path, "is out of range");
            return static_cast<Int>(n);
        }
        return bad(path, "must be an integer");
    }

private:
    const Json& m_object;
    std::string m_path;
};

// Names of an enum's values as uxl's to_string() spells them (libxl's lower-case names).
template <class Enum, size_t N>
std::vector<std::pair<Enum, std::string>> names_of(const Enum (&values)[N])
{
    std::vector<std::pair<Enum, std::string>> names;
    for (Enum value : values)
        names.emplace_back(value, std::string(to_string(value)));
    return names;
}

inline Result<std::vector<int>> read_bitmap(const Json& value, const std::string& path)
{
    if (!value.is_array())
        return bad(path, "must be an array of CPU numbers");
    std::vector<int> bits;
    for (size_t i = 0; i < value.size(); ++i)
        bits.push_back(UXL_TRY(Fields::read_integer<int>(value[i], path + "[" + std::to_string(i) + "]")));
    std::sort(bits.begin(), bits.end());
    bits.erase(std::unique(bits.begin(), bits.end()), bits.end());
    if (!bits.empty() && bits.front() < 0)
        return bad(path, "has a negative CPU number");
    return bits;
}

// A libxl_string_list: the strings of `key`'s array, which replace `out`'s when present.
inline Result<void> read_string_list(const Fields& fields, std::string_view key,
                              std::vector<std::string>& out)
{
    const Json* array = UXL_TRY(fields.array(key));
    if (!array)
        return {};
    out.clear();
    for (size_t i = 0; i < array->size(); ++i) {
        if (!(*array)[i].is_string())
            return bad(fields.path_of(key) + "[" + std::to_string(i) + "]", "must be a string");
        out.push_back((*array)[i].get<std::string>());
    }
    return {};
}

// Reads b_info.type.hvm back into `out` (libxl_json_hvm.cc).
Result<void> read_hvm_info(const Fields& hvm, HvmSettings& out);

}  // namespace uxl::detail
