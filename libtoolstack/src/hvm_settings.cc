#include "hvm_settings.h"

namespace uxl {

void read_hvm_settings(ConfigReader& reader, DomainSpec& spec)
{
    // xl: xlu_cfg_get_defbool(config, "acpi", &b_info->acpi, 0), for every type.
    spec.hvm.acpi = reader.get_bool("acpi", /*dont_warn=*/true);
    if (spec.type != DomainType::hvm)
        return;
    if (auto boot = reader.get_string("boot", /*dont_warn=*/true))
        spec.hvm.boot = *boot;
    spec.hvm.nographic = reader.get_bool("nographic", /*dont_warn=*/true);
    // xl reads serial as a list of strings first, then as one string.
    if (const ConfigValue* list = reader.get_list("serial", /*dont_warn=*/true)) {
        for (const ConfigValue& element : list->items) {
            auto text = reader.element_string(element, /*dont_warn=*/true);
            if (!text)
                break;  // xl stops at the first element that is not a string
            spec.hvm.serial.push_back(*text);
        }
    } else if (auto serial = reader.get_string("serial", /*dont_warn=*/true)) {
        spec.hvm.serial.push_back(*serial);
    }
}

}  // namespace uxl
