#include "uxl_conf.h"

#include "uxl/config_file.h"
#include "uxl/config_reader.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace uxl::daemon {

UxlConf load_uxl_conf(const std::string& config_file, DaemonLog& log)
{
    UxlConf conf;
    std::ifstream in(config_file, std::ios::binary);
    if (!in)
        return conf;  // no uxl.conf: xl's defaults
    std::ostringstream text;
    text << in.rdbuf();
    ParseOutcome parsed = parse_config(text.str(), config_file);
    if (!parsed.ok()) {
        log.write("warning: " + config_file + " does not parse; using defaults:\n" +
                  parsed.diagnostics.xl_report());
        return conf;
    }
    Diagnostics diagnostics;
    ConfigReader reader(parsed.config, diagnostics);

    DeviceDefaults& devices = conf.devices;
    if (auto v = reader.get_string("vif.default.script"))
        devices.vif_script = *v;
    if (auto v = reader.get_string("vif.default.bridge"))
        devices.vif_bridge = *v;
    if (auto v = reader.get_bounded_long("hotplug.timeout", 1, 3600))
        devices.hotplug_timeout = std::chrono::seconds(*v);

    if (auto v = reader.get_string("qemu.accelerator")) {
        if (*v == "auto" || *v == "kvm" || *v == "tcg")
            conf.backends.qemu_accelerator = *v;
        else
            log.write("warning: " + config_file + ": qemu.accelerator must be \"auto\", \"kvm\" or \"tcg\", not \"" +
                      *v + "\"; using \"auto\"");
    }

    GuestUserSettings& guests = conf.guests;
    if (auto v = reader.get_string("guest.uid_range")) {
        unsigned long first = 0, last = 0;
        char extra = 0;
        if (std::sscanf(v->c_str(), "%lu-%lu%c", &first, &last, &extra) == 2 && first > 0 && first <= last &&
            last < 2147483648UL) {
            guests.first = static_cast<uid_t>(first);
            guests.last = static_cast<uid_t>(last);
        } else {
            log.write("warning: " + config_file + ": guest.uid_range must be \"FIRST-LAST\" (uids from 1 to 2147483647), "
                      "not \"" + *v + "\"; using " + std::to_string(guests.first) + "-" + std::to_string(guests.last));
        }
    }
    if (auto v = reader.get_bounded_long("guest.run_as_root", 0, 1))
        guests.as_root = *v == 1;

    if (!diagnostics.empty())
        log.write("warning: " + diagnostics.xl_report());
    return conf;
}

}  // namespace uxl::daemon
