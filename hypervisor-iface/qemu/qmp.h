// QEMU's machine protocol (QMP): an async client over the QMP UNIX stream socket.
//
// The protocol (QEMU's docs/interop/qmp-spec, checked against QEMU 7.2 in
// reference/backends.md §3):
//
//   1. QEMU is the server (`-chardev socket,server=on,wait=off` + `-mon mode=control`). On
//      connect it sends one greeting line {"QMP": {"version": {...}, "capabilities": [...]}}
//      and accepts nothing but `qmp_capabilities` until that has been sent.
//   2. Each command is one JSON object {"execute": NAME, "arguments": {...}, "id": N}; its
//      answer is {"return": ..., "id": N} or {"error": {"class": ..., "desc": ...}, "id": N}.
//      The id is echoed, so several commands may be outstanding at once.
//   3. Events come at any time, between answers: {"event": NAME, "data": {...},
//      "timestamp": {...}}.
//   4. When QEMU exits (a guest poweroff, `quit`, a signal) the connection ends with EOF or
//      ECONNRESET, right after the last event (SHUTDOWN).
//
// Every message is one line of JSON, UTF-8. JSON stays out of this header: arguments,
// results and event data cross it as JSON text, parsed by whoever needs the fields.
// Everything here runs on one event loop thread.
#pragma once

#include "uxl/asio.h"
#include "uxl/result.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace uxl::qmp {

// QEMU's greeting.
struct Greeting {
    std::string version;                    // "7.2.22" (major.minor.micro)
    std::string package;                    // "Debian 1:7.2+dfsg-7+deb12u18+b3"
    std::vector<std::string> capabilities;  // "oob"
};

// One asynchronous event.
struct Event {
    std::string name;                // "SHUTDOWN", "STOP", "GUEST_PANICKED", ...
    std::string data = "{}";         // the "data" member as JSON text; "{}" when there is none
};

struct ClientOptions {
    // Each command, from sending it to its answer; also connecting and reading the greeting.
    std::chrono::milliseconds timeout{5000};
    // Called on the executor's thread for every event, in the order QEMU sent them (and in
    // order with the answers around them). May be empty.
    std::function<void(Event)> on_event;
    // Called once, on the executor's thread, when the connection ends other than by
    // close(): EOF or a socket error (Errc::io), or a message too long to be one
    // (Errc::protocol). Commands outstanding then fail with the same error. May be empty.
    std::function<void(Error)> on_disconnect;
};

// An async QMP client. Move-only handle; destroying it closes it. Coroutines keep what they
// need alive, so a handle dropped while a command runs is safe: the command fails.
class Client {
public:
    // Connects to QEMU's QMP socket at `path`, reads the greeting and leaves capabilities
    // negotiation (`qmp_capabilities`), so commands can be sent at once. Errors:
    // invalid_argument (the path does not fit a sockaddr_un), io (cannot connect; QEMU is
    // not listening), timeout (no greeting, or no answer to the negotiation), protocol (the
    // peer does not speak QMP), backend_failed (QEMU refused the negotiation). Events are
    // delivered from the moment the negotiation has been answered, never before this
    // coroutine returns to its caller.
    static awaitable<Result<Client>> connect(asio::any_io_executor executor, std::string path,
                                             ClientOptions options = {});

    // A client that was never connected: every command fails with invalid_state. For
    // holders that connect later.
    Client() = default;
    Client(Client&&) noexcept;
    Client& operator=(Client&&) noexcept;
    ~Client();

    // Runs one command and returns its "return" member as JSON text ("{}" for most
    // commands). `arguments` is a JSON object as text, or empty for none. Errors:
    // invalid_argument (`arguments` is not a JSON object), invalid_state (closed, or the
    // connection has ended), timeout (no answer in time; a late answer is then ignored),
    // backend_failed (QEMU's "error": the message is its desc, the context its class, e.g.
    // "CommandNotFound"), io (the connection ended before the answer came). May be called
    // any number of times concurrently on the executor's thread.
    awaitable<Result<std::string>> execute(std::string command, std::string arguments = {});

    const Greeting& greeting() const;
    // Whether commands can still be sent: not closed, and the connection has not ended.
    bool connected() const;

    // Fails outstanding commands (invalid_state) and closes the socket. The handlers are not
    // called after close() returns. Idempotent.
    void close();

    struct Impl;

private:
    explicit Client(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> m_impl;
};

}  // namespace uxl::qmp
