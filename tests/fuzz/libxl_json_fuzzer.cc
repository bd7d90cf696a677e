// libFuzzer target for the libxl JSON reader (domain_spec_from_libxl_json), which reads
// what a client sends in a `create` request and what uxld finds in its state files.
//
// Properties: any byte string is read or refused with Errc::invalid_argument, never an
// exception or a crash; and whatever is read survives spec → libxl JSON → spec unchanged
// (the reader and the writer agree on every field the reader keeps).
#include "fuzz_support.h"

#include "uxl/domain_spec.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    auto spec = uxl::domain_spec_from_libxl_json(json);
    if (!spec) {
        uxl::fuzz::check(spec.error().code == uxl::Errc::invalid_argument,
                         "a refused libxl JSON is an invalid_argument error", spec.error().message);
        return 0;
    }
    uxl::fuzz::check_libxl_round_trip(*spec);
    return 0;
}
