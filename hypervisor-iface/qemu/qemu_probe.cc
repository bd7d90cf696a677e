#include "qemu_probe.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace uxl {
namespace {

// The probe firmware's last 16 bytes, at the reset vector F000:FFF0 (real mode):
//     mov dx, 0x100 ; outer: mov cx, 0xffff ; loop $ ; dec dx ; jnz outer
//     mov al, 0x31  ; out 0xf4, al ; hlt
// isa-debug-exit turns the byte written into QEMU's exit status (0x31 << 1) | 1 = 99.
constexpr std::array<unsigned char, 16> k_reset_code = {0xBA, 0x00, 0x01, 0xB9, 0xFF, 0xFF, 0xE2, 0xFE,
                                                        0x4A, 0x75, 0xF8, 0xB0, 0x31, 0xE6, 0xF4, 0xF4};
constexpr int k_success_status = 99;
constexpr std::size_t k_firmware_size = 64 * 1024;  // QEMU wants a multiple of 64 KiB

QemuHost tcg(std::string reason)
{
    return QemuHost{QemuHost::Accelerator::tcg, std::move(reason)};
}

std::string first_line(const std::string& path)
{
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

}  // namespace

Result<void> run_probe_guest(const std::string& program, const std::string& scratch_dir,
                             std::string_view accelerator, int deadline_ms)
{
    const std::string stem = scratch_dir + "/uxl-kvm-probe." + std::to_string(::getpid());
    const std::string firmware = stem + ".bin";
    const std::string errors = stem + ".err";
    {
        std::string image(k_firmware_size, '\xf4');
        std::memcpy(image.data() + k_firmware_size - k_reset_code.size(), k_reset_code.data(), k_reset_code.size());
        std::ofstream out(firmware, std::ios::binary | std::ios::trunc);
        out << image;
        if (!out.flush())
            return fail(Errc::io, "cannot write the probe's firmware to " + firmware);
    }
    const std::array<std::string, 19> words = {
        program, "-no-user-config", "-nodefaults", "-display", "none", "-machine", "pc", "-accel", std::string(accelerator),
        "-cpu", accelerator == "kvm" ? "host" : "qemu64", "-m", "16", "-bios", firmware, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-monitor", "none"};
    std::vector<char*> argv;
    for (const auto& w : words)
        argv.push_back(const_cast<char*>(w.c_str()));
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, errors.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        ::unlink(firmware.c_str());
        ::unlink(errors.c_str());
        return fail(Errc::io, "cannot run " + program + ": " + std::strerror(spawned));
    }

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
    int status = 0;
    bool exited = false;
    while (!exited) {
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) {
            exited = r == pid;
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!exited) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    const std::string error = first_line(errors);
    ::unlink(firmware.c_str());
    ::unlink(errors.c_str());

    if (!exited)
        return fail(Errc::timeout, "did not finish within " + std::to_string(deadline_ms) + " ms");
    if (WIFEXITED(status) && WEXITSTATUS(status) == k_success_status)
        return {};
    std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                          : "exited with status " + std::to_string(WEXITSTATUS(status));
    return fail(Errc::backend_failed, how + (error.empty() ? "" : " (" + error + ")"));
}

QemuHost probe_kvm(const std::string& program, const std::string& scratch_dir, int deadline_ms)
{
    if (::access("/dev/kvm", R_OK | W_OK) != 0)
        return tcg("/dev/kvm cannot be opened (" + std::string(std::strerror(errno)) + ")");
    // reference/backends.md §4: under this nested module `-cpu host` aborts and a Linux
    // guest crawls; no need to try.
    if (::access("/sys/module/kvm_pvm", F_OK) == 0)
        return tcg("/dev/kvm is the kvm_pvm nested module, under which Linux guests do not boot");
    auto ran = run_probe_guest(program, scratch_dir, "kvm", deadline_ms);
    if (!ran)
        return tcg("a probe guest under KVM " + ran.error().message);
    return QemuHost{QemuHost::Accelerator::kvm, "a probe guest ran under KVM"};
}

Result<QemuHost> choose_qemu_accelerator(std::string_view setting)
{
    if (setting == "tcg")
        return tcg("uxl.conf sets qemu.accelerator=\"tcg\"");
    if (setting == "kvm")
        return QemuHost{QemuHost::Accelerator::kvm, "uxl.conf sets qemu.accelerator=\"kvm\""};
    if (setting != "auto" && !setting.empty())
        return fail(Errc::invalid_argument,
                    "qemu.accelerator must be \"auto\", \"kvm\" or \"tcg\", not \"" + std::string(setting) + "\"");
    const char* tmp = std::getenv("TMPDIR");
    return probe_kvm(std::string(QemuBackend::program), tmp && *tmp ? tmp : "/tmp");
}

}  // namespace uxl
