// What the fuzz targets share: a property check that fails loudly, and the libxl JSON
// round trip that every spec a target builds must survive.
//
// A failed check prints what was expected and aborts: libFuzzer reports that as a crash and
// saves the input; fuzz_replay (the same target built with g++ in every build) fails its
// test.
#pragma once

#include "uxl/domain_spec.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace uxl::fuzz {

[[noreturn]] inline void property_failed(std::string_view what, std::string_view detail)
{
    std::fprintf(stderr, "fuzz property failed: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
                 static_cast<int>(detail.size()), detail.data());
    std::abort();
}

inline void check(bool holds, std::string_view what, std::string_view detail = {})
{
    if (!holds)
        property_failed(what, detail);
}

// spec → libxl JSON (what `uxl create -n` prints and what `uxl create` sends) → spec → the
// same JSON. The JSON is compared as text: yajl's layout is a contract too.
inline void check_libxl_round_trip(const DomainSpec& spec)
{
    const std::string json = domain_spec_to_libxl_yajl(spec);
    auto back = domain_spec_from_libxl_json(json);
    check(back.has_value(), "the libxl JSON of a spec reads back",
          (back ? std::string() : back.error().message) + "\n--- json:\n" + json);
    const std::string again = domain_spec_to_libxl_yajl(*back);
    check(again == json, "the libxl JSON of a spec survives spec -> JSON -> spec unchanged",
          "--- first:\n" + json + "--- after the round trip:\n" + again);
}

}  // namespace uxl::fuzz
