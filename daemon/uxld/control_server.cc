#include "control_server.h"

#include "guarded.h"

#include <array>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace uxl::daemon {

using asio::local::stream_protocol;

namespace {

constexpr auto k_request_timeout = std::chrono::seconds(60);
// At most this many control sessions at once: each may hold up to a request line
// (protocol::k_max_line) in memory, so this bounds what hostile clients can make uxld hold.
// Console streams do not count; a session waiting for a domain (`shutdown -w`) does.
constexpr std::size_t k_max_sessions = 512;

// Counts a session for as long as its coroutine lives.
class SessionCount {
public:
    explicit SessionCount(std::size_t& count) : m_count(count) { ++m_count; }
    ~SessionCount() { --m_count; }
    SessionCount(const SessionCount&) = delete;
    SessionCount& operator=(const SessionCount&) = delete;

private:
    std::size_t& m_count;
};

protocol::Reply error_reply(std::uint64_t id, Error error)
{
    protocol::Reply r;
    r.id = id;
    r.error = std::move(error);
    return r;
}

template <class T>
protocol::Reply reply_from(std::uint64_t id, const Result<T>& result)
{
    if (!result)
        return error_reply(id, result.error());
    protocol::Reply r;
    r.id = id;
    return r;
}

// Copies bytes one way until either side closes; then closes both, which ends the other
// direction too.
asio::awaitable<void> pump(stream_protocol::socket& from, stream_protocol::socket& to)
{
    std::array<char, 4096> buf;
    boost::system::error_code ec;
    for (;;) {
        std::size_t n = co_await from.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            break;
        co_await asio::async_write(to, asio::buffer(buf.data(), n), asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            break;
    }
    from.close(ec);
    to.close(ec);
}

}  // namespace

ControlServer::ControlServer(asio::any_io_executor executor, DomainManager& manager, DaemonLog& log,
                             bool system_mode)
    : m_executor(executor), m_manager(manager), m_log(log), m_system_mode(system_mode),
      m_acceptor(executor)
{
}

Result<void> ControlServer::listen(const std::string& path)
{
    // A socket file that answers belongs to a running uxld: never take it over.
    {
        stream_protocol::socket probe(m_executor);
        boost::system::error_code ec;
        probe.connect(stream_protocol::endpoint(path), ec);
        if (!ec)
            return fail(Errc::already_exists, "another uxld is already running on " + path);
    }
    ::unlink(path.c_str());
    boost::system::error_code ec;
    m_acceptor.open(stream_protocol(), ec);
    if (!ec)
        m_acceptor.bind(stream_protocol::endpoint(path), ec);
    if (!ec)
        m_acceptor.listen(64, ec);
    if (ec)
        return fail(Errc::io, "cannot listen on " + path + ": " + ec.message());
    ::fcntl(m_acceptor.native_handle(), F_SETFD, FD_CLOEXEC);
    m_path = path;
    if (m_system_mode) {
        // root and the members of group uxl may talk to the daemon.
        if (struct group* g = ::getgrnam("uxl"))
            (void)::chown(path.c_str(), 0, g->gr_gid);
        ::chmod(path.c_str(), 0660);
    } else {
        ::chmod(path.c_str(), 0600);
    }
    spawn_guarded(m_executor, m_log, "the control socket", accept_loop());
    return {};
}

void ControlServer::close()
{
    boost::system::error_code ec;
    m_acceptor.close(ec);
    if (!m_path.empty())
        ::unlink(m_path.c_str());
}

bool ControlServer::client_is_root(int fd)
{
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return false;
    return cred.uid == 0 || cred.uid == ::geteuid();
}

bool ControlServer::peer_allowed(int fd, std::string& who) const
{
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return false;
    who = "uid " + std::to_string(cred.uid) + " pid " + std::to_string(cred.pid);
    if (cred.uid == 0 || cred.uid == ::geteuid())
        return true;
    struct group* g = ::getgrnam("uxl");
    if (!g)
        return false;
    if (cred.gid == g->gr_gid)
        return true;
    struct passwd* pw = ::getpwuid(cred.uid);
    if (!pw)
        return false;
    int count = 64;
    std::vector<gid_t> groups(static_cast<size_t>(count));
    if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count) < 0)
        return false;
    groups.resize(static_cast<size_t>(count));
    return std::find(groups.begin(), groups.end(), g->gr_gid) != groups.end();
}

