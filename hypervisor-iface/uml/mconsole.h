// User-Mode Linux's mconsole: the wire format, an async client, and the notify listener.
//
// The protocol (reference/backends.md §1, mainline arch/um/drivers/mconsole*.{c,h}):
//
//   1. The guest binds an AF_UNIX datagram socket at <uml_dir>/<umid>/mconsole. A client
//      sends one request datagram {u32 magic, u32 version, u32 len, char data[512]} and the
//      guest answers with sendto() to the client's address, so the client must be bound
//      (we autobind: an abstract address, no file to clean up).
//   2. A reply is one or more datagrams {i32 err, u32 more, u32 len, char data[512]}:
//      more=1 on all but the last, err only on the first, len counting the trailing NUL.
//      The guest's socket is non-blocking, so datagrams of a long reply can be dropped when
//      our queue is full (pitfall 1): every request has a deadline, and a reply cut short
//      is reported as an error instead of waited for.
//   3. With `mconsole=notify:PATH` on its command line the guest also sends notifications
//      {u32 magic, u32 version, u32 type, u32 len, char data[512]} to a socket we bind at
//      PATH: its mconsole socket path at boot and after every reboot, panics, hangs
//      (from the external watchdog) and what the guest writes to /proc/mconsole.
//
// All fields are native-endian. Everything here runs on one event loop thread.
#pragma once

#include "uxl/asio.h"
#include "uxl/result.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace uxl::mconsole {

inline constexpr std::uint32_t magic = 0xcafebabe;
inline constexpr std::uint32_t protocol_version = 2;
inline constexpr std::size_t max_data = 512;  // MCONSOLE_MAX_DATA
inline constexpr std::size_t request_size = 12 + max_data;
inline constexpr std::size_t reply_header_size = 12;
inline constexpr std::size_t notify_header_size = 16;

// --- Wire encoding: pure functions, usable anywhere. ---

// The request datagram for `command`, zero-padded to the full struct as uml_mconsole sends
// it. Refuses commands the guest would refuse (512 bytes or more: "Request too large").
Result<std::string> encode_request(std::string_view command);

// One reply datagram, decoded. `text` is data[0..len) without its trailing NUL.
struct ReplyPart {
    std::int32_t err = 0;
    bool more = false;
    std::string text;
};
Result<ReplyPart> decode_reply(std::span<const char> datagram);
// What the guest sends; for tests (a fake guest) and symmetry.
std::string encode_reply(std::int32_t err, bool more, std::string_view text);

enum class NotifyType : std::uint32_t {
    socket = 0,       // MCONSOLE_SOCKET: data = the guest's mconsole socket path
    panic = 1,        // MCONSOLE_PANIC: data = the panic message
    hang = 2,         // MCONSOLE_HANG: sent by the uml_watchdog helper, not the kernel
    user_notify = 3,  // MCONSOLE_USER_NOTIFY: what the guest wrote to /proc/mconsole
};

struct Notification {
    NotifyType type = NotifyType::socket;
    std::string text;  // data without trailing NULs and newlines
};
Result<Notification> decode_notification(std::span<const char> datagram);
std::string encode_notification(NotifyType type, std::string_view data);

// Raises net.unix.max_dgram_qlen to `length` when it is lower and we may (root), so that a
// long reply (sysrq m: 15 datagrams, stack: 29) is not cut short by our socket's queue.
// Takes effect for sockets created afterwards. Best effort: never fails; returns whether the
// limit is now at least `length`.
bool raise_dgram_queue_length(unsigned length = 256);

// --- The client. ---

struct ClientOptions {
    // The whole request, from send to the last reply datagram.
    std::chrono::milliseconds timeout{5000};
};

// An async mconsole client: one bound datagram socket, requests queued and sent one at a
// time (replies carry no request id, so only one may be outstanding). Move-only handle;
// destroying it closes it.
class Client {
public:
    // Creates and binds the client socket. `socket_path` is the guest's mconsole socket; it
    // may be empty and set later (set_socket_path), for a guest that has not announced it.
    // May be called on any thread; the client is then used on the executor's thread only.
    static Result<Client> create(asio::any_io_executor executor, std::string socket_path,
                                 ClientOptions options = {});

    Client(Client&&) noexcept;
    Client& operator=(Client&&) noexcept;
    ~Client();

    // Sends `command` and returns the reply text (all datagrams joined). Errors:
    // invalid_argument (too long), invalid_state (closed, or no socket path yet), timeout
    // (no reply, or a reply cut short), backend_failed ("<command>: <guest's reply>" when
    // the guest returned err != 0, or the guest's socket is unreachable), protocol (a
    // malformed reply).
    awaitable<Result<std::string>> request(std::string command);

    // Where requests go from now on (the guest announced its socket again after a reboot).
    void set_socket_path(std::string socket_path);
    const std::string& socket_path() const;

    // Fails the request in progress, if any, with `error` (e.g. the guest panicked and will
    // never answer). Queued requests still run.
    void abort_current(Error error);

    // Fails the running and queued requests (invalid_state) and closes the socket. Idempotent.
    void close();

    struct Impl;

private:
    explicit Client(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> m_impl;
};

// --- The notify listener. ---

// Binds a datagram socket at `path` (replacing a stale socket file left by an earlier
// daemon) and calls `handler` on the executor's thread for each well-formed notification;
// malformed datagrams are ignored. Move-only handle; destroying it closes it.
class NotifyListener {
public:
    static Result<NotifyListener> create(asio::any_io_executor executor, std::string path,
                                         std::function<void(Notification)> handler);

    NotifyListener(NotifyListener&&) noexcept;
    NotifyListener& operator=(NotifyListener&&) noexcept;
    ~NotifyListener();

    const std::string& path() const;

    // Stops listening and removes the socket file. Idempotent. The handler is not called
    // after close() returns.
    void close();

    struct Impl;

private:
    explicit NotifyListener(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> m_impl;
};

}  // namespace uxl::mconsole
