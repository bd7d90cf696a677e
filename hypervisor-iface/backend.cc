// The backend registry: the one place that knows every backend.
#include "uxl/backend.h"

#include "uxl/controller.h"

#include <map>
#include <mutex>

#include "qemu/qemu_probe.h"
#include "uml/uml_backend.h"
#include "vkernel/vkernel_backend.h"

namespace uxl {

Backend::~Backend() = default;

Result<std::unique_ptr<Controller>> Backend::make_controller(const ControllerSetup&) const
{
    return fail(Errc::unsupported, "The " + std::string(name()) + " backend has no control channel.");
}

ShutdownReason Backend::exit_reason(const GuestExit& exit) const
{
    return exit.exit_code == 0 && !exit.signal ? ShutdownReason::poweroff : ShutdownReason::crash;
}

std::vector<BackendKind> known_backends()
{
    return {BackendKind::uml, BackendKind::qemu, BackendKind::vkernel};
}

namespace {

// The QEMU accelerator for a qemu.accelerator setting, chosen (and probed) once a process.
Result<QemuHost> qemu_host(const std::string& setting)
{
    static std::mutex mutex;
    static std::map<std::string, Result<QemuHost>> chosen;
    std::lock_guard lock(mutex);
    auto it = chosen.find(setting);
    if (it == chosen.end())
        it = chosen.emplace(setting, choose_qemu_accelerator(setting)).first;
    return it->second;
}

}  // namespace

Result<std::unique_ptr<Backend>> make_backend(BackendKind kind, const BackendSettings& settings)
{
    switch (kind) {
    case BackendKind::uml:
        return std::make_unique<UmlBackend>();
    case BackendKind::vkernel:
        return std::make_unique<VkernelBackend>();
    case BackendKind::qemu: {
        auto host = qemu_host(settings.qemu_accelerator);
        if (!host)
            return std::unexpected(host.error());
        return std::make_unique<QemuBackend>(*host);
    }
    }
    return fail(Errc::unsupported, "This uxl has no " + std::string(to_string(kind)) + " backend.", "backend");
}

}  // namespace uxl
