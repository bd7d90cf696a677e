// libFuzzer entry point for the config language and the device grammars: any byte string
// must parse (or fail) without crashing, and whatever parses must build a domain spec (or
// fail) without crashing. Built with clang -fsanitize=fuzzer when UXL_FUZZ=ON; otherwise
// fuzz_replay.cc feeds it the corpus as an ordinary test.
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

    uxl::ParseOutcome outcome = uxl::parse_config(text, "fuzz.cfg");
    (void)outcome.diagnostics.xl_report();
    if (outcome.ok()) {
        uxl::Diagnostics diagnostics;
        uxl::ConfigReader reader(outcome.config, diagnostics);
        uxl::BuildOptions options;
        options.config_path = "fuzz.cfg";
        options.host_cpus = 4;
        auto spec = uxl::build_domain_spec(reader, options);
        if (spec)
            (void)uxl::domain_spec_to_libxl_yajl(*spec);
    }

    // The device grammars take the same bytes as one spec string.
    (void)uxl::parse_disk_spec(text, "fuzz");
    uxl::VifParseOptions vif;
    vif.source = "fuzz";
    vif.devid = 0;
    vif.mode = uxl::VifParseOptions::Mode::command_line;
    (void)uxl::parse_vif_spec(text, vif);
    (void)uxl::parse_pci_spec(text);
    return 0;
}
