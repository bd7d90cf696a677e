// The control socket: accepts `uxl` clients, checks who they are, reads one request per
// line and answers it (protocol.h). A malformed, oversized or slow client gets an error or
// is dropped; the daemon carries on.
#pragma once

#include "daemon_log.h"
#include "domain_manager.h"

#include "uxl/asio.h"

#include <string>

namespace uxl::daemon {

class ControlServer {
public:
    ControlServer(asio::any_io_executor executor, DomainManager& manager, DaemonLog& log,
                  bool system_mode);

    // Binds the socket (refusing to steal it from a live uxld) and starts accepting.
    Result<void> listen(const std::string& path);
    void close();

private:
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(asio::local::stream_protocol::socket socket);
    asio::awaitable<void> drain(asio::local::stream_protocol::socket& socket);
    asio::awaitable<protocol::Reply> handle(protocol::DecodedRequest request,
                                            asio::local::stream_protocol::socket& socket,
                                            bool& switched_to_console);
    bool peer_allowed(int fd, std::string& who) const;
    // Whether the client on `fd` is root (or uxld's own user): group uxl members are not.
    static bool client_is_root(int fd);

    asio::any_io_executor m_executor;
    DomainManager& m_manager;
    DaemonLog& m_log;
    bool m_system_mode;
    asio::local::stream_protocol::acceptor m_acceptor;
    bool m_accept_failing = false;  // accept() failed last time (logged once per run of failures)
    std::size_t m_sessions = 0;     // control sessions open now (not console streams)
    bool m_full = false;            // the last client was turned away (logged once per run)
    std::string m_path;
};

}  // namespace uxl::daemon
