// The names of a DomainSpec's enumerations both ways (xl's words), and uuids: text both ways
// and a fresh random one. Split from domain_spec.cc, which builds the spec.
#include "uxl/domain_spec.h"

#include <cstdio>
#include <random>

namespace uxl {

// ---------------------------------------------------------------------------------------
// Names.

std::string_view to_string(DomainType type)
{
    switch (type) {
    case DomainType::pv: return "pv";
    case DomainType::pvh: return "pvh";
    case DomainType::hvm: return "hvm";
    }
    return "pv";
}

std::string_view to_string(ShutdownAction action)
{
    switch (action) {
    case ShutdownAction::destroy: return "destroy";
    case ShutdownAction::restart: return "restart";
    case ShutdownAction::rename_restart: return "rename-restart";
    case ShutdownAction::preserve: return "preserve";
    case ShutdownAction::coredump_destroy: return "coredump-destroy";
    case ShutdownAction::coredump_restart: return "coredump-restart";
    case ShutdownAction::soft_reset: return "soft-reset";
    }
    return "destroy";
}

std::string_view to_string(BackendKind kind)
{
    switch (kind) {
    case BackendKind::uml: return "uml";
    case BackendKind::qemu: return "qemu";
    case BackendKind::vkernel: return "vkernel";
    }
    return "uml";
}

std::optional<ShutdownAction> parse_shutdown_action(std::string_view text)
{
    // xl compares with strcmp against its table: exact, case-sensitive.
    for (auto action : {ShutdownAction::destroy, ShutdownAction::restart,
                        ShutdownAction::rename_restart, ShutdownAction::preserve,
                        ShutdownAction::coredump_destroy, ShutdownAction::coredump_restart,
                        ShutdownAction::soft_reset}) {
        if (text == to_string(action))
            return action;
    }
    return std::nullopt;
}

std::string_view to_string(ShutdownReason reason)
{
    switch (reason) {
    case ShutdownReason::none: return "none";
    case ShutdownReason::poweroff: return "poweroff";
    case ShutdownReason::reboot: return "reboot";
    case ShutdownReason::suspend: return "suspend";
    case ShutdownReason::crash: return "crash";
    case ShutdownReason::watchdog: return "watchdog";
    case ShutdownReason::soft_reset: return "soft_reset";
    }
    return "none";
}

std::optional<ShutdownReason> parse_shutdown_reason(std::string_view text)
{
    for (auto r : {ShutdownReason::none, ShutdownReason::poweroff, ShutdownReason::reboot,
                   ShutdownReason::suspend, ShutdownReason::crash, ShutdownReason::watchdog,
                   ShutdownReason::soft_reset})
        if (to_string(r) == text)
            return r;
    return std::nullopt;
}

int shutdown_reason_code(ShutdownReason reason)
{
    return static_cast<int>(reason) - 1;
}

std::optional<BackendKind> parse_backend_kind(std::string_view text)
{
    for (auto kind : {BackendKind::uml, BackendKind::qemu, BackendKind::vkernel})
        if (text == to_string(kind))
            return kind;
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// UUIDs (libxl_uuid_*, which is libuuid's uuid_parse/uuid_unparse_lower on Linux).

std::string uuid_to_string(const Uuid& uuid)
{
    char text[37];
    std::snprintf(text, sizeof text,
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                  uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7],
                  uuid[8], uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
    return text;
}

std::optional<Uuid> parse_uuid(std::string_view text)
{
    // uuid_parse: exactly 36 characters, '-' at 8, 13, 18 and 23, hex digits elsewhere.
    if (text.size() != 36)
        return std::nullopt;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    Uuid uuid{};
    size_t byte = 0;
    for (size_t i = 0; i < text.size();) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return std::nullopt;
            ++i;
            continue;
        }
        const int high = hex(text[i]);
        const int low = hex(text[i + 1]);
        if (high < 0 || low < 0)
            return std::nullopt;
        uuid[byte++] = static_cast<std::uint8_t>(high << 4 | low);
        i += 2;
    }
    return uuid;
}

Uuid generate_uuid()
{
    std::random_device random;
    Uuid uuid{};
    for (size_t i = 0; i < uuid.size(); i += 4) {
        const unsigned int word = random();
        for (size_t j = 0; j < 4; ++j)
            uuid[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
    }
    uuid[6] = static_cast<std::uint8_t>((uuid[6] & 0x0f) | 0x40);  // version 4
    uuid[8] = static_cast<std::uint8_t>((uuid[8] & 0x3f) | 0x80);  // RFC 4122 variant
    return uuid;
}

}  // namespace uxl
