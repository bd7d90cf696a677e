// The QMP client (see qmp.h for the protocol).
//
// How it runs, on the loop thread:
//   1. connect: connect the stream socket, start the reader, wait for the greeting (the
//      first line), then run `qmp_capabilities` like any other command;
//   2. a command: give it the next id, register it as pending, queue its line for the
//      writer, and wait on its timer, which is both its deadline and its wake-up call;
//   3. the reader reads line after line: an answer is matched to its pending command by id
//      (it stores the outcome and cancels the timer), an event goes to the handler, and an
//      answer nobody waits for (an unknown id, or one that timed out) is dropped;
//   4. EOF or a socket error ends the connection once: every pending command fails and the
//      disconnect handler hears why.
// Coroutines hold a shared_ptr to the Impl, so a handle destroyed mid-command is safe: the
// socket is closed, the coroutines wake and finish on their own.
#include "qemu/qmp.h"

#include <nlohmann/json.hpp>

#include <sys/un.h>

#include <cstdint>
#include <map>
#include <optional>

namespace uxl::qmp {

namespace {

using boost::system::error_code;
using stream = asio::local::stream_protocol;
using Json = nlohmann::json;

constexpr std::size_t max_socket_path = sizeof(sockaddr_un{}.sun_path) - 1;
// The longest answer QEMU 7.2 gives, query-qmp-schema, is a few hundred KiB; the limit
// only stops a peer that never sends a newline from growing our buffer without end.
constexpr std::size_t max_line = 16 << 20;

std::string milliseconds_text(std::chrono::milliseconds duration)
{
    return std::to_string(duration.count()) + " ms";
}

// JSON text for the wire. Strings that are not valid UTF-8 (a path, say) would make
// nlohmann throw; QEMU expects UTF-8 anyway, so invalid bytes become U+FFFD.
std::string to_line(const Json& message)
{
    return message.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

// nlohmann's value() throws when a member has another type than asked for; these never do.
std::string string_member(const Json& object, const char* key)
{
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const Json& object_member(const Json& object, const char* key)
{
    static const Json empty = Json::object();
    auto it = object.find(key);
    return it != object.end() && it->is_object() ? *it : empty;
}

Greeting read_greeting(const Json& qmp)
{
    Greeting greeting;
    const Json& version = object_member(qmp, "version");
    const Json& qemu = object_member(version, "qemu");
    auto number = [&](const char* key) {
        auto it = qemu.find(key);
        return it != qemu.end() && it->is_number_integer() ? std::to_string(it->get<long>()) : "0";
    };
    greeting.version = number("major") + "." + number("minor") + "." + number("micro");
    greeting.package = string_member(version, "package");
    if (auto it = qmp.find("capabilities"); it != qmp.end() && it->is_array()) {
        for (const Json& capability : *it) {
            if (capability.is_string())
                greeting.capabilities.push_back(capability.get<std::string>());
        }
    }
    return greeting;
}

}  // namespace

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
    // One command waiting for its answer. The reader stores the outcome and cancels the
    // timer; a wait that ends other than by cancellation is the deadline.
    struct Pending {
        Pending(asio::any_io_executor executor, std::string command)
            : timer(std::move(executor)), command(std::move(command))
        {}
        asio::steady_timer timer;
        std::string command;
        std::optional<Result<std::string>> outcome;
    };

    Impl(asio::any_io_executor executor, std::string path, ClientOptions options)
        : socket(executor), greeting_timer(executor), executor(executor), path(std::move(path)),
          options(std::move(options))
    {}

    stream::socket socket;
    asio::steady_timer greeting_timer;  // cancelled when the greeting comes (or never will)
    asio::any_io_executor executor;
    std::string path;
    ClientOptions options;

    std::optional<Greeting> greeting;
    bool closed = false;         // by close()
    std::optional<Error> ended;  // the connection ended by itself, and why

    std::uint64_t last_id = 0;
    std::map<std::uint64_t, std::shared_ptr<Pending>> pending;

    // Lines not yet written, and whether the writer is running: commands may be sent while
    // an earlier write is still in progress, and two writes must never overlap.
    std::string outbox;
    bool writing = false;
    std::string inbox;

    bool usable() const { return !closed && !ended; }

    awaitable<Result<std::string>> run(std::string command, std::string arguments);
    void send(std::string line);
    void dispatch(const std::string& line);
    void answer(const Json& message);
    void end(Error error);
    void close();

    static awaitable<void> read_loop(std::shared_ptr<Impl> self);
    static awaitable<void> write_loop(std::shared_ptr<Impl> self);
};

awaitable<Result<std::string>> Client::Impl::run(std::string command, std::string arguments)
{
    Json request = {{"execute", command}};
    if (!arguments.empty()) {
        Json parsed = Json::parse(arguments, nullptr, /*allow_exceptions=*/false);
        if (parsed.is_discarded() || !parsed.is_object())
            co_return fail(Errc::invalid_argument,
                           "The arguments of the QMP command `" + command +
                               "' must be a JSON object.",
                           path);
        request["arguments"] = std::move(parsed);
    }
    if (closed)
        co_return fail(Errc::invalid_state, "The QMP client is closed.", path);
    if (ended)
        co_return fail(Errc::invalid_state, ended->message, path);

    const std::uint64_t id = ++last_id;
    request["id"] = id;
    auto entry = std::make_shared<Pending>(executor, command);
    pending.emplace(id, entry);
    entry->timer.expires_after(options.timeout);
    send(to_line(request));

    error_code ec;
    co_await entry->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // Whatever woke us, this id is done: an answer that still comes is dropped.
    pending.erase(id);
    if (entry->outcome)
        co_return std::move(*entry->outcome);
    if (closed)
        co_return fail(Errc::invalid_state,
                       "The QMP client was closed during `" + command + "'.", path);
    co_return fail(Errc::timeout,
                   "QEMU did not answer the QMP command `" + command + "' within " +
                       milliseconds_text(options.timeout) + ".",
                   path);
}

void Client::Impl::send(std::string line)
{
    outbox += line;
    if (writing)
        return;
    writing = true;
    asio::co_spawn(executor, write_loop(shared_from_this()), asio::detached);
}

awaitable<void> Client::Impl::write_loop(std::shared_ptr<Impl> self)
{
    Impl& impl = *self;
    while (!impl.outbox.empty() && impl.usable()) {
        std::string chunk;
        chunk.swap(impl.outbox);
        error_code ec;
        // Asio sends with MSG_NOSIGNAL: a peer that is gone is an EPIPE here, not a SIGPIPE.
        co_await asio::async_write(impl.socket, asio::buffer(chunk),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec && impl.usable())
            impl.end(Error{Errc::io, "writing to it failed: " + ec.message(), impl.path});
    }
    impl.writing = false;
}

awaitable<void> Client::Impl::read_loop(std::shared_ptr<Impl> self)
{
    Impl& impl = *self;
    while (impl.usable()) {
        error_code ec;
        std::size_t size = co_await asio::async_read_until(
            impl.socket, asio::dynamic_buffer(impl.inbox, max_line), '\n',
            asio::redirect_error(asio::use_awaitable, ec));
        if (!impl.usable())
            break;
        if (ec == asio::error::eof) {
            impl.end(Error{Errc::io, "QEMU closed it", impl.path});
            break;
        }
        if (ec == asio::error::not_found) {
            impl.end(Error{Errc::protocol,
                           "QEMU sent a message longer than " + std::to_string(max_line >> 20) +
                               " MiB",
                           impl.path});
            break;
        }
        if (ec) {
            impl.end(Error{Errc::io, "reading from it failed: " + ec.message(), impl.path});
            break;
        }
        std::string line = impl.inbox.substr(0, size);
        impl.inbox.erase(0, size);
        impl.dispatch(line);
    }
}

void Client::Impl::dispatch(const std::string& line)
{
    // QEMU sends only JSON objects. Anything else is dropped rather than fatal: the command
    // it might have answered then times out, and the connection carries on.
    Json message = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (message.is_discarded() || !message.is_object())
        return;

    if (!greeting) {
        auto qmp = message.find("QMP");
        if (qmp == message.end() || !qmp->is_object()) {
            end(Error{Errc::protocol, "the peer did not greet as QMP does", path});
            return;
        }
        greeting = read_greeting(*qmp);
        greeting_timer.cancel();
        return;
    }

    if (auto event = message.find("event"); event != message.end() && event->is_string()) {
        Event delivered;
        delivered.name = event->get<std::string>();
        if (auto data = message.find("data"); data != message.end())
            delivered.data = data->dump(-1, ' ', false, Json::error_handler_t::replace);
        // A copy: the handler may close the client, which drops the original.
        auto handler = options.on_event;
        if (handler)
            handler(std::move(delivered));
        return;
    }
    answer(message);
}

void Client::Impl::answer(const Json& message)
{
    // Every command we send has an unsigned id; an answer without one (QEMU's reply to a
    // line it could not parse) or with an id nobody waits for any more is dropped.
    auto id = message.find("id");
    if (id == message.end() || !id->is_number_unsigned())
        return;
    auto found = pending.find(id->get<std::uint64_t>());
    if (found == pending.end())
        return;
    Pending& entry = *found->second;
    if (auto result = message.find("return"); result != message.end()) {
        entry.outcome = result->dump(-1, ' ', false, Json::error_handler_t::replace);
    } else if (auto error = message.find("error"); error != message.end() && error->is_object()) {
        std::string desc = string_member(*error, "desc");
        if (desc.empty())
            desc = "QEMU refused `" + entry.command + "' without saying why.";
        entry.outcome = fail(Errc::backend_failed, std::move(desc),
                             string_member(*error, "class"));
    } else {
        return;
    }
    entry.timer.cancel();
    pending.erase(found);
}

void Client::Impl::end(Error error)
{
    if (!usable())
        return;
    error.message = "QEMU's QMP connection ended: " + error.message + ".";
    ended = error;
    error_code ignored;
    socket.close(ignored);
    greeting_timer.cancel();
    for (auto& [id, entry] : pending) {
        entry->outcome = fail(error.code,
                              "QEMU's QMP connection ended before it answered `" +
                                  entry->command + "'.",
                              path);
        entry->timer.cancel();
    }
    pending.clear();
    auto handler = options.on_disconnect;
    if (handler)
        handler(std::move(error));
}

void Client::Impl::close()
{
    if (closed)
        return;
    closed = true;
    options.on_event = nullptr;
    options.on_disconnect = nullptr;
    error_code ignored;
    socket.cancel(ignored);
    socket.close(ignored);
    greeting_timer.cancel();
    // Each waiting command wakes without an outcome and reports the close itself.
    for (auto& [id, entry] : pending)
        entry->timer.cancel();
    pending.clear();
}

namespace {

awaitable<Result<std::shared_ptr<Client::Impl>>> open(asio::any_io_executor executor,
                                                      std::string path, ClientOptions options)
{
    if (path.empty() || path.size() > max_socket_path)
        co_return fail(Errc::invalid_argument,
                       "The QMP socket path must have 1 to " + std::to_string(max_socket_path) +
                           " bytes.",
                       path);
    auto impl = std::make_shared<Client::Impl>(executor, path, std::move(options));
    const std::chrono::milliseconds timeout = impl->options.timeout;

    error_code ec;
    co_await impl->socket.async_connect(stream::endpoint(path),
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
        co_return fail(Errc::io,
                       "Cannot connect to QEMU's QMP socket " + path + ": " + ec.message() + ".",
                       path);

    impl->greeting_timer.expires_after(timeout);
    asio::co_spawn(executor, Client::Impl::read_loop(impl), asio::detached);
    co_await impl->greeting_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!impl->greeting) {
        std::optional<Error> why = impl->ended;
        impl->close();
        if (why)
            co_return std::unexpected(*why);
        co_return fail(Errc::timeout,
                       "QEMU sent no QMP greeting on " + path + " within " +
                           milliseconds_text(timeout) + ".",
                       path);
    }

    // Until this is answered QEMU refuses every other command (CommandNotFound).
    auto negotiated = co_await impl->run("qmp_capabilities", {});
    if (!negotiated) {
        impl->close();
        co_return std::unexpected(negotiated.error());
    }
    co_return impl;
}

// Asio's coroutines start suspended, so the Impl is held by a parameter, not reached
// through the handle, which may be gone (moved, closed, destroyed) by the time this runs.
awaitable<Result<std::string>> run_command(std::shared_ptr<Client::Impl> impl,
                                           std::string command, std::string arguments)
{
    if (!impl)
        co_return fail(Errc::invalid_state, "The QMP client is closed.");
    co_return co_await impl->run(std::move(command), std::move(arguments));
}

}  // namespace

awaitable<Result<Client>> Client::connect(asio::any_io_executor executor, std::string path,
                                          ClientOptions options)
{
    auto impl = co_await open(std::move(executor), std::move(path), std::move(options));
    if (!impl)
        co_return std::unexpected(impl.error());
    co_return Client(std::move(*impl));
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

awaitable<Result<std::string>> Client::execute(std::string command, std::string arguments)
{
    return run_command(m_impl, std::move(command), std::move(arguments));
}

const Greeting& Client::greeting() const
{
    static const Greeting none;
    return m_impl && m_impl->greeting ? *m_impl->greeting : none;
}

bool Client::connected() const { return m_impl && m_impl->usable(); }

void Client::close()
{
    if (m_impl)
        m_impl->close();
}

}  // namespace uxl::qmp
