// libFuzzer target for the config language and the device grammars.
//
// Properties, beyond "no crash, no sanitizer report":
//   1. any byte string parses or fails; what parses builds a spec or fails (as `uxl create`
//      does it), and `uxl check` reports on it;
//   2. a spec that builds survives spec → libxl JSON → spec unchanged, so what
//      `uxl create -n` prints is what uxld would run (fuzz_support.h);
//   3. the device grammars take the same bytes as one spec string, and what they accept
//      prints as libxl JSON.
// Built with clang -fsanitize=fuzzer when UXL_FUZZ=ON; fuzz_replay.cc feeds it the seed
// corpus as an ordinary test in every build.
#include "fuzz_support.h"

#include "uxl/config_check.h"
#include "uxl/config_file.h"
#include "uxl/config_reader.h"
#include "uxl/disk_spec.h"
#include "uxl/domain_spec.h"
#include "uxl/pci_spec.h"
#include "uxl/vif_spec.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    // 1-2. The config file, as `uxl create -n` reads it.
    uxl::ParseOutcome outcome = uxl::parse_config(text, "fuzz.cfg");
    (void)outcome.diagnostics.xl_report();
    if (outcome.ok()) {
        uxl::Diagnostics diagnostics;
        uxl::ConfigReader reader(outcome.config, diagnostics);
        uxl::BuildOptions options;
        options.config_path = "fuzz.cfg";
        options.host_cpus = 4;
        auto spec = uxl::build_domain_spec(reader, options);
        (void)diagnostics.xl_report();
        if (spec)
            uxl::fuzz::check_libxl_round_trip(*spec);
    }
    // ... and as `uxl check` reports on it.
    uxl::CheckOptions check;
    check.config_path = "fuzz.cfg";
    check.host_cpus = 4;
    (void)uxl::check_config(text, "fuzz.cfg", check).render(text);

    // 3. The device grammars take the same bytes as one spec string.
    if (auto disk = uxl::parse_disk_spec(text, "fuzz"))
        (void)uxl::disk_spec_to_yajl(*disk);
    uxl::VifParseOptions vif;
    vif.source = "fuzz";
    vif.devid = 0;
    vif.mode = uxl::VifParseOptions::Mode::command_line;
    if (auto nic = uxl::parse_vif_spec(text, vif))
        (void)uxl::vif_spec_to_yajl(*nic);
    if (auto pci = uxl::parse_pci_spec(text))
        (void)uxl::pci_spec_to_bdf(*pci);
    return 0;
}
