// The host side of a vif: a persistent tap device, made and removed with plain syscalls
// (/dev/net/tun and interface ioctls; no `ip` command, no shell).
//
// Blocking but quick (a few ioctls): fine on the event loop. Needs CAP_NET_ADMIN in the
// network namespace the daemon runs in.
#pragma once

#include "uxl/mac_address.h"
#include "uxl/result.h"

#include <cstdint>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace uxl::daemon {

// "vif<domid>.<devid>", xl's default backend name on Linux.
std::string default_vif_name(std::uint32_t domid, std::uint32_t devid);

// A name a tap may have: 1 to 15 bytes of [A-Za-z0-9._-], and not "." or "..". Stricter
// than the kernel (which also accepts most punctuation), so that a name from a config file
// is harmless wherever it goes, hook scripts included. Error: invalid_argument.
Result<void> validate_interface_name(std::string_view name);

// Whether a network interface of that name exists (in the current namespace).
bool interface_exists(std::string_view name);

// Creates the persistent tap `name`, owned by `owner` (TUNSETOWNER: the uid that may attach
// to it without CAP_NET_ADMIN; an unprivileged guest's), with the host-side MAC derived from
// the guest's (host_side_mac: first byte 0xfe), and brings it up. Fails with already_exists
// if an interface of that name exists; on any failure nothing is left behind.
Result<void> create_tap(std::string_view name, const MacAddress& guest_mac, uid_t owner = 0);

// Removes the persistent tap `name`. A missing interface is success (teardown is
// idempotent); an interface that is not a tap, or a tap still attached to a process
// (a running guest), is an error and is left alone.
Result<void> delete_tap(std::string_view name);

}  // namespace uxl::daemon
