// UmlBackend: validation and launch planning for User-Mode Linux.
//
// The plan, in argv order (each word one argv entry, never a shell string):
//   1. the kernel program (default /usr/bin/linux), mem=, umid=, uml_dir=, initrd=;
//   2. the kernel command line's words (root=/extra= were folded into it by libtoolstack);
//   3. the disks in vdev order as ubd<N>[r]=<path>, then root=/dev/ubda when the command
//      line names no root;
//   4. the NICs as eth<devid>=tuntap,<tap>[,<mac>];
//   5. the console on fd 0/1, every other console off, and the mconsole notify socket.
// UML parses most of these (ubdN=, ethN=, con=, mconsole=) from the joined kernel command
// line, which is split at blanks; that is why paths with blanks are refused.
#include "uml/uml_backend.h"

#include <unistd.h>

#include "plan_util.h"

#include "uxl/vdev.h"

#include <sys/un.h>

#include <algorithm>
#include <cctype>

namespace uxl {

namespace {

constexpr std::size_t max_socket_path = sizeof(sockaddr_un{}.sun_path) - 1;

bool starts_with_numbered(std::string_view word, std::string_view prefix)
{
    return word.size() > prefix.size() && word.starts_with(prefix) &&
           std::isdigit(static_cast<unsigned char>(word[prefix.size()]));
}

// What a command-line word would override among the options uxl sets itself, or empty.
std::string_view overridden_setting(std::string_view word)
{
    if (word.starts_with("mem="))
        return "memory =";
    if (word.starts_with("initrd="))
        return "ramdisk =";
    if (starts_with_numbered(word, "ubd"))
        return "disk = [...]";
    if (starts_with_numbered(word, "eth") && word.find('=') != std::string_view::npos)
        return "vif = [...]";
    if (word.starts_with("umid=") || word.starts_with("uml_dir=") ||
        word.starts_with("mconsole=") || word.starts_with("con=") ||
        (starts_with_numbered(word, "con") && word.find('=') != std::string_view::npos))
        return "the daemon's console and control channels";
    return {};
}

// The umid: the domain name with anything but [A-Za-z0-9._-] replaced by '_', no leading
// dot (it is a directory name under uml_dir), at most UML's limit. Names are unique per
// host and each domain has its own uml_dir, so a collision after replacement is harmless.
std::string make_umid(std::string_view name)
{
    std::string umid;
    for (char c : name.substr(0, UmlBackend::max_umid_length)) {
        const bool safe = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                          c == '-';
        umid.push_back(safe ? c : '_');
    }
    if (umid.empty())
        umid = "domain";
    if (umid.front() == '.')
        umid.front() = '_';
    return umid;
}

std::string mem_argument(std::uint64_t kb)
{
    if (kb % 1024 == 0)
        return "mem=" + std::to_string(kb / 1024) + "M";
    return "mem=" + std::to_string(kb) + "K";
}

Result<void> check_disk(const plan::OrderedDisk& ordered)
{
    const DiskSpec& disk = *ordered.disk;
    const std::string context = "disk " + ordered.vdev;
    const bool empty_cdrom = disk.is_cdrom && (!disk.pdev_path || disk.pdev_path->empty());
    if (empty_cdrom)
        return {};  // an empty drive: its ubd slot stays free for a later `config ubdNr=`
    if (disk.format != DiskFormat::raw)
        return fail(Errc::unsupported,
                    "UML reads disk images as raw files, but " + ordered.vdev + " is " +
                        to_string(disk.format) +
                        "; convert it (qemu-img convert -O raw) or use backend = \"qemu\".",
                    context);
    const std::string& path = disk.pdev_path.value_or("");
    if (path.empty())
        return fail(Errc::invalid_argument, "Disk " + ordered.vdev + " has no target.", context);
    UXL_TRY(plan::check_absolute(path, "The target of disk " + ordered.vdev, context));
    if (path.find_first_of(",:") != std::string::npos)
        return fail(Errc::invalid_argument,
                    "UML would read the `,' or `:' in `" + path + "' (disk " + ordered.vdev +
                        ") as the start of a copy-on-write file name; link the image to a "
                        "path without them.",
                    context);
    if (plan::has_blank(path) || path.find('"') != std::string::npos)
        return fail(Errc::invalid_argument,
                    "UML reads disk " + ordered.vdev +
                        " from its kernel command line, which splits `" + path +
                        "' at blanks and quotes; link the image to a path without them.",
                    context);
    return {};
}

// The daemon's paths are absolute by construction; anything else is a bug in the caller.
Result<void> check_host_path(std::string_view path, std::string_view what)
{
    if (path.empty() || !path.starts_with('/'))
        return fail(Errc::internal,
                    "The " + std::string(what) + " path `" + std::string(path) +
                        "' is not an absolute path.",
                    std::string(what));
    return {};
}

// A path that UML also sees on its kernel command line.
Result<void> check_command_line_path(std::string_view path, std::string_view what)
{
    UXL_TRY(check_host_path(path, what));
    if (plan::has_blank(path) || path.find_first_of(",\"") != std::string_view::npos)
        return fail(Errc::invalid_argument,
                    "The " + std::string(what) + " path `" + std::string(path) +
                        "' may not contain blanks, `,' or quotes, because UML reads it from "
                        "its kernel command line.",
                    std::string(what));
    return {};
}

Result<void> check_socket_path(std::string_view path, std::string_view what)
{
    if (path.size() > max_socket_path)
        return fail(Errc::invalid_argument,
                    "The " + std::string(what) + " `" + std::string(path) + "' is " +
                        std::to_string(path.size()) + " bytes long, more than the " +
                        std::to_string(max_socket_path) +
                        " a UNIX socket path may have; use a shorter run directory.",
                    std::string(what));
    return {};
}

}  // namespace

Capabilities UmlBackend::capabilities() const
{
    Capabilities caps;
    caps.pause = true;         // mconsole stop / go
    caps.reboot = true;        // mconsole reboot (UML re-execs in place)
    caps.sysrq = true;         // mconsole sysrq (except `t`, which panics 6.1)
    caps.hotplug_disk = true;  // mconsole config ubdN=... / remove ubdN
    caps.hotplug_nic = true;   // mconsole config ethN=tuntap,...
    caps.balloon = true;       // mconsole config mem=-N / mem=+N, within the boot size
    return caps;
}

Result<void> UmlBackend::validate(const DomainSpec& spec) const
{
    UXL_TRY(plan::check_userland_kernel_basics(spec, "UML"));

    if (spec.vcpus > 1 || spec.max_vcpus > 1)
        return fail(Errc::unsupported,
                    "UML runs a single virtual CPU (its kernel is built with NR_CPUS=1), but "
                    "this domain asks for " +
                        std::to_string(std::max(spec.vcpus, spec.max_vcpus)) +
                        "; set vcpus = 1 and leave out maxvcpus, or use backend = \"qemu\".",
                    "vcpus");

    const plan::MemorySizes memory = plan::memory_sizes(spec);
    if (memory.target_kb < min_memory_kb)
        return fail(Errc::unsupported,
                    "UML needs memory = 48 or more: with less, Debian's UML kernel loses part "
                    "of it to the exec-shield gap and most boots end in an out-of-memory "
                    "panic; this domain has " +
                        plan::describe_kb(memory.target_kb) +
                        (memory.defaulted ? " (memory is not set, so it is xl's default)" : "") +
                        ".",
                    "memory");

    if (!spec.kernel.empty())
        UXL_TRY(plan::check_absolute(spec.kernel, "The kernel", "kernel"));
    if (!spec.ramdisk.empty()) {
        UXL_TRY(plan::check_absolute(spec.ramdisk, "The ramdisk", "ramdisk"));
        if (plan::has_blank(spec.ramdisk))
            return fail(Errc::invalid_argument,
                        "UML reads the ramdisk from its kernel command line, which splits `" +
                            spec.ramdisk + "' at blanks; link it to a path without them.",
                        "ramdisk");
    }

    for (const std::string& word : plan::split_blanks(spec.cmdline)) {
        if (std::string_view what = overridden_setting(word); !what.empty())
            return fail(Errc::invalid_argument,
                        "`" + word + "' on the kernel command line would override what uxl "
                                     "sets from " +
                            std::string(what) + "; remove it from extra or cmdline.",
                        "cmdline");
    }

    auto disks = UXL_TRY(plan::disks_in_vdev_order(spec));
    if (disks.size() > max_disks)
        return fail(Errc::unsupported,
                    "UML has 16 ubd disk slots, but this domain has " +
                        std::to_string(disks.size()) + " disks.",
                    "disk");
    for (const plan::OrderedDisk& disk : disks)
        UXL_TRY(check_disk(disk));

    UXL_TRY(plan::check_unique_devids(spec));
    for (std::size_t i = 0; i < spec.nics.size(); ++i) {
        const VifSpec& nic = spec.nics[i];
        const int devid = plan::nic_devid(nic, i);
        if (nic.ifname && !nic.ifname->empty())
            UXL_TRY(plan::check_tap_name(*nic.ifname, devid));
        UXL_TRY(plan::check_unicast_mac(nic, devid));
    }
    return {};
}

Result<LaunchPlan> UmlBackend::plan_launch(const DomainSpec& spec, const DomainPaths& paths,
                                           int domid) const
{
    UXL_TRY(validate(spec));
    UXL_TRY(check_host_path(paths.run_dir, "run directory"));
    UXL_TRY(check_host_path(paths.memory_dir, "memory-file directory"));
    const std::string dir = uml_dir(paths.run_dir);
    const std::string notify = notify_socket(paths.run_dir);
    UXL_TRY(check_command_line_path(dir, "uml_dir"));
    UXL_TRY(check_command_line_path(notify, "notify socket"));

    const std::string umid = make_umid(spec.name);
    std::string mconsole = dir;
    if (!mconsole.ends_with('/'))
        mconsole += '/';
    mconsole += umid + "/mconsole";
    UXL_TRY(check_socket_path(mconsole, "mconsole socket"));
    UXL_TRY(check_socket_path(notify, "notify socket"));

    const plan::MemorySizes memory = plan::memory_sizes(spec);
    LaunchPlan plan;
    std::vector<std::string>& argv = plan.argv;

    // 1. Program, memory, identity, initramfs.
    argv.push_back(spec.kernel.empty() ? std::string(default_kernel) : spec.kernel);
    argv.push_back(mem_argument(memory.boot_kb));
    argv.push_back("umid=" + umid);
    argv.push_back("uml_dir=" + dir);
    if (!spec.ramdisk.empty())
        argv.push_back("initrd=" + spec.ramdisk);

    // 2. The kernel command line, word by word (UML joins argv back with blanks).
    const std::vector<std::string> words = plan::split_blanks(spec.cmdline);
    argv.insert(argv.end(), words.begin(), words.end());

    // 3. Disks. An empty cdrom keeps its slot, so the numbering follows the vdevs.
    auto disks = UXL_TRY(plan::disks_in_vdev_order(spec));
    for (std::size_t slot = 0; slot < disks.size(); ++slot) {
        const DiskSpec& disk = *disks[slot].disk;
        plan.devices.push_back(PlannedDevice{PlannedDevice::Kind::disk,
                                             vdev_to_number(disks[slot].vdev).value_or(0),
                                             static_cast<int>(slot), disk.pdev_path.value_or(""),
                                             ubd_name(static_cast<int>(slot))});
        if (!disk.pdev_path || disk.pdev_path->empty())
            continue;
        const bool read_only = !disk.readwrite || disk.is_cdrom;
        argv.push_back("ubd" + std::to_string(slot) + (read_only ? "r" : "") + "=" +
                       *disk.pdev_path);
    }
    if (disks.empty() || !disks.front().disk->pdev_path || disks.front().disk->pdev_path->empty())
        plan.reserved_disk_slots.push_back(0);  // UML's default ubd0=root_fs stays there
    const bool names_root = std::any_of(words.begin(), words.end(), [](const std::string& w) {
        return w.starts_with("root=");
    });
    if (!names_root && !disks.empty() && disks.front().disk->pdev_path &&
        !disks.front().disk->pdev_path->empty())
        argv.push_back("root=/dev/ubda");

    // 4. NICs on host taps. Never the `eth0=tuntap,,MAC,IP' form: its setuid helper
    // reconfigures the host (routes, proxy ARP, ip_forward).
    for (std::size_t i = 0; i < spec.nics.size(); ++i) {
        const VifSpec& nic = spec.nics[i];
        const int devid = plan::nic_devid(nic, i);
        const std::string tap = plan::tap_name(nic, domid, devid);
        UXL_TRY(plan::check_tap_name(tap, devid));
        plan.devices.push_back(PlannedDevice{PlannedDevice::Kind::nic, devid, devid, tap,
                                             "eth" + std::to_string(devid)});
        std::string word = "eth" + std::to_string(devid) + "=tuntap," + tap;
        if (!nic.mac.is_zero())
            word += "," + nic.mac.to_string();
        argv.push_back(std::move(word));
    }

    // 5. Console on the monitor's socketpair, every other console off (Debian's default
    // would start an x-terminal-emulator), and the notify socket for boot/reboot/panic.
    argv.push_back("con0=fd:0,fd:1");
    argv.push_back("con=null");
    argv.push_back("mconsole=notify:" + notify);

    plan.env.push_back("TMPDIR=" + paths.memory_dir);
    plan.disable_aslr = true;
    plan.working_dir = paths.run_dir;
    plan.directories.push_back(dir);
    plan.console = ConsoleWiring::stdio_socketpair;
    plan.control_endpoint = std::move(mconsole);
    plan.boot_memory_kb = memory.boot_kb;
    if (memory.boot_kb > memory.target_kb)
        plan.balloon_target_kb = memory.target_kb;
    return plan;
}

Result<void> UmlBackend::check_host(const DomainSpec& spec) const
{
    if (!spec.kernel.empty())
        return {};  // the daemon checks that the guest's own files are there
    if (::access(std::string(default_kernel).c_str(), X_OK) != 0)
        return fail(Errc::unsupported,
                    "User-Mode Linux is not installed on this host (no " + std::string(default_kernel) +
                        "); install Debian's user-mode-linux package, or set kernel to a UML kernel.",
                    "backend");
    return {};
}

std::vector<std::pair<std::string, std::string>> UmlBackend::host_facts() const
{
    const bool installed = ::access(std::string(default_kernel).c_str(), X_OK) == 0;
    return {{"uml_kernel", installed ? std::string(default_kernel) : "(not installed)"}};
}

}  // namespace uxl
