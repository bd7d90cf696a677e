// The backend registry: the one place that knows every backend.
#include "uxl/backend.h"

#include "uxl/controller.h"

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
    return {BackendKind::uml, BackendKind::vkernel};
}

Result<std::unique_ptr<Backend>> make_backend(BackendKind kind)
{
    switch (kind) {
    case BackendKind::uml:
        return std::make_unique<UmlBackend>();
    case BackendKind::vkernel:
        return std::make_unique<VkernelBackend>();
    case BackendKind::qemu:
        break;
    }
    return fail(Errc::unsupported,
                "This uxl has no " + std::string(to_string(kind)) +
                    " backend yet; use backend = \"uml\".",
                "backend");
}

}  // namespace uxl