asio::awaitable<void> ControlServer::accept_loop()
{
    for (;;) {
        boost::system::error_code ec;
        stream_protocol::socket socket = co_await m_acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || !m_acceptor.is_open())
                co_return;
            // Out of file descriptors (or memory): accept fails at once for as long as it
            // lasts, so retrying at once would spin. Say so once, and wait a little.
            if (!m_accept_failing)
                m_log.write("cannot accept clients: " + ec.message() + "; retrying");
            m_accept_failing = true;
            asio::steady_timer pause(m_executor);
            pause.expires_after(std::chrono::milliseconds(200));
            boost::system::error_code ignored;
            co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
            continue;
        }
        m_accept_failing = false;
        ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
        std::string who;
        if (!peer_allowed(socket.native_handle(), who)) {
            m_log.write("refused a client (" + who + "): not root and not in group uxl");
            const std::string line = protocol::encode_reply(error_reply(
                0, Error{Errc::invalid_argument, "permission denied: only root and members of group uxl may use uxld", {}}));
            boost::system::error_code ignored;
            asio::write(socket, asio::buffer(line), ignored);
            continue;
        }
        if (m_sessions >= k_max_sessions) {
            if (!m_full)
                m_log.write("turning clients away: " + std::to_string(k_max_sessions) + " control sessions are open");
            m_full = true;
            const std::string line = protocol::encode_reply(error_reply(
                0, Error{Errc::invalid_state,
                         "uxld is serving " + std::to_string(k_max_sessions) + " clients already; try again later", {}}));
            (void)::send(socket.native_handle(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            continue;
        }
        m_full = false;
        spawn_guarded(m_executor, m_log, "a control session", session(std::move(socket)));
    }
}

