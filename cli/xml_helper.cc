// Finding and running uxl-xml (xml_helper.h).
#include "xml_helper.h"

#include "install_paths.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace uxl::cli {
namespace {

bool write_all(int fd, const std::string& data)
{
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

std::string xml_helper_path()
{
    if (const char* env = std::getenv("UXL_XML_HELPER"); env && *env)
        return env;
    std::error_code ec;
    const fs::path own_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
    if (!ec && !own_dir.empty() && fs::equivalent(own_dir, install::build_cli_dir, ec))
        return (own_dir / "uxl-xml").string();
    return install::xml_helper;
}

int run_xml_helper(const std::vector<std::string>& args, const std::string* input, std::string* output)
{
    const std::string path = xml_helper_path();
    if (::access(path.c_str(), X_OK) != 0) {
        std::fprintf(stderr, "error: cannot run uxl's XML helper %s: %s\n", path.c_str(), std::strerror(errno));
        return 1;
    }
    int in_pipe[2] = {-1, -1};
    int out_pipe[2] = {-1, -1};
    if ((input && ::pipe2(in_pipe, O_CLOEXEC) != 0) || (output && ::pipe2(out_pipe, O_CLOEXEC) != 0)) {
        std::fprintf(stderr, "error: cannot run uxl's XML helper %s: %s\n", path.c_str(), std::strerror(errno));
        return 1;
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        std::fprintf(stderr, "error: cannot run uxl's XML helper %s: %s\n", path.c_str(), std::strerror(errno));
        return 1;
    }
    if (pid == 0) {
        if (input)
            ::dup2(in_pipe[0], STDIN_FILENO);
        if (output)
            ::dup2(out_pipe[1], STDOUT_FILENO);
        ::execv(path.c_str(), argv.data());
        const std::string message = "error: cannot run uxl's XML helper " + path + ": " + std::strerror(errno) + "\n";
        [[maybe_unused]] auto n = ::write(STDERR_FILENO, message.data(), message.size());
        ::_exit(127);
    }
    if (input) {
        ::close(in_pipe[0]);
        // The helper may exit before reading everything (a refusal): no SIGPIPE for that.
        struct sigaction ignore {}, old {};
        ignore.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ignore, &old);
        write_all(in_pipe[1], *input);
        ::close(in_pipe[1]);
        ::sigaction(SIGPIPE, &old, nullptr);
    }
    if (output) {
        ::close(out_pipe[1]);
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::read(out_pipe[0], buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            output->append(buffer, static_cast<std::size_t>(n));
        }
        ::close(out_pipe[0]);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status) == 127 ? 1 : WEXITSTATUS(status);
    std::fprintf(stderr, "error: uxl's XML helper %s was killed by signal %d\n", path.c_str(), WTERMSIG(status));
    return 1;
}

}  // namespace uxl::cli
