#include "daemon_client.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

namespace uxl::cli {
namespace {

// Replies can be long (`list -l` with every stored config), far longer than a request.
constexpr std::size_t k_max_reply = 64 * protocol::k_max_line;

std::string errno_text(int error)
{
    return std::strerror(error);
}

// The sentence for a daemon that is not there, with the way to start it that fits the mode.
std::string unreachable(std::string_view program, const std::string& path, int error)
{
    const bool root = ::geteuid() == 0;
    return std::string(program) + ": cannot reach uxld at " + path + " (" + errno_text(error) +
           "); start it with \"uxld\"" + (root ? " or \"systemctl start uxld\"" : "");
}

// Writes all of `data`: to the daemon's socket with send(MSG_NOSIGNAL), so that a daemon
// gone away is an error and not SIGPIPE; to anything else (the terminal, a pipe) with
// write(2).
bool write_fully(int fd, std::string_view data, bool to_socket)
{
    while (!data.empty()) {
        ssize_t n = to_socket ? ::send(fd, data.data(), data.size(), MSG_NOSIGNAL)
                              : ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

int remaining_ms(std::optional<std::chrono::steady_clock::time_point> deadline)
{
    if (!deadline)
        return -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::string socket_path_for(const char* uxl_socket, bool is_root, const char* xdg_runtime_dir,
                            unsigned uid)
{
    if (uxl_socket && *uxl_socket)
        return uxl_socket;
    if (is_root)
        return "/run/uxl/uxld.sock";
    if (xdg_runtime_dir && *xdg_runtime_dir)
        return std::string(xdg_runtime_dir) + "/uxl/uxld.sock";
    return "/run/user/" + std::to_string(uid) + "/uxl/uxld.sock";
}

std::string default_socket_path()
{
    return socket_path_for(std::getenv("UXL_SOCKET"), ::geteuid() == 0,
                           std::getenv("XDG_RUNTIME_DIR"), ::geteuid());
}

Result<DaemonClient> DaemonClient::connect(const std::string& path, std::string_view program,
                                           std::chrono::milliseconds timeout)
{
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path)
        return fail(Errc::io, unreachable(program, path, ENAMETOOLONG));
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);

    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(Errc::io, unreachable(program, path, errno));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        int error = errno;
        ::close(fd);
        return fail(Errc::io, unreachable(program, path, error));
    }

    DaemonClient client(fd, path);
    auto line = client.read_line(std::chrono::steady_clock::now() + timeout);
    if (!line)
        return fail(Errc::protocol, std::string(program) + ": " + path +
                                        " did not greet as uxld does (" + line.error().message + ")");
    auto version = protocol::decode_greeting(*line);
    if (!version)
        return fail(Errc::protocol, std::string(program) + ": " + path + " is not uxld's socket (" +
                                        version.error().message + ")");
    if (*version != protocol::k_version)
        return fail(Errc::protocol, std::string(program) + ": uxld at " + path + " speaks protocol " +
                                        std::to_string(*version) + ", this uxl speaks " +
                                        std::to_string(protocol::k_version) +
                                        "; install matching versions of uxl and uxld");
    return client;
}

DaemonClient::DaemonClient(DaemonClient&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)),
      m_path(std::move(other.m_path)),
      m_buffer(std::move(other.m_buffer)),
      m_next_id(other.m_next_id)
{
}

DaemonClient& DaemonClient::operator=(DaemonClient&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = std::exchange(other.m_fd, -1);
        m_path = std::move(other.m_path);
        m_buffer = std::move(other.m_buffer);
        m_next_id = other.m_next_id;
    }
    return *this;
}

DaemonClient::~DaemonClient()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

Result<std::string> DaemonClient::read_line(std::optional<std::chrono::steady_clock::time_point> deadline)
{
    for (;;) {
        if (auto newline = m_buffer.find('\n'); newline != std::string::npos) {
            std::string line = m_buffer.substr(0, newline);
            m_buffer.erase(0, newline + 1);
            return line;
        }
        if (m_buffer.size() > k_max_reply)
            return fail(Errc::protocol, "the daemon sent a line longer than " +
                                            std::to_string(k_max_reply) + " bytes");
        pollfd p{m_fd, POLLIN, 0};
        int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            return fail(Errc::io, errno_text(errno));
        }
        if (ready == 0)
            return fail(Errc::timeout, "the daemon did not answer in time");
        char chunk[65536];
        ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return fail(Errc::io, errno_text(errno));
        }
        if (n == 0)
            return fail(Errc::io, "the daemon closed the connection");
        m_buffer.append(chunk, static_cast<std::size_t>(n));
    }
}

Result<protocol::Reply> DaemonClient::call(const protocol::Request& request,
                                           std::optional<std::chrono::milliseconds> timeout)
{
    const std::uint64_t id = m_next_id++;
    if (!write_fully(m_fd, protocol::encode_request(id, request), true))
        return fail(Errc::io, errno_text(errno));
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (timeout)
        deadline = std::chrono::steady_clock::now() + *timeout;
    for (;;) {
        std::string line = UXL_TRY(read_line(deadline));
        protocol::Reply reply = UXL_TRY(protocol::decode_reply(line));
        // Lines for other ids (events, or a late reply to an abandoned request) are not ours.
        if (reply.id == id)
            return reply;
    }
}