// Reads and drops what a client still sends, until it closes, 16 MiB have come, or 5 s.
asio::awaitable<void> ControlServer::drain(stream_protocol::socket& socket)
{
    asio::steady_timer timer(m_executor);
    timer.expires_after(std::chrono::seconds(5));
    auto active = std::make_shared<bool>(true);  // as in session(): the handler may be queued
    timer.async_wait([&socket, active](const boost::system::error_code& e) {
        if (!e && *active) {
            boost::system::error_code ignored;
            socket.close(ignored);
        }
    });
    std::array<char, 16384> scratch;
    std::size_t total = 0;
    boost::system::error_code ec;
    while (!ec && total < (16u << 20)) {
        total += co_await socket.async_read_some(asio::buffer(scratch),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    *active = false;
    timer.cancel();
}

asio::awaitable<void> ControlServer::session(stream_protocol::socket socket)
{
    SessionCount counted(m_sessions);
    boost::system::error_code ec;
    const std::string greeting = protocol::encode_greeting(UXL_VERSION);
    co_await asio::async_write(socket, asio::buffer(greeting), asio::redirect_error(asio::use_awaitable, ec));
    std::string buffer;
    asio::steady_timer timer(m_executor);
    while (!ec) {
        // A client that sends nothing, or half a line, for too long is dropped.
        // `reading` guards against the timer firing just as the read completes: its
        // handler may already be queued when cancel() is called.
        auto reading = std::make_shared<bool>(true);
        timer.expires_after(k_request_timeout);
        timer.async_wait([&socket, reading](const boost::system::error_code& e) {
            if (!e && *reading) {
                boost::system::error_code ignored;
                socket.close(ignored);
            }
        });
        std::size_t n = co_await asio::async_read_until(
            socket, asio::dynamic_buffer(buffer, protocol::k_max_line + 1), '\n',
            asio::redirect_error(asio::use_awaitable, ec));
        *reading = false;
        timer.cancel();
        if (ec == asio::error::not_found) {
            const std::string line = protocol::encode_reply(
                error_reply(0, Error{Errc::protocol, "request too long", {}}));
            boost::system::error_code ignored;
            co_await asio::async_write(socket, asio::buffer(line), asio::redirect_error(asio::use_awaitable, ignored));
            // Closing with unread bytes would reset the connection, and the client could
            // lose the reply: half-close, then read and drop what it still sends (bounded).
            socket.shutdown(stream_protocol::socket::shutdown_send, ignored);
            co_await drain(socket);
            co_return;
        }
        if (ec)
            co_return;
        std::string line = buffer.substr(0, n - 1);
        buffer.erase(0, n);
        if (line.empty())
            continue;

        protocol::Reply reply;
        bool console = false;
        auto decoded = protocol::decode_request(line);
        if (!decoded) {
            reply = error_reply(protocol::peek_request_id(line), decoded.error());
        } else {
            const std::uint64_t id = decoded->id;
            try {
                reply = co_await handle(std::move(*decoded), socket, console);
            } catch (const std::exception& e) {
                // The request boundary, where third-party exceptions and bugs end (STYLE.md):
                // this request fails, uxld and its other clients carry on.
                m_log.write(std::string("internal error in a request: ") + e.what());
                reply = error_reply(id, Error{Errc::internal, std::string("internal error: ") + e.what(), {}});
            }
        }
        if (console)
            co_return;  // the socket now belongs to the console proxy
        const std::string out = protocol::encode_reply(reply);
        co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<protocol::Reply> ControlServer::handle(protocol::DecodedRequest request,
                                                       stream_protocol::socket& socket,
                                                       bool& switched_to_console)
{
    const std::uint64_t id = request.id;
    protocol::Reply reply;
    reply.id = id;

    if (auto* r = std::get_if<protocol::CreateRequest>(&request.request)) {
        const bool root_client = client_is_root(socket.native_handle());
        auto domid = co_await m_manager.create(*r, root_client);
        if (!domid)
            co_return error_reply(id, domid.error());
        reply.domid = *domid;
        co_return reply;
    }
    if (auto* r = std::get_if<protocol::ListRequest>(&request.request)) {
        auto domains = m_manager.list(r->domain, r->long_format, r->vcpus);
        if (!domains)
            co_return error_reply(id, domains.error());
        reply.domains = std::move(*domains);
        co_return reply;
    }
    if (auto* r = std::get_if<protocol::ShutdownRequest>(&request.request)) {
        if (!r->all)
            co_return reply_from(id, co_await m_manager.shutdown(r->domain, r->reboot, r->fallback));
        for (int domid : m_manager.guest_domids()) {
            auto done = co_await m_manager.shutdown(std::to_string(domid), r->reboot, r->fallback);
            if (!done && done.error().code != Errc::invalid_state)
                m_log.write("shutdown of domain " + std::to_string(domid) + " failed: " + done.error().message);
        }
        co_return reply;
    }
    if (auto* r = std::get_if<protocol::WaitRequest>(&request.request)) {
        auto info = co_await m_manager.wait(r->domain, r->death_only, r->timeout_seconds);
        if (!info)
            co_return error_reply(id, info.error());
        reply.domains.push_back(std::move(*info));
        co_return reply;
    }
    if (auto* r = std::get_if<protocol::DomainRequest>(&request.request)) {
        switch (r->op) {
        case protocol::DomainRequest::Op::destroy:
            co_return reply_from(id, co_await m_manager.destroy(r->domain));
        case protocol::DomainRequest::Op::pause:
            co_return reply_from(id, co_await m_manager.pause(r->domain, true));
        case protocol::DomainRequest::Op::unpause:
            co_return reply_from(id, co_await m_manager.pause(r->domain, false));
        case protocol::DomainRequest::Op::vnc: {
            auto address = co_await m_manager.vnc_address(r->domain);
            if (!address)
                co_return error_reply(id, address.error());
            reply.text = std::move(*address);
            co_return reply;
        }
        case protocol::DomainRequest::Op::lookup: {
            auto found = m_manager.lookup(r->domain);
            if (!found)
                co_return error_reply(id, found.error());
            reply.domid = found->first;
            reply.name = found->second;
            co_return reply;
        }
        case protocol::DomainRequest::Op::console: {
            auto console = co_await m_manager.console(r->domain, r->console_type);
            if (!console)
                co_return error_reply(id, console.error());
            boost::system::error_code ec;
            const std::string ok = protocol::encode_reply(reply);
            co_await asio::async_write(socket, asio::buffer(ok), asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                co_return reply;
            switched_to_console = true;
            auto client = std::make_shared<stream_protocol::socket>(std::move(socket));
            auto guest = std::make_shared<stream_protocol::socket>(std::move(*console));
            asio::co_spawn(m_executor, [client, guest]() -> asio::awaitable<void> { co_await pump(*client, *guest); },
                           asio::detached);
            asio::co_spawn(m_executor, [client, guest]() -> asio::awaitable<void> { co_await pump(*guest, *client); },
                           asio::detached);
            co_return reply;
        }
        }
    }
    if (auto* r = std::get_if<protocol::RenameRequest>(&request.request))
        co_return reply_from(id, m_manager.rename(r->domain, r->new_name));
    if (auto* r = std::get_if<protocol::SysrqRequest>(&request.request))
        co_return reply_from(id, co_await m_manager.sysrq(r->domain, r->key));
    if (auto* r = std::get_if<protocol::CdromRequest>(&request.request))
        co_return reply_from(id, co_await m_manager.change_cdrom(r->domain, r->spec));
    if (auto* r = std::get_if<protocol::VcpuSetRequest>(&request.request))
        co_return reply_from(id, co_await m_manager.set_vcpus(r->domain, r->vcpus));
    if (auto* r = std::get_if<protocol::VcpuPinRequest>(&request.request))
        co_return reply_from(id, m_manager.pin_vcpus(*r));
    if (auto* r = std::get_if<protocol::SchedCreditRequest>(&request.request))
        co_return reply_from(id, m_manager.set_sched_credit(*r));
    if (auto* r = std::get_if<protocol::TriggerRequest>(&request.request))
        co_return reply_from(id, co_await m_manager.trigger(r->domain, r->trigger, r->vcpu));
    if (std::get_if<protocol::InfoRequest>(&request.request)) {
        reply.info = m_manager.host_info();
        co_return reply;
    }
    if (auto* r = std::get_if<protocol::DmesgRequest>(&request.request)) {
        reply.text = m_log.tail();
        if (r->clear)
            m_log.clear();
        co_return reply;
    }
    if (auto* r = std::get_if<protocol::DeviceAttachRequest>(&request.request)) {
        const bool root_client = client_is_root(socket.native_handle());
        auto device = co_await m_manager.attach_device(*r, root_client);
        if (!device)
            co_return error_reply(id, device.error());
        reply.devices.push_back(std::move(*device));
        co_return reply;
    }
    if (auto* r = std::get_if<protocol::MemSetRequest>(&request.request))
        co_return reply_from(id, co_await m_manager.set_memory(r->domain, r->target_kb));
    if (auto* r = std::get_if<protocol::DeviceDetachRequest>(&request.request))
        co_return reply_from(id, co_await m_manager.detach_device(*r));
    if (auto* r = std::get_if<protocol::DeviceListRequest>(&request.request)) {
        auto devices = m_manager.devices(r->domain, r->kind);
        if (!devices)
            co_return error_reply(id, devices.error());
        reply.devices = std::move(*devices);
        co_return reply;
    }
    co_return error_reply(id, Error{Errc::protocol, "unknown request", {}});
}

}  // namespace uxl::daemon
