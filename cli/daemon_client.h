// The CLI's side of the control protocol (uxl/protocol.h, doc/protocol.md).
//
//   1. find the socket: $UXL_SOCKET, else /run/uxl/uxld.sock for root, else
//      $XDG_RUNTIME_DIR/uxl/uxld.sock (session mode);
//   2. connect and check the daemon's greeting (protocol version);
//   3. call(): send one request, wait (with a timeout) for the reply with the same id;
//   4. after a successful `console` reply the socket carries raw bytes: relay_console()
//      copies them to the terminal and the keyboard to the guest.
// A daemon that is not there gets one sentence saying how to start it; the command then
// exits 1, as xl does when it cannot reach its toolstack.
#pragma once

#include "command.h"

#include "uxl/protocol.h"
#include "uxl/result.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace uxl::cli {

// Where the daemon listens, from the environment as given (nullptr: unset). Pure.
std::string socket_path_for(const char* uxl_socket, bool is_root, const char* xdg_runtime_dir,
                            unsigned uid);
// The same, for this process.
std::string default_socket_path();

// How long an ordinary request may take before the CLI gives up on the daemon.
constexpr std::chrono::milliseconds k_default_timeout{30'000};

class DaemonClient {
public:
    // Connects to `path` and reads the greeting. When nothing listens there, the error
    // (Errc::io) is the one sentence to print, e.g. `uxl: cannot reach uxld at
    // /run/uxl/uxld.sock (No such file or directory); start it with "uxld" or
    // "systemctl start uxld"`. `program` is the name the sentence starts with.
    static Result<DaemonClient> connect(const std::string& path, std::string_view program = "uxl",
                                        std::chrono::milliseconds timeout = k_default_timeout);

    DaemonClient(DaemonClient&& other) noexcept;
    DaemonClient& operator=(DaemonClient&& other) noexcept;
    DaemonClient(const DaemonClient&) = delete;
    DaemonClient& operator=(const DaemonClient&) = delete;
    ~DaemonClient();

    // Sends one request and returns the daemon's reply to it (which may carry an error:
    // see Reply::error). Errors of the transport itself — the daemon closed the
    // connection, sent garbage, or did not answer within `timeout` (nullopt: wait as long
    // as it takes, for `wait` and `console`) — are the Result's error.
    Result<protocol::Reply> call(const protocol::Request& request,
                                 std::optional<std::chrono::milliseconds> timeout = k_default_timeout);

    // After a successful console reply: the bytes that arrived behind the reply line
    // (the start of the console stream), and the socket to relay the rest on.
    std::string take_buffered();
    int fd() const { return m_fd; }
    const std::string& path() const { return m_path; }

private:
    DaemonClient(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
    Result<std::string> read_line(std::optional<std::chrono::steady_clock::time_point> deadline);

    int m_fd = -1;
    std::string m_path;
    std::string m_buffer;  // bytes received but not yet consumed
    std::uint64_t m_next_id = 1;
};

// ---- Helpers shared by the commands --------------------------------------------------

// Connects to the daemon, or prints the one sentence on stderr and returns nullopt (the
// command then returns k_exit_failure).
std::optional<DaemonClient> open_daemon(const GlobalOptions& globals);

// Calls; on a transport error prints it (`uxl: lost contact with uxld at PATH: ...`) and
// returns nullopt. A reply carrying the daemon's error is returned for the caller to map.
std::optional<protocol::Reply> call_daemon(const GlobalOptions& globals, DaemonClient& client,
                                           const protocol::Request& request,
                                           std::optional<std::chrono::milliseconds> timeout = k_default_timeout);

// call_daemon, then a daemon error printed with xl's line for the libxl call that failed
// (`failed_line`, e.g. "libxl_list_domain failed."): nullopt after either.
std::optional<protocol::Reply> call_daemon_or_report(const GlobalOptions& globals, DaemonClient& client,
                                                     const protocol::Request& request, const char* failed_line);

// The libxl error number xl would print for a daemon error ("shutdown failed (rc=-3)"):
// invalid_argument/already_exists -6 (ERROR_INVAL), not_found -21 (DOMAIN_NOTFOUND),
// unsupported -4 (NI), timeout -9 (TIMEDOUT), anything else -3 (FAIL). Pure.
int libxl_error_code(Errc code);

// xl's find_domain(): all digits is a domid, anything else a name; both are checked with
// the daemon. On failure prints "%s is an invalid domain identifier (rc=-6)" and returns
// nullopt (the command exits 1).
struct DomainRef {
    int domid = 0;
    std::string name;
};
std::optional<DomainRef> find_domain(const GlobalOptions& globals, DaemonClient& client,
                                     const std::string& domain);

// The lookup behind find_domain(), for the commands that word its failure their own way:
// block-attach and block-list call libxl_domain_qualifier_to_domid() themselves, print no
// "(rc=...)", and block-list carries on with its next domain. Prints only a lost
// connection (as call_daemon does) and a daemon error other than "no such domain"; the
// caller prints the line about the identifier.
enum class LookupFailure {
    no_such_domain,  // the daemon knows no such domain (or could not say)
    lost_contact,    // the connection failed: nothing more can be asked
};
std::expected<DomainRef, LookupFailure> lookup_domain(const GlobalOptions& globals, DaemonClient& client,
                                                      const std::string& domain);

bool is_domid(std::string_view text);

// The daemon's sentence for a failed request, on stderr, as libxl's log line comes before
// xl's own "... failed" line. stdout is flushed first, so that rows already printed and the
// complaint stay in order when both go to one file or pipe.
void print_daemon_error(const Error& error);

// The console relay. Copies socket → out_fd until the socket reaches EOF, and in_fd →
// socket. With `escape` set (a terminal), that byte in the input detaches; otherwise
// input EOF only stops the forwarding of input, and the output keeps streaming.
// `initial` is written to out_fd first. Returns 0 when the daemon ended the stream or the
// user detached, 1 on an I/O error, after printing it. `stop` (may be null) is polled
// after every interrupted wait, so a signal handler can end the relay.
struct RelayOptions {
    std::optional<unsigned char> escape;
    const volatile int* stop = nullptr;
};
int relay_console(int socket_fd, std::string_view initial, int in_fd, int out_fd,
                  const RelayOptions& options);

}  // namespace uxl::cli
