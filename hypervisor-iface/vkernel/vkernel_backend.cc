// VkernelBackend: validation and launch planning for DragonFly's vkernel.
//
// The plan, in argv order:
//   1. the kernel program, -m <MiB>m, -n <vcpus> (always given: the default is 2);
//   2. the disks in vdev order, each as -r <image> or -c <image>. The vkernel boots from
//      the first one, and it numbers disks and CD-ROMs in the order given within each kind
//      while whichever kind comes first is attached first, so the vdev order decides;
//   3. the NICs as -I <tap|auto>[:<bridge>][=<mac>];
//   4. -p <pid file> (after -n: some versions fall through from -n into -p's case);
//   5. -e with the kernel command line's words as kernel environment (name=value:...).
#include "vkernel/vkernel_backend.h"

#include "plan_util.h"

#include <algorithm>
#include <cctype>

namespace uxl {

namespace {

// A word of the -e list: the vkernel splits the list at unquoted ':' and drops the quote
// characters, so a value with a ':' is wrapped in double quotes.
std::string kenv_entry(const std::string& word)
{
    if (word.find(':') == std::string::npos)
        return word;
    return "\"" + word + "\"";
}

bool is_tap_device(std::string_view name)
{
    if (!name.starts_with("tap") || name.size() == 3)
        return false;
    return std::all_of(name.begin() + 3, name.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

Result<void> check_disk(const plan::OrderedDisk& ordered)
{
    const DiskSpec& disk = *ordered.disk;
    const std::string context = "disk " + ordered.vdev;
    if (disk.is_cdrom && (!disk.pdev_path || disk.pdev_path->empty()))
        return fail(Errc::unsupported,
                    "A vkernel cannot start with an empty CD-ROM drive (" + ordered.vdev +
                        ") nor insert a disc later; give it an image or remove it.",
                    context);
    if (disk.format != DiskFormat::raw)
        return fail(Errc::unsupported,
                    "A vkernel reads disk images as raw files, but " + ordered.vdev + " is " +
                        to_string(disk.format) + "; convert it (qemu-img convert -O raw).",
                    context);
    if (!disk.is_cdrom && !disk.readwrite)
        return fail(Errc::unsupported,
                    "A vkernel opens every disk read-write, so " + ordered.vdev +
                        " cannot be read-only; make it writable or a cdrom.",
                    context);
    const std::string& path = disk.pdev_path.value_or("");
    if (path.empty())
        return fail(Errc::invalid_argument, "Disk " + ordered.vdev + " has no target.", context);
    UXL_TRY(plan::check_absolute(path, "The target of disk " + ordered.vdev, context));
    return {};
}

Result<void> check_nic(const VifSpec& nic, int devid)
{
    const std::string context = "vif " + std::to_string(devid);
    if (nic.ifname && !nic.ifname->empty()) {
        const std::string& tap = *nic.ifname;
        const bool socket = tap.starts_with('/');
        if ((!socket && !is_tap_device(tap)) || tap.find_first_of(":=") != std::string::npos)
            return fail(Errc::invalid_argument,
                        "A vkernel attaches each vif to a tap(4) device, so vif " +
                            std::to_string(devid) + "'s vifname `" + tap +
                            "' must be tapN or the absolute path of a vknet socket.",
                        context);
    }
    if (nic.bridge && nic.bridge->find_first_of(":/=") != std::string::npos)
        return fail(Errc::invalid_argument,
                    "Vif " + std::to_string(devid) + "'s bridge `" + *nic.bridge +
                        "' may not contain `:', `/' or `='.",
                    context);
    UXL_TRY(plan::check_unicast_mac(nic, devid));
    return {};
}

}  // namespace

Capabilities VkernelBackend::capabilities() const
{
    // Only SIGTERM (clean shutdown) and SIGQUIT (the in-kernel debugger) reach a vkernel
    // from the host; everything else it would need is absent.
    return Capabilities{};
}

Result<void> VkernelBackend::validate(const DomainSpec& spec) const
{
    UXL_TRY(plan::check_userland_kernel_basics(spec, "A vkernel"));

    if (spec.max_vcpus != spec.vcpus)
        return fail(Errc::unsupported,
                    "A vkernel cannot add vCPUs while it runs, so maxvcpus (" +
                        std::to_string(spec.max_vcpus) + ") must equal vcpus (" +
                        std::to_string(spec.vcpus) + ").",
                    "maxvcpus");
    if (spec.vcpus < 1 || spec.vcpus > max_vcpus)
        return fail(Errc::unsupported,
                    "A vkernel runs 1 to 256 virtual CPUs, but this domain asks for " +
                        std::to_string(spec.vcpus) + ".",
                    "vcpus");

    const plan::MemorySizes memory = plan::memory_sizes(spec);
    if (memory.boot_kb > memory.target_kb)
        return fail(Errc::unsupported,
                    "A vkernel cannot balloon, so maxmem (" + plan::describe_kb(memory.boot_kb) +
                        ") may not exceed memory (" + plan::describe_kb(memory.target_kb) + ").",
                    "maxmem");
    if (memory.target_kb < min_memory_kb)
        return fail(Errc::unsupported,
                    "A vkernel needs memory = 64 or more; this domain has " +
                        plan::describe_kb(memory.target_kb) +
                        (memory.defaulted ? " (memory is not set, so it is xl's default)" : "") +
                        ".",
                    "memory");
    if (memory.target_kb % memory_granule_kb != 0)
        return fail(Errc::unsupported,
                    "A vkernel's memory must be a multiple of 2 MiB, but this domain has " +
                        plan::describe_kb(memory.target_kb) + ".",
                    "memory");

    if (spec.kernel.empty())
        return fail(Errc::invalid_argument,
                    "A vkernel domain needs kernel = the vkernel program, e.g. "
                    "\"/var/vkernel/boot/kernel/kernel\".",
                    "kernel");
    UXL_TRY(plan::check_absolute(spec.kernel, "The kernel", "kernel"));
    if (!spec.ramdisk.empty())
        return fail(Errc::unsupported,
                    "A vkernel boots from its first disk and has no ramdisk; remove ramdisk =.",
                    "ramdisk");

    for (const std::string& word : plan::split_blanks(spec.cmdline)) {
        if (word.find('=') == std::string::npos || word.starts_with('='))
            return fail(Errc::invalid_argument,
                        "A vkernel receives the command line as kernel environment variables "
                        "(name=value), so `" +
                            word + "' needs a name and a value.",
                        "cmdline");
        if (word.find_first_of("\"'") != std::string::npos)
            return fail(Errc::invalid_argument,
                        "A vkernel drops quote characters from its kernel environment, so `" +
                            word + "' cannot be passed as written.",
                        "cmdline");
    }

    auto disks = UXL_TRY(plan::disks_in_vdev_order(spec));
    if (disks.size() > max_disks)
        return fail(Errc::unsupported,
                    "A vkernel has 16 slots shared by disks and CD-ROMs, but this domain has " +
                        std::to_string(disks.size()) + ".",
                    "disk");
    for (const plan::OrderedDisk& disk : disks)
        UXL_TRY(check_disk(disk));

    if (spec.nics.size() > max_nics)
        return fail(Errc::unsupported,
                    "A vkernel has 16 network interfaces, but this domain has " +
                        std::to_string(spec.nics.size()) + " vifs.",
                    "vif");
    UXL_TRY(plan::check_unique_devids(spec));
    for (std::size_t i = 0; i < spec.nics.size(); ++i)
        UXL_TRY(check_nic(spec.nics[i], plan::nic_devid(spec.nics[i], i)));
    return {};
}

Result<LaunchPlan> VkernelBackend::plan_launch(const DomainSpec& spec, const DomainPaths& paths,
                                               int /*domid*/) const
{
    UXL_TRY(validate(spec));
    if (paths.run_dir.empty() || !paths.run_dir.starts_with('/'))
        return fail(Errc::internal,
                    "The run directory path `" + paths.run_dir + "' is not an absolute path.",
                    "run directory");

    std::string pid_file = paths.run_dir;
    if (!pid_file.ends_with('/'))
        pid_file += '/';
    pid_file += pid_file_name;

    LaunchPlan plan;
    std::vector<std::string>& argv = plan.argv;

    // 1. Program, memory (validated to whole MiB), CPUs.
    argv.push_back(spec.kernel);
    argv.push_back("-m");
    argv.push_back(std::to_string(plan::memory_sizes(spec).target_kb / 1024) + "m");
    argv.push_back("-n");
    argv.push_back(std::to_string(spec.vcpus));

    // 2. Disks and CD-ROMs, interleaved in vdev order.
    for (const plan::OrderedDisk& disk : UXL_TRY(plan::disks_in_vdev_order(spec))) {
        argv.push_back(disk.disk->is_cdrom ? "-c" : "-r");
        argv.push_back(*disk.disk->pdev_path);
    }

    // 3. NICs. Without a vifname the vkernel takes the first free tap; the tap joins the
    // bridge itself when one is named.
    for (const VifSpec& nic : spec.nics) {
        std::string word = nic.ifname && !nic.ifname->empty() ? *nic.ifname : "auto";
        if (nic.bridge && !nic.bridge->empty())
            word += ":" + *nic.bridge;
        if (!nic.mac.is_zero())
            word += "=" + nic.mac.to_string();
        argv.push_back("-I");
        argv.push_back(std::move(word));
    }

    // 4. The pid file, which the vkernel holds locked while it runs.
    argv.push_back("-p");
    argv.push_back(pid_file);

    // 5. The command line as kernel environment.
    std::string kenv;
    for (const std::string& word : plan::split_blanks(spec.cmdline)) {
        if (!kenv.empty())
            kenv += ':';
        kenv += kenv_entry(word);
    }
    if (!kenv.empty()) {
        argv.push_back("-e");
        argv.push_back(std::move(kenv));
    }

    // Newer vkernels re-exec themselves until LD_SHAREDLIB_BASE is set (for the module
    // loader); setting it up front saves that step and keeps argv[0] as given.
    plan.env.push_back("LD_SHAREDLIB_BASE=0x10000000");
    plan.disable_aslr = false;
    plan.working_dir = paths.run_dir;
    plan.console = ConsoleWiring::stdio_socketpair;
    plan.control_endpoint = std::move(pid_file);
    return plan;
}

Result<void> VkernelBackend::check_host(const DomainSpec&) const
{
    return fail(Errc::unsupported,
                "The vkernel backend runs DragonFly BSD virtual kernels, which need a DragonFly host; "
                "on Linux uxl can only plan them (uxl create -n).",
                "backend");
}

}  // namespace uxl
