// Renders JSON the way libxl's yajl generator does in "beautify" mode, which is what
// `xl create -n`, `xl -N block-attach`, `xl list -l` print and what xendomains parses:
// 4-space indent, `"key": value`, empty containers as an open bracket, a blank line and
// the indented closing bracket, and a final newline at depth 0.
//
// Internal to libtoolstack: it includes nlohmann/json, which stays out of public headers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace uxl::detail {

using OrderedJson = nlohmann::ordered_json;

// Returns the yajl-beautified text of `value`, ending with "\n".
std::string to_yajl(const OrderedJson& value);

}  // namespace uxl::detail
