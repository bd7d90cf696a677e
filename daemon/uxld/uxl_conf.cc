#include "uxl_conf.h"

#include "uxl/config_file.h"
#include "uxl/config_reader.h"

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

    if (!diagnostics.empty())
        log.write("warning: " + diagnostics.xl_report());
    return conf;
}

}  // namespace uxl::daemon
