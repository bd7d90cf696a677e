// The QEMU guest agent (qemu-ga, Debian's qemu-guest-agent) as the QEMU controller uses it:
// a clean reboot or poweroff asked of the guest's own userland, where the ACPI power button
// cannot ask for a reboot at all and a guest may ignore it.
//
// The channel (planned by qemu_backend.cc for every QEMU guest): a virtio-serial port named
// org.qemu.guest_agent.0 in the guest, whose host end is QEMU's chardev socket
// <run_dir>/qga.sock (id qga0; the names are qemu_devices.h's). QEMU reports whether the
// guest has the port open (query-chardev's "frontend-open" for qga0); qemu-ga opens it when
// it starts.
//
// The protocol (QEMU's docs/interop/qemu-ga-ref, checked against qemu-ga 7.2): JSON
// commands {"execute": NAME, "arguments": {...}}, one at a time, each answered by
// {"return": ...} or {"error": {...}}, except guest-shutdown, which answers only when it
// fails. Bytes a former client left half-sent, or answers nobody read, may still be in the
// channel, so every conversation starts with a 0xFF byte (the agent resets its parser on it)
// and guest-sync-delimited with a fresh id: the agent answers 0xFF followed by
// {"return": ID}, and everything before that is stale.
#pragma once

#include "qemu/qemu_devices.h"

#include "uxl/asio.h"
#include "uxl/result.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace uxl::qemu {

// Whether query-chardev's answer (JSON text) says the guest has the agent's port open.
bool guest_agent_port_open(const std::string& query_chardev_reply);

// The request lines of one conversation, for the wire and for tests: 0xFF, then
// guest-sync-delimited with `id`.
std::string guest_agent_sync_request(std::uint64_t id);
// guest-shutdown with `mode` ("powerdown", "reboot", "halt").
std::string guest_agent_shutdown_request(std::string_view mode);

// What a reply line said: the sync's id echoed (`synced`), an error (its `error` text), or
// something else (stale, or not for us).
struct AgentReply {
    bool synced = false;
    std::string error;
};
AgentReply read_agent_reply(std::string_view line, std::uint64_t id);

struct AgentShutdown {
    std::string socket_path;    // <run_dir>/qga.sock
    std::string mode;           // "powerdown", "reboot", "halt"
    std::uint64_t sync_id = 0;  // a fresh id per conversation
    // The agent must echo the sync within this; otherwise there is no agent listening:
    // Errc::unsupported, and guest-shutdown is never sent.
    std::chrono::milliseconds sync_timeout{2000};
    // guest-shutdown answers only a failure (its /sbin/shutdown could not run): this long.
    std::chrono::milliseconds failure_wait{1000};
};

// Connects, syncs, sends guest-shutdown and waits `failure_wait` for an error. Errors:
// unsupported (nothing listens, or no agent answered in time), backend_failed (the agent
// refused or its shutdown failed; the message is the agent's).
awaitable<Result<void>> guest_agent_shutdown(asio::any_io_executor executor, AgentShutdown request);

}  // namespace uxl::qemu