std::string DaemonClient::take_buffered()
{
    return std::exchange(m_buffer, {});
}

// ---- Helpers -------------------------------------------------------------------------

std::optional<DaemonClient> open_daemon(const GlobalOptions& globals)
{
    auto client = DaemonClient::connect(default_socket_path(), globals.program);
    if (!client) {
        std::fprintf(stderr, "%s\n", client.error().message.c_str());
        return std::nullopt;
    }
    return std::move(*client);
}

std::optional<protocol::Reply> call_daemon(const GlobalOptions& globals, DaemonClient& client,
                                           const protocol::Request& request,
                                           std::optional<std::chrono::milliseconds> timeout)
{
    auto reply = client.call(request, timeout);
    if (!reply) {
        std::fprintf(stderr, "%s: lost contact with uxld at %s: %s\n", globals.program.c_str(),
                     client.path().c_str(), reply.error().message.c_str());
        return std::nullopt;
    }
    return std::move(*reply);
}

std::optional<protocol::Reply> call_daemon_or_report(const GlobalOptions& globals, DaemonClient& client,
                                                     const protocol::Request& request, const char* failed_line)
{
    auto reply = call_daemon(globals, client, request);
    if (reply && reply->error) {
        print_daemon_error(*reply->error);
        std::fprintf(stderr, "%s\n", failed_line);
        return std::nullopt;
    }
    return reply;
}

int libxl_error_code(Errc code)
{
    switch (code) {
    case Errc::invalid_argument:
    case Errc::already_exists:
        return -6;
    case Errc::not_found:
        return -21;
    case Errc::unsupported:
        return -4;
    case Errc::timeout:
        return -9;
    case Errc::invalid_state:
    case Errc::backend_failed:
    case Errc::io:
    case Errc::protocol:
    case Errc::internal:
        return -3;
    }
    return -3;
}

void print_daemon_error(const Error& error)
{
    std::fflush(stdout);
    if (!error.message.empty())
        std::fprintf(stderr, "%s\n", error.message.c_str());
}

bool is_domid(std::string_view text)
{
    if (text.empty() || text.size() > 9)
        return false;
    for (char c : text)
        if (c < '0' || c > '9')
            return false;
    return true;
}

std::expected<DomainRef, LookupFailure> lookup_domain(const GlobalOptions& globals, DaemonClient& client,
                                                      const std::string& domain)
{
    auto reply = call_daemon(globals, client, protocol::DomainRequest{protocol::DomainRequest::Op::lookup, domain});
    if (!reply)
        return std::unexpected(LookupFailure::lost_contact);
    if (reply->error || !reply->domid) {
        if (reply->error && reply->error->code != Errc::not_found && reply->error->code != Errc::invalid_argument)
            std::fprintf(stderr, "%s\n", reply->error->message.c_str());
        return std::unexpected(LookupFailure::no_such_domain);
    }
    return DomainRef{*reply->domid, reply->name.value_or(domain)};
}

std::optional<DomainRef> find_domain(const GlobalOptions& globals, DaemonClient& client,
                                     const std::string& domain)
{
    auto found = lookup_domain(globals, client, domain);
    if (!found) {
        if (found.error() == LookupFailure::no_such_domain)
            std::fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", domain.c_str());
        return std::nullopt;
    }
    return std::move(*found);
}

int relay_console(int socket_fd, std::string_view initial, int in_fd, int out_fd,
                  const RelayOptions& options)
{
    if (!write_fully(out_fd, initial, false))
        return 1;
    bool input_open = in_fd >= 0;
    char buffer[16384];
    for (;;) {
        if (options.stop && *options.stop)
            return 0;
        pollfd fds[2] = {{socket_fd, POLLIN, 0}, {input_open ? in_fd : -1, POLLIN, 0}};
        int ready = ::poll(fds, 2, -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            std::fprintf(stderr, "console: %s\n", errno_text(errno).c_str());
            return 1;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::recv(socket_fd, buffer, sizeof buffer, 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                return 0;  // the daemon ended the stream: the domain went away
            if (!write_fully(out_fd, std::string_view(buffer, static_cast<std::size_t>(n)), false))
                return 1;
        }
        if (input_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = ::read(in_fd, buffer, sizeof buffer);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                // End of input: stop forwarding it, but keep showing the console.
                input_open = false;
                continue;
            }
            std::string_view data(buffer, static_cast<std::size_t>(n));
            bool detach = false;
            if (options.escape) {
                if (auto at = data.find(static_cast<char>(*options.escape)); at != std::string_view::npos) {
                    data = data.substr(0, at);
                    detach = true;
                }
            }
            if (!data.empty() && !write_fully(socket_fd, data, true)) {
                if (errno == EPIPE || errno == ECONNRESET)
                    return 0;
                std::fprintf(stderr, "console: %s\n", errno_text(errno).c_str());
                return 1;
            }
            if (detach)
                return 0;
        }
    }
}

}  // namespace uxl::cli
