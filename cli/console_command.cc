// `uxl console`: attach to a domain's console through uxld.
//
//   1. ask the daemon for the console; after its reply the socket carries raw bytes, the
//      domain's recent output first (the daemon keeps a ring buffer per domain);
//   2. on a terminal: raw mode, and the escape character (^] by default, as xenconsole)
//      detaches and restores the terminal — the guest never notices;
//   3. without a terminal: stream the output until the daemon ends it and forward the
//      input, so scripts and tests can drive a guest's console.
#include "command.h"
#include "daemon_client.h"
#include "domain_command.h"
#include "option_parser.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <termios.h>
#include <unistd.h>

namespace uxl::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int)
{
    g_stop = 1;
}

// Puts the terminal in raw mode for its lifetime; restores it however the relay ends.
class RawTerminal {
public:
    explicit RawTerminal(int fd) : m_fd(fd)
    {
        if (::tcgetattr(fd, &m_saved) != 0)
            return;
        termios raw = m_saved;
        ::cfmakeraw(&raw);
        m_active = ::tcsetattr(fd, TCSANOW, &raw) == 0;
    }
    ~RawTerminal()
    {
        if (m_active)
            ::tcsetattr(m_fd, TCSANOW, &m_saved);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int m_fd;
    termios m_saved{};
    bool m_active = false;
};

// xenconsole's escape syntax: "^X" is control-X, otherwise a single character.
std::optional<unsigned char> parse_escape(const std::string& text)
{
    if (text.size() == 2 && text[0] == '^')
        return static_cast<unsigned char>(text[1] & 0x1f);
    if (text.size() == 1)
        return static_cast<unsigned char>(text[0]);
    return std::nullopt;
}

}  // namespace

int attach_console(const GlobalOptions& globals, const std::string& domain, unsigned char escape,
                   const std::string& type)
{
    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    auto reply = call_daemon(globals, *client,
                             protocol::DomainRequest{protocol::DomainRequest::Op::console, domain, type});
    if (!reply)
        return k_exit_failure;
    if (reply->error) {
        // xl execs xenconsole, which fails with err(ENOENT, "Could not read tty from
        // store") when the domain has no console of that type: exit status 2.
        if (reply->error->context == "console type") {
            std::fprintf(stderr, "%s\n", reply->error->message.c_str());
            return k_exit_no_such_console;
        }
        if (reply->error->code == Errc::not_found) {
            std::fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", domain.c_str());
        } else {
            std::fprintf(stderr, "%s\n", reply->error->message.c_str());
            std::fprintf(stderr, "Unable to attach console\n");
        }
        return k_exit_failure;
    }

    RelayOptions relay;
    relay.stop = &g_stop;
    std::optional<RawTerminal> terminal;
    if (::isatty(STDIN_FILENO)) {
        relay.escape = escape;
        terminal.emplace(STDIN_FILENO);
        // Without SA_RESTART, so that the relay's poll() returns and the terminal is restored.
        struct sigaction action{};
        action.sa_handler = on_signal;
        ::sigemptyset(&action.sa_mask);
        for (int sig : {SIGTERM, SIGHUP, SIGINT, SIGQUIT})
            ::sigaction(sig, &action, nullptr);
    }
    std::fflush(stdout);
    return relay_console(client->fd(), client->take_buffered(), STDIN_FILENO, STDOUT_FILENO, relay);
}

int main_console(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {
        {"-t", "type", true}, {"-n", "number", true}, {"-e", "escape", true},
    }, args);
    if (!parsed.options)
        return parsed.exit_code;
    const ParsedOptions& opts = *parsed.options;
    if (opts.operands.empty())
        return requires_arguments(globals, self, 1);

    if (auto type = opts.value("type")) {
        if (*type != "pv" && *type != "serial" && *type != "vuart") {
            std::fprintf(stderr, "console type supported are: pv, serial, vuart\n");
            return k_exit_failure;
        }
    }
    // Every uxl domain has one console; -n 0 is it, and other numbers do not exist.
    if (auto number = opts.value("number"); number && *number != "0") {
        std::fprintf(stderr, "%s: domain %s has only console 0\n", globals.program.c_str(),
                     opts.operands.front().c_str());
        std::fprintf(stderr, "Unable to attach console\n");
        return k_exit_failure;
    }
    unsigned char escape = 0x1d;
    if (auto text = opts.value("escape")) {
        auto parsed_escape = parse_escape(*text);
        if (!parsed_escape) {
            std::fprintf(stderr, "%s: the escape character must be one character or ^X, not `%s'\n",
                         globals.program.c_str(), text->c_str());
            return k_exit_failure;
        }
        escape = *parsed_escape;
    }
    return attach_console(globals, opts.operands.front(), escape, opts.value("type").value_or(""));
}

// xl's vncviewer (libxl_vncviewer_exec): runs $VNCVIEWER, else `vncviewer`, on HOST:DISPLAY.
// Without a viewer to run, it says so and where the server is, and exits 1. --autopass has
// nothing to pass: uxl gives VNC servers no password (vncpasswd is refused at create).
int main_vncviewer(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto cmd = open_domain_command(globals, self, {{"-a,--autopass,--vncviewer-autopass", "autopass"}}, args, 1);
    if (cmd.exit_code)
        return *cmd.exit_code;
    auto reply = call_daemon(globals, *cmd.client,
                             protocol::DomainRequest{protocol::DomainRequest::Op::vnc, std::to_string(cmd.domain.domid)});
    if (!reply)
        return k_exit_failure;
    if (reply->error) {
        print_daemon_error(*reply->error);
        return k_exit_failure;
    }
    const std::string address = reply->text.value_or("");
    const std::size_t colon = address.rfind(':');
    const int port = colon == std::string::npos ? 0 : std::atoi(address.c_str() + colon + 1);
    if (port < 5900) {
        std::fprintf(stderr, "uxld gave no VNC address for domain %d (\"%s\")\n", cmd.domain.domid, address.c_str());
        return k_exit_failure;
    }
    const std::string display = address.substr(0, colon) + ":" + std::to_string(port - 5900);
    const char* env = std::getenv("VNCVIEWER");
    const std::string viewer = env && *env ? env : "vncviewer";
    std::fflush(stdout);
    std::vector<std::string> words{viewer, display};
    std::vector<char*> argv;
    for (auto& w : words)
        argv.push_back(w.data());
    argv.push_back(nullptr);
    ::execvp(viewer.c_str(), argv.data());
    std::fprintf(stderr, "%s: cannot run the VNC viewer %s (%s); domain %d's VNC server is at %s (display %s)\n",
                 globals.program.c_str(), viewer.c_str(), std::strerror(errno), cmd.domain.domid, address.c_str(),
                 display.c_str());
    return k_exit_failure;
}

}  // namespace uxl::cli
