// The mconsole client and notify listener (see mconsole.h for the protocol).
//
// How a request runs, on the loop thread:
//   1. wait for our turn (requests are queued: replies carry no id);
//   2. drop stale datagrams (the tail of a reply that arrived after its request timed out);
//   3. arm the deadline timer, whose handler cancels the socket's pending operations;
//   4. send the request, then receive datagrams from the guest's address until more=0;
//   5. disarm the timer and turn err/text into a Result.
// Coroutines hold a shared_ptr to the Impl, so a handle destroyed mid-request is safe: the
// coroutine wakes with operation_aborted and finishes on its own.
#include "uml/mconsole.h"

#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <array>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>

namespace uxl::mconsole {

namespace {

using boost::system::error_code;
using datagram = asio::local::datagram_protocol;

constexpr std::size_t max_socket_path = sizeof(sockaddr_un{}.sun_path) - 1;

void put_u32(std::string& out, std::uint32_t value)
{
    char bytes[4];
    std::memcpy(bytes, &value, 4);
    out.append(bytes, 4);
}

std::uint32_t get_u32(std::span<const char> in, std::size_t offset)
{
    std::uint32_t value;
    std::memcpy(&value, in.data() + offset, 4);
    return value;
}

std::string trim_trailing(std::string text, std::string_view characters)
{
    while (!text.empty() && characters.find(text.back()) != std::string_view::npos)
        text.pop_back();
    return text;
}

// Paths name the same socket when they are equal once "." and doubled slashes are gone.
bool same_socket_path(std::string_view a, std::string_view b)
{
    return std::filesystem::path(a).lexically_normal() == std::filesystem::path(b).lexically_normal();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Wire encoding.

Result<std::string> encode_request(std::string_view command)
{
    if (command.empty())
        return fail(Errc::invalid_argument, "An mconsole command must not be empty.");
    if (command.size() >= max_data)
        return fail(Errc::invalid_argument,
                    "An mconsole command must be shorter than " + std::to_string(max_data) +
                        " bytes; this one has " + std::to_string(command.size()) + ".");
    std::string out;
    out.reserve(request_size);
    put_u32(out, magic);
    put_u32(out, protocol_version);
    put_u32(out, static_cast<std::uint32_t>(command.size()));
    out.append(command);
    out.resize(request_size, '\0');
    return out;
}

Result<ReplyPart> decode_reply(std::span<const char> datagram)
{
    if (datagram.size() < reply_header_size)
        return fail(Errc::protocol, "The mconsole reply is too short (" +
                                        std::to_string(datagram.size()) + " bytes).");
    ReplyPart part;
    part.err = static_cast<std::int32_t>(get_u32(datagram, 0));
    std::uint32_t more = get_u32(datagram, 4);
    std::uint32_t length = get_u32(datagram, 8);
    if (more > 1)
        return fail(Errc::protocol, "The mconsole reply has an invalid `more` field (" +
                                        std::to_string(more) + ").");
    if (length > max_data || length > datagram.size() - reply_header_size)
        return fail(Errc::protocol, "The mconsole reply's length (" + std::to_string(length) +
                                        ") exceeds its datagram.");
    part.more = more == 1;
    part.text.assign(datagram.data() + reply_header_size, length);
    // len counts the NUL; anything after a NUL is padding.
    if (auto nul = part.text.find('\0'); nul != std::string::npos)
        part.text.resize(nul);
    return part;
}

std::string encode_reply(std::int32_t err, bool more, std::string_view text)
{
    std::string out;
    put_u32(out, static_cast<std::uint32_t>(err));
    put_u32(out, more ? 1 : 0);
    put_u32(out, static_cast<std::uint32_t>(text.size() + 1));
    out.append(text);
    out.push_back('\0');
    return out;
}

Result<Notification> decode_notification(std::span<const char> datagram)
{
    if (datagram.size() < notify_header_size)
        return fail(Errc::protocol, "The mconsole notification is too short.");
    if (get_u32(datagram, 0) != magic)
        return fail(Errc::protocol, "The mconsole notification has a bad magic number.");
    if (get_u32(datagram, 4) != protocol_version)
        return fail(Errc::protocol, "The mconsole notification has protocol version " +
                                        std::to_string(get_u32(datagram, 4)) + ", not 2.");
    std::uint32_t type = get_u32(datagram, 8);
    if (type > static_cast<std::uint32_t>(NotifyType::user_notify))
        return fail(Errc::protocol,
                    "Unknown mconsole notification type " + std::to_string(type) + ".");
    std::uint32_t length = get_u32(datagram, 12);
    if (length > max_data || length > datagram.size() - notify_header_size)
        return fail(Errc::protocol, "The mconsole notification's length exceeds its datagram.");
    Notification note;
    note.type = static_cast<NotifyType>(type);
    note.text = trim_trailing(std::string(datagram.data() + notify_header_size, length),
                              std::string_view("\0\n", 2));
    return note;
}

std::string encode_notification(NotifyType type, std::string_view data)
{
    std::string out;
    put_u32(out, magic);
    put_u32(out, protocol_version);
    put_u32(out, static_cast<std::uint32_t>(type));
    put_u32(out, static_cast<std::uint32_t>(data.size()));
    out.append(data);
    return out;
}

bool raise_dgram_queue_length(unsigned length)
{
    // The guest sends its reply datagrams without blocking, so when our socket's queue
    // (net.unix.max_dgram_qlen, default 10) is full the rest of the reply is dropped:
    // `sysrq m` (15 datagrams) came back complete in 6 of 16 tries at 10, every time at 256
    // (reference/backends.md §1, pitfall 1). The limit is per network namespace and copied
    // into a socket when it is created, so raise it before creating ours. Only root may; a
    // session-mode daemon lives with the default, and the deadline catches what is lost.
    constexpr const char* knob = "/proc/sys/net/unix/max_dgram_qlen";
    unsigned current = 0;
    {
        std::ifstream in(knob);
        if (!(in >> current))
            return false;
    }
    if (current >= length)
        return true;
    if (geteuid() != 0)
        return false;
    std::ofstream out(knob);
    out << length << '\n';
    out.flush();
    return static_cast<bool>(out);
}

// ---------------------------------------------------------------------------------------
// The client.

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
    Impl(asio::any_io_executor executor, std::string path, ClientOptions options)
        : socket(executor), timer(executor), executor(executor), socket_path(std::move(path)),
          options(options)
    {}

    datagram::socket socket;
    asio::steady_timer timer;
    asio::any_io_executor executor;
    std::string socket_path;
    ClientOptions options;
    bool closed = false;

    // The queue: `busy` while a request runs; waiters are woken (cancelled) in order, and
    // the turn passes to the woken one without `busy` ever dropping.
    bool busy = false;
    std::deque<std::shared_ptr<asio::steady_timer>> waiters;

    // The running request: its number (so a late timer handler of an earlier one does
    // nothing) and why its socket operations were cancelled, if they were.
    std::uint64_t sequence = 0;
    bool in_flight = false;
    std::optional<Error> abort_reason;
    // Set when a request ended without its whole reply. Replies carry no request id, so
    // the rest may still come and would be taken for the next answer: the next request
    // starts on a new socket (a new address), and the old one's late datagrams are lost.
    bool replace_socket = false;

    awaitable<void> acquire()
    {
        if (!busy) {
            busy = true;
            co_return;
        }
        auto waiter = std::make_shared<asio::steady_timer>(executor,
                                                           asio::steady_timer::time_point::max());
        waiters.push_back(waiter);
        error_code ignored;
        co_await waiter->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }

    void release()
    {
        if (!waiters.empty()) {
            auto next = std::move(waiters.front());
            waiters.pop_front();
            next->cancel();
            return;
        }
        busy = false;
    }

    // Drops datagrams already queued: the tail of a reply whose request timed out would
    // otherwise be taken for the answer to this one.
    void drain_stale()
    {
        std::array<char, request_size> scratch;
        error_code ec;
        while (socket.is_open()) {
            socket.receive(asio::buffer(scratch), 0, ec);
            if (ec)
                break;
        }
    }

    // Opens and binds the socket: the kernel autobinds an abstract address (empty path),
    // so the guest can reply and no file is left behind.
    error_code open_socket()
    {
        error_code ec;
        if (socket.is_open())
            socket.close(ec);
        socket.open(datagram(), ec);
        if (!ec)
            socket.bind(datagram::endpoint(std::string()), ec);
        if (!ec)
            socket.non_blocking(true, ec);  // for drain_stale(); async ops do not mind
        return ec;
    }

    void cancel_in_flight(Error reason)
    {
        if (!in_flight || abort_reason)
            return;
        abort_reason = std::move(reason);
        error_code ignored;
        socket.cancel(ignored);
    }

    awaitable<Result<std::string>> run(std::string command);
    awaitable<Result<std::string>> exchange(const std::string& command, const std::string& wire);
};

awaitable<Result<std::string>> Client::Impl::run(std::string command)
{
    auto wire = encode_request(command);
    if (!wire)
        co_return std::unexpected(wire.error());
    if (closed)
        co_return fail(Errc::invalid_state, "The mconsole client is closed.");

    co_await acquire();
    struct Turn {
        Impl& impl;
        ~Turn() { impl.release(); }
    } turn{*this};

    if (closed)
        co_return fail(Errc::invalid_state, "The mconsole client is closed.");
    if (socket_path.empty())
        co_return fail(Errc::invalid_state,
                       "The guest has not announced its mconsole socket yet.");
    co_return co_await exchange(command, *wire);
}

awaitable<Result<std::string>> Client::Impl::exchange(const std::string& command,
                                                      const std::string& wire)
{
    if (replace_socket) {
        if (auto ec = open_socket())
            co_return fail(Errc::io, "Cannot re-create the mconsole client socket: " +
                                         ec.message() + ".", socket_path);
        replace_socket = false;
    }
    drain_stale();

    const std::uint64_t this_request = ++sequence;
    in_flight = true;
    abort_reason.reset();
    struct Done {
        Impl& impl;
        ~Done()
        {
            impl.in_flight = false;
            impl.timer.cancel();
        }
    } done{*this};

    timer.expires_after(options.timeout);
    timer.async_wait([weak = weak_from_this(), this_request](error_code ec) {
        auto impl = weak.lock();
        if (ec || !impl || impl->sequence != this_request)
            return;
        impl->cancel_in_flight(Error{Errc::timeout, {}, {}});
    });

    // Why a cancelled operation ended, as the error the caller sees.
    std::size_t parts_received = 0;
    auto cancelled = [&]() -> Error {
        replace_socket = true;
        if (closed)
            return Error{Errc::invalid_state, "The mconsole client was closed during `" +
                                                  command + "`.", socket_path};
        if (abort_reason && abort_reason->code != Errc::timeout)
            return *abort_reason;
        std::string ms = std::to_string(options.timeout.count()) + " ms";
        if (parts_received == 0)
            return Error{Errc::timeout,
                         "The guest did not answer the mconsole command `" + command +
                             "` within " + ms + ".", socket_path};
        return Error{Errc::timeout,
                     "The reply to the mconsole command `" + command + "` was cut short: " +
                         std::to_string(parts_received) +
                         " datagram(s) arrived but not the last one within " + ms +
                         " (datagrams were probably dropped; see net.unix.max_dgram_qlen).",
                     socket_path};
    };

    if (socket_path.size() > max_socket_path)
        co_return fail(Errc::invalid_argument, "The mconsole socket path is longer than " +
                                                   std::to_string(max_socket_path) + " bytes.",
                       socket_path);
    error_code ec;
    datagram::endpoint guest(socket_path);
    co_await socket.async_send_to(asio::buffer(wire), guest,
                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted)
        co_return std::unexpected(cancelled());
    if (ec)
        co_return fail(Errc::backend_failed,
                       "Cannot reach the guest's mconsole socket " + socket_path + ": " +
                           ec.message() + ".", socket_path);

    std::int32_t err = 0;
    std::string text;
    std::array<char, reply_header_size + max_data + 64> buffer;
    for (;;) {
        datagram::endpoint sender;
        std::size_t size = co_await socket.async_receive_from(
            asio::buffer(buffer), sender, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted)
            co_return std::unexpected(cancelled());
        if (ec) {
            replace_socket = true;
            co_return fail(Errc::io, "Receiving the mconsole reply to `" + command +
                                         "` failed: " + ec.message() + ".", socket_path);
        }
        // Our address is abstract, so anyone in the network namespace can send to it: take
        // replies only from the guest's socket.
        if (!same_socket_path(sender.path(), socket_path))
            continue;
        auto part = decode_reply(std::span<const char>(buffer.data(), size));
        if (!part) {
            replace_socket = true;
            co_return std::unexpected(part.error());
        }
        if (parts_received++ == 0)
            err = part->err;
        text += part->text;
        if (!part->more)
            break;
    }

    if (err != 0) {
        if (text.empty())
            text = err < 0 ? std::strerror(-err) : "error " + std::to_string(err);
        co_return fail(Errc::backend_failed, command + ": " + text, socket_path);
    }
    co_return text;
}

Result<Client> Client::create(asio::any_io_executor executor, std::string socket_path,
                              ClientOptions options)
{
    if (socket_path.size() > max_socket_path)
        return fail(Errc::invalid_argument, "The mconsole socket path is longer than " +
                                                std::to_string(max_socket_path) + " bytes.",
                    socket_path);
    raise_dgram_queue_length();
    auto impl = std::make_shared<Impl>(executor, std::move(socket_path), options);
    if (auto ec = impl->open_socket())
        return fail(Errc::io, "Cannot create the mconsole client socket: " + ec.message() + ".");
    return Client(std::move(impl));
}

Client::Client(std::shared_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&& other) noexcept
{
    if (this != &other) {
        close();
        m_impl = std::move(other.m_impl);
    }
    return *this;
}
Client::~Client() { close(); }

namespace {

// Asio's coroutines start suspended, so the Impl is held by a parameter, not reached
// through the handle, which may be gone (moved, closed, destroyed) by the time this runs.
awaitable<Result<std::string>> run_request(std::shared_ptr<Client::Impl> impl,
                                           std::string command)
{
    if (!impl)
        co_return fail(Errc::invalid_state, "The mconsole client is closed.");
    co_return co_await impl->run(std::move(command));
}

}  // namespace

awaitable<Result<std::string>> Client::request(std::string command)
{
    return run_request(m_impl, std::move(command));
}

void Client::set_socket_path(std::string socket_path)
{
    if (m_impl)
        m_impl->socket_path = std::move(socket_path);
}

const std::string& Client::socket_path() const
{
    static const std::string none;
    return m_impl ? m_impl->socket_path : none;
}

void Client::abort_current(Error error)
{
    if (m_impl)
        m_impl->cancel_in_flight(std::move(error));
}

void Client::close()
{
    if (!m_impl || m_impl->closed)
        return;
    Impl& impl = *m_impl;
    impl.closed = true;
    error_code ignored;
    impl.timer.cancel();
    impl.socket.cancel(ignored);
    impl.socket.close(ignored);
    // Wake every queued request; each sees `closed` and fails.
    for (auto& waiter : impl.waiters)
        waiter->cancel();
}

// ---------------------------------------------------------------------------------------
// The notify listener.

struct NotifyListener::Impl : std::enable_shared_from_this<NotifyListener::Impl> {
    Impl(asio::any_io_executor executor, std::string path,
         std::function<void(Notification)> handler)
        : socket(executor), path(std::move(path)), handler(std::move(handler))
    {}

