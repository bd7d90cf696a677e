// uxl.conf, the counterpart of xl.conf: read once when uxld starts, for device setup (the
// vif defaults, the hook timeout) and the backend registry (qemu.accelerator).
#pragma once

#include "daemon_log.h"
#include "device_setup.h"
#include "guest_users.h"

#include "uxl/backend.h"

#include <string>

namespace uxl::daemon {

struct UxlConf {
    DeviceDefaults devices;
    BackendSettings backends;
    GuestUserSettings guests;
};

// Absent: xl's defaults. Unparsable: the defaults, and a warning in `log`; so is a value
// uxl cannot use (each setting falls back on its own).
UxlConf load_uxl_conf(const std::string& config_file, DaemonLog& log);

}  // namespace uxl::daemon