    datagram::socket socket;
    std::string path;
    std::function<void(Notification)> handler;
    bool closed = false;

    // Static, with the Impl as a parameter: co_spawn may start it after the handle is gone.
    static awaitable<void> listen(std::shared_ptr<Impl> self)
    {
        Impl& impl = *self;
        auto& socket = impl.socket;
        auto& closed = impl.closed;
        std::array<char, notify_header_size + max_data + 64> buffer;
        while (!closed) {
            error_code ec;
            std::size_t size = co_await socket.async_receive(
                asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
            if (closed || ec == asio::error::operation_aborted)
                break;
            if (ec == asio::error::interrupted || ec == asio::error::no_buffer_space)
                continue;  // transient; keep listening
            if (ec)
                break;  // the socket is unusable: looping would spin
            // A malformed datagram is ignored: the socket is private to the daemon and the
            // guest, and one bad datagram must not stop the notifications that follow.
            auto note = decode_notification(std::span<const char>(buffer.data(), size));
            if (note && impl.handler)
                impl.handler(std::move(*note));
        }
    }
};

Result<NotifyListener> NotifyListener::create(asio::any_io_executor executor, std::string path,
                                              std::function<void(Notification)> handler)
{
    if (path.empty() || path.size() > max_socket_path)
        return fail(Errc::invalid_argument,
                    "The notify socket path must have 1 to " + std::to_string(max_socket_path) +
                        " bytes.", path);
    // A daemon that was killed leaves its socket file behind, and bind() would fail with
    // EADDRINUSE; the guest only knows the path, so take it over.
    std::error_code fs_error;
    if (std::filesystem::is_socket(std::filesystem::symlink_status(path, fs_error)))
        std::filesystem::remove(path, fs_error);

    auto impl = std::make_shared<Impl>(executor, path, std::move(handler));
    error_code ec;
    impl->socket.open(datagram(), ec);
    if (!ec)
        impl->socket.bind(datagram::endpoint(path), ec);
    if (ec)
        return fail(Errc::io, "Cannot listen for mconsole notifications at " + path + ": " +
                                  ec.message() + ".", path);
    // The guest, which may run under a uid of its own, sends here: its directory (which it
    // alone may enter) is what guards the socket, not the socket's mode.
    (void)::chmod(path.c_str(), 0666);
    asio::co_spawn(executor, Impl::listen(impl), asio::detached);
    return NotifyListener(std::move(impl));
}

NotifyListener::NotifyListener(std::shared_ptr<Impl> impl) : m_impl(std::move(impl)) {}
NotifyListener::NotifyListener(NotifyListener&&) noexcept = default;
NotifyListener& NotifyListener::operator=(NotifyListener&& other) noexcept
{
    if (this != &other) {
        close();
        m_impl = std::move(other.m_impl);
    }
    return *this;
}
NotifyListener::~NotifyListener() { close(); }

const std::string& NotifyListener::path() const
{
    static const std::string none;
    return m_impl ? m_impl->path : none;
}

void NotifyListener::close()
{
    if (!m_impl || m_impl->closed)
        return;
    m_impl->closed = true;
    m_impl->handler = nullptr;
    error_code ignored;
    m_impl->socket.cancel(ignored);
    m_impl->socket.close(ignored);
    std::error_code fs_error;
    std::filesystem::remove(m_impl->path, fs_error);
}

}  // namespace uxl::mconsole
