// QemuBackend: validation and launch planning for qemu-system-x86_64.
//
// The plan, in argv order (each word one argv entry, never a shell string):
//   1. the program, the guest's name and uuid, no default devices and no host config file,
//      the machine, the accelerator, the CPU, memory and vCPUs, no display; then the
//      emulated PC's options (qemu_machine.h: platform flags, firmware, graphics card,
//      RTC, sound), USB and VNC;
//   2. how it boots: the kernel, ramdisk and command line when a kernel is named (PV, PVH,
//      HVM direct boot), the firmware's boot order for HVM;
//   3. the console: the monitor's socketpair, which the guest has on fd 0/1 (QEMU's
//      `stdio` chardev), behind the first serial port, or behind a virtio console when the
//      kernel's console is hvc0; the guest agent's virtio-serial port (guest_agent.h), whose
//      host end QEMU listens on at <run_dir>/qga.sock;
//   4. QMP on <run_dir>/qmp.sock, the life-cycle actions, pvpanic and the balloon;
//   5. the disks in vdev order: xvd* on virtio-blk, hd* on IDE, sd* on virtio-scsi;
//   6. the NICs on their host taps.
//
// Why these choices:
// - Machine `pc` (i440fx), as Xen's own HVM device model: IDE has the four hd* places
//   natively, and PCI devices hot-plug into its root bus without extra root ports.
// - The console on stdio, not on a socket QEMU listens on: the monitor already holds the
//   guest's console as a socketpair on fd 0/1 (ConsoleWiring::stdio_socketpair, as for
//   UML), QEMU 7.2 reads and writes it both ways (checked), and nothing the guest prints
//   before someone connects is lost.
// - How the guest's end is reported (reference/backends.md §3; each checked on QEMU 7.2):
//   no `-no-shutdown`, so a guest poweroff is SHUTDOWN{guest-shutdown} and exit 0;
//   `reboot=shutdown` (what -no-reboot means), so a guest reboot is
//   SHUTDOWN{guest-reset} and exit 0, and uxld restarts the domain as xl does;
//   `panic=exit-failure` with a pvpanic device, so a panic is GUEST_PANICKED and
//   SHUTDOWN{guest-panic}, then exit 1: a crash even when no event was seen.
// - A balloon device always, so that memory can be taken back below the boot size.
#include "qemu/qemu_backend.h"

#include "qemu/qemu_devices.h"
#include "qemu/qemu_machine.h"

#include "plan_util.h"

#include "uxl/vdev.h"

#include <sys/un.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <optional>

namespace uxl {

namespace {

using qemu::DiskBus;
using qemu::has_media;
using qemu::option_value;

constexpr std::size_t max_socket_path = sizeof(sockaddr_un{}.sun_path) - 1;

// A Xen PV command line names its root disk as Xen does (root=/dev/xvda1); under QEMU that
// disk is a virtio-blk one, which Linux names vdX in PCI order, whatever its xvd letter.
// Rewrites root=/dev/<vdev>[N] to the name the guest will see; other words stay.
void rename_root_disk(std::vector<std::string>& words, const std::vector<plan::OrderedDisk>& disks)
{
    std::map<std::string, std::string> names;  // "xvdb" -> "vda"
    std::size_t virtio = 0;
    for (const plan::OrderedDisk& ordered : disks)
        if (qemu::disk_bus(vdev_to_number(ordered.vdev).value_or(0)) == DiskBus::virtio_blk)
            names[ordered.vdev] = qemu::linux_disk_name("vd", virtio++);
    constexpr std::string_view prefix = "root=/dev/";
    for (std::string& word : words) {
        if (!word.starts_with(prefix))
            continue;
        const std::string device = word.substr(prefix.size());
        const std::size_t digits = device.find_last_not_of("0123456789") + 1;
        auto it = names.find(device.substr(0, digits));
        if (it != names.end() && it->first != it->second)
            word = std::string(prefix) + it->second + device.substr(digits);
    }
}

// xl's usbdevice names as QEMU devices; "" for one uxl does not know.
std::string usb_device(std::string_view name)
{
    if (name == "tablet")
        return "usb-tablet";
    if (name == "mouse")
        return "usb-mouse";
    if (name == "keyboard")
        return "usb-kbd";
    return {};
}

bool wants_usb(const HvmSettings& hvm)
{
    return hvm.usb == true || !hvm.usbdevice.empty();
}

// Whether the kernel's console (the last console= on its command line) is hvc0: the guest
// then expects a virtio console (on Xen it would be the PV console).
bool wants_virtio_console(const std::vector<std::string>& words)
{
    std::string console;
    for (const std::string& word : words) {
        if (word.starts_with("console="))
            console = word.substr(8);
    }
    return console.starts_with("hvc");
}

bool names_console(const std::vector<std::string>& words)
{
    for (const std::string& word : words) {
        if (word.starts_with("console="))
            return true;
    }
    return false;
}

Result<void> check_disk(const plan::OrderedDisk& ordered, DiskBus bus, int partition)
{
    const DiskSpec& disk = *ordered.disk;
    const std::string& vdev = ordered.vdev;
    const std::string context = "disk " + vdev;
    if (partition != 0)
        return fail(Errc::unsupported,
                    "QEMU gives a guest whole disks, but " + vdev +
                        " names a partition; name a whole disk (xvdb, not xvdb1) and "
                        "partition the image.",
                    context);
    if (!has_media(disk)) {
        if (!disk.is_cdrom)
            return fail(Errc::invalid_argument, "Disk " + vdev + " has no target.", context);
        if (bus == DiskBus::virtio_blk)
            return fail(Errc::unsupported,
                        "A virtio disk has no removable media, so the empty cdrom " + vdev +
                            " cannot be one; name it hdc or sda.",
                        context);
        return {};
    }
    UXL_TRY(plan::check_absolute(*disk.pdev_path, "The target of disk " + vdev, context));
    if (!qemu::block_format(disk.format))
        return fail(Errc::invalid_argument,
                    "Disk " + vdev + " has format empty but names a target; leave the format out.",
                    context);
    if (bus == DiskBus::ide && !disk.is_cdrom && !disk.readwrite)
        return fail(Errc::unsupported,
                    "QEMU's IDE disks cannot be read-only, but " + vdev +
                        " is; make it writable (w), a cdrom, or name it xvd* or sd*.",
                    context);
    return {};
}

std::string memory_argument(std::uint64_t kb)
{
    if (kb % 1024 == 0)
        return std::to_string(kb / 1024) + "M";
    return std::to_string(kb) + "K";
}

}  // namespace

std::string_view to_string(QemuHost::Accelerator accelerator)
{
    return accelerator == QemuHost::Accelerator::kvm ? "kvm" : "tcg";
}

Capabilities QemuBackend::capabilities() const
{
    // What the plan provides for and QMP can do; the rest comes with the controller.
    Capabilities caps;
    caps.pause = true;    // stop / cont
    caps.reboot = true;   // through the guest agent; with -F the reset trigger
    caps.balloon = true;  // balloon, on the virtio-balloon device every plan has
    caps.sysrq = true;    // send-key alt+sysrq+KEY
    caps.vcpu_set = true; // device_add / device_del of CPUs up to -smp maxcpus
    // device_add / device_del on the pc machine's root bus (ACPI PCI hot-plug), and sd* disks
    // on the plan's SCSI controller: qemu_controller.h.
    caps.hotplug_disk = true;
    caps.hotplug_nic = true;
    return caps;
}

Result<void> QemuBackend::validate(const DomainSpec& spec) const
{
    const bool direct_boot = !spec.kernel.empty();
    if (spec.type != DomainType::hvm && !spec.bootloader.empty())
        return fail(Errc::unsupported,
                    "QEMU boots PV and PVH kernels directly and has no bootloader step: leave out "
                    "bootloader = \"" + spec.bootloader +
                        "\" and name the kernel with kernel =, or use type = \"hvm\" to boot "
                        "from the disk.",
                    "bootloader");
    if (spec.type != DomainType::hvm && !direct_boot)
        return fail(Errc::invalid_argument,
                    "A " + std::string(to_string(spec.type)) +
                        " guest boots its kernel directly, so it needs kernel =.",
                    "kernel");
    if (!spec.pcidevs.empty())
        return fail(Errc::unsupported,
                    "uxl cannot pass PCI devices through to QEMU guests yet; remove pci = [...].",
                    "pci");
    if (std::max(spec.vcpus, spec.max_vcpus) > max_vcpus)
        return fail(Errc::unsupported,
                    "QEMU's pc machine has at most " + std::to_string(max_vcpus) +
                        " vCPUs, but this domain asks for " +
                        std::to_string(std::max(spec.vcpus, spec.max_vcpus)) + ".",
                    "maxvcpus");
    if (direct_boot)
        UXL_TRY(plan::check_absolute(spec.kernel, "The kernel", "kernel"));
    if (direct_boot && !spec.ramdisk.empty())
        UXL_TRY(plan::check_absolute(spec.ramdisk, "The ramdisk", "ramdisk"));

    UXL_TRY(qemu::validate_machine(spec));
    if (spec.type == DomainType::hvm) {
        const std::string& boot = spec.hvm.boot;
        if (boot.find_first_not_of("acdn") != std::string::npos)
            return fail(Errc::invalid_argument,
                        "boot = \"" + boot +
                            "\" is not a boot order: use the letters c (disk), d (cdrom), "
                            "n (network) and a (floppy).",
                        "boot");
        if (!spec.hvm.vnc.passwd.empty())
            return fail(Errc::unsupported,
                        "uxl cannot give a QEMU guest's VNC server a password yet (QEMU would "
                        "show it on its command line); leave out vncpasswd and keep vnclisten "
                        "on the loopback address.",
                        "vncpasswd");
        for (const std::string& device : spec.hvm.usbdevice)
            if (usb_device(device).empty())
                return fail(Errc::unsupported,
                            "uxl's QEMU guests take usbdevice = \"tablet\", \"mouse\" or \"keyboard\", "
                            "not \"" + device + "\".",
                            "usbdevice");
        for (std::size_t i = 0; i < spec.hvm.serial.size(); ++i) {
            if (i > 0 || spec.hvm.serial[i] != "pty")
                return fail(Errc::unsupported,
                            "uxl gives an HVM guest one serial port, its console (serial = "
                            "\"pty\"), and cannot connect serial = \"" +
                                spec.hvm.serial[i] + "\".",
                            "serial");
        }
    }

    auto disks = UXL_TRY(plan::disks_in_vdev_order(spec));
    std::size_t pci_devices = 1;  // the balloon
    bool scsi = false;
    for (const plan::OrderedDisk& ordered : disks) {
        const int number = vdev_to_number(ordered.vdev).value_or(0);
        const std::optional<DiskBus> bus = qemu::disk_bus(number);
        if (!bus)
            return fail(Errc::unsupported,
                        "Disk " + ordered.vdev +
                            " names no xvd, hd or sd disk, so uxl does not know where QEMU "
                            "should put it; name it xvdN, hdN or sdN.",
                        "disk " + ordered.vdev);
        UXL_TRY(check_disk(ordered, *bus, plan::disk_index_and_partition(number).second));
        pci_devices += *bus == DiskBus::virtio_blk;
        scsi = scsi || *bus == DiskBus::virtio_scsi;
    }
    pci_devices += scsi;

    UXL_TRY(plan::check_unique_devids(spec));
    for (std::size_t i = 0; i < spec.nics.size(); ++i) {
        const VifSpec& nic = spec.nics[i];
        const int devid = plan::nic_devid(nic, i);
        if (qemu::nic_model(nic, spec.type).empty())
            return fail(Errc::unsupported,
                        "Vif " + std::to_string(devid) + " asks for model=" + nic.model.value_or("") +
                            ", but uxl's QEMU guests have virtio-net, e1000 or rtl8139.",
                        "vif " + std::to_string(devid));
        if (nic.ifname && !nic.ifname->empty())
            UXL_TRY(plan::check_tap_name(*nic.ifname, devid));
        UXL_TRY(plan::check_unicast_mac(nic, devid));
    }
    pci_devices += spec.nics.size();
    pci_devices += 1;  // virtio-serial: the guest agent's port (and a virtio console)
    pci_devices += qemu::machine_pci_devices(spec);  // card, sound, i6300esb
    pci_devices += spec.type == DomainType::hvm && wants_usb(spec.hvm);  // the UHCI controller
    if (pci_devices > free_pci_slots)
        return fail(Errc::unsupported,
                    "QEMU's pc machine has " + std::to_string(free_pci_slots) +
                        " PCI slots, but this domain needs " + std::to_string(pci_devices) +
                        " (a virtio disk or a NIC takes one each); use fewer, or sd* disks, "
                        "which share one controller.",
                    "devices");
    return {};
}

Result<LaunchPlan> QemuBackend::plan_launch(const DomainSpec& spec, const DomainPaths& paths,
                                            int domid) const
{
    UXL_TRY(validate(spec));
    if (!paths.run_dir.starts_with('/'))
        return fail(Errc::internal,
                    "The run directory path `" + paths.run_dir + "' is not an absolute path.",
                    "run directory");
    const std::string qmp = qmp_socket(paths.run_dir);
    if (qmp.size() > max_socket_path)
        return fail(Errc::invalid_argument,
                    "The QMP socket `" + qmp + "' is " + std::to_string(qmp.size()) +
                        " bytes long, more than the " + std::to_string(max_socket_path) +
                        " a UNIX socket path may have; use a shorter run directory.",
                    "QMP socket");

    const plan::MemorySizes memory = plan::memory_sizes(spec);
    const bool hvm = spec.type == DomainType::hvm;
    const bool direct_boot = !spec.kernel.empty();
    std::vector<std::string> words = plan::split_blanks(spec.cmdline);
    const bool virtio_console = direct_boot && wants_virtio_console(words);
    const auto disks = UXL_TRY(plan::disks_in_vdev_order(spec));

    LaunchPlan plan;
    std::vector<std::string>& argv = plan.argv;
    auto add = [&argv](std::initializer_list<std::string> more) {
        argv.insert(argv.end(), more.begin(), more.end());
    };

    // 1. The machine.
    argv.emplace_back(program);
    add({"-name", "guest=" + option_value(spec.name) + ",debug-threads=on"});
    if (spec.uuid != Uuid{})
        add({"-uuid", uuid_to_string(spec.uuid)});
    add({"-no-user-config", "-nodefaults"});
    add({"-machine", spec.hvm.acpi == false ? "pc,acpi=off" : "pc"});
    add({"-accel", std::string(to_string(m_host.accelerator))});
    qemu::add_cpu(argv, spec, m_host.accelerator);
    add({"-m", memory_argument(memory.boot_kb)});
    std::string smp = std::to_string(spec.vcpus);
    if (spec.max_vcpus > spec.vcpus)
        smp += ",maxcpus=" + std::to_string(spec.max_vcpus);
    add({"-smp", smp, "-display", "none"});
    qemu::add_platform(argv, spec);
    qemu::add_firmware(argv, spec, paths.run_dir);
    if (hvm && spec.hvm.bios == BiosKind::ovmf)
        plan.file_copies.push_back({std::string(qemu::ovmf_vars), paths.run_dir + "/" + std::string(qemu::ovmf_vars_copy)});
    qemu::add_vga(argv, spec);
    qemu::add_rtc(argv, spec, m_host.clock ? m_host.clock() : static_cast<std::int64_t>(std::time(nullptr)));
    qemu::add_sound(argv, spec);
    if (hvm && wants_usb(spec.hvm)) {
        add({"-usb"});
        for (const std::string& device : spec.hvm.usbdevice)
            add({"-device", usb_device(device)});
    }
    // libxl's VNC: LISTEN:DISPLAY (127.0.0.1:0 unless set), and with vncunused (its
    // default) the first free display from there, which QMP's query-vnc then names.
    if (hvm && spec.hvm.vnc.enable == true) {
        const VncSettings& vnc = spec.hvm.vnc;
        std::string where = (vnc.listen.empty() ? std::string("127.0.0.1") : vnc.listen) + ":" +
                            std::to_string(vnc.display.value_or(0));
        if (vnc.find_unused != false)
            where += ",to=99";
        add({"-vnc", where});
    }

    // 2. Boot. A kernel booted directly whose command line names no console writes to the
    // first serial port, which is where the console is.
    if (direct_boot) {
        rename_root_disk(words, disks);
        add({"-kernel", spec.kernel});
        if (!spec.ramdisk.empty())
            add({"-initrd", spec.ramdisk});
        if (!names_console(words))
            words.emplace_back("console=ttyS0");
        std::string append;
        for (const std::string& word : words)
            append += (append.empty() ? "" : " ") + word;
        add({"-append", append});
    }
    if (hvm)
        add({"-boot", "order=" + (spec.hvm.boot.empty() ? std::string("cd") : spec.hvm.boot)});

    // 3. The console, on the monitor's socketpair (fd 0/1), and the guest agent's port
    // (guest_agent.h) on the same virtio-serial controller.
    add({"-chardev", "stdio,id=console0,signal=off"});
    add({"-device", "virtio-serial-pci,id=virtio-serial0"});
    if (virtio_console)
        add({"-device", "virtconsole,chardev=console0,id=console0"});
    else
        add({"-serial", "chardev:console0"});
    add({"-chardev", "socket,id=" + std::string(qemu::guest_agent_chardev) + ",path=" +
                         option_value(guest_agent_socket(paths.run_dir)) + ",server=on,wait=off",
         "-device", "virtserialport,chardev=" + std::string(qemu::guest_agent_chardev) + ",name=" +
                        std::string(qemu::guest_agent_port) + ",id=guest-agent0"});

    // 4. Control, the guest's end, memory.
    add({"-chardev", "socket,id=qmp,path=" + option_value(qmp) + ",server=on,wait=off",
         "-mon", "chardev=qmp,mode=control"});
    // A watchdog that fires pauses the guest (QEMU's status "watchdog") and says so
    // (WATCHDOG): uxld then applies on_watchdog, and a re-adopting uxld finds the status.
    add({"-action", std::string("reboot=shutdown,shutdown=poweroff,panic=exit-failure") +
                        (spec.watchdog.empty() ? "" : ",watchdog=pause"),
         "-device", "pvpanic"});
    qemu::add_watchdog(argv, spec);
    add({"-device", "virtio-balloon-pci,id=balloon0"});

    // 5. Disks, in vdev order. Each is named by its number and has it for its slot
    // (qemu_devices.h): drive-xvdb behind disk-xvdb, in slot 51728.
    bool scsi_controller = false;
    std::size_t virtio_disks = 0;
    for (const plan::OrderedDisk& ordered : disks) {
        const DiskSpec& disk = *ordered.disk;
        const int number = vdev_to_number(ordered.vdev).value_or(0);
        const DiskBus bus = *qemu::disk_bus(number);
        const std::uint64_t index = plan::disk_index_and_partition(number).first;
        const qemu::DiskIds ids = *qemu::disk_ids(number);
        const std::string id = ",id=" + ids.device;
        const std::string drive = has_media(disk) ? "drive=" + ids.node + "," : std::string();
        std::string guest_name;
        if (has_media(disk))
            add({"-blockdev", qemu::blockdev_json(disk, ids.node)});
        switch (bus) {
        case DiskBus::virtio_blk:  // always with media (validate)
            add({"-device", "virtio-blk-pci,drive=" + ids.node + id});
            guest_name = qemu::linux_disk_name("vd", virtio_disks++);
            break;
        case DiskBus::ide:
            add({"-device", std::string(disk.is_cdrom ? "ide-cd," : "ide-hd,") + drive + "bus=ide." +
                                std::to_string(index / 2) + ",unit=" + std::to_string(index % 2) + id});
            break;
        case DiskBus::virtio_scsi:
            if (!scsi_controller) {
                add({"-device", "virtio-scsi-pci,id=" + std::string(qemu::scsi_controller_id)});
                scsi_controller = true;
            }
            add({"-device", std::string(disk.is_cdrom ? "scsi-cd," : "scsi-hd,") + drive + "bus=" +
                                std::string(qemu::scsi_controller_id) + ".0,channel=0,scsi-id=" +
                                std::to_string(index) + ",lun=0" + id});
            break;
        }
        // Linux names IDE and SCSI disks sdX in the order it finds them, which the plan
        // cannot know; virtio-blk disks are vdX in PCI order, which is argv order.
        plan.devices.push_back(PlannedDevice{PlannedDevice::Kind::disk, number, number,
                                             disk.pdev_path.value_or(""), guest_name});
    }

    // 6. NICs on host taps, which the daemon has made (script=no: QEMU runs nothing).
    for (std::size_t i = 0; i < spec.nics.size(); ++i) {
        const VifSpec& nic = spec.nics[i];
        const int devid = plan::nic_devid(nic, i);
        const std::string tap = plan::tap_name(nic, domid, devid);
        UXL_TRY(plan::check_tap_name(tap, devid));
        const std::string netdev = qemu::nic_netdev_id(devid);
        add({"-netdev", "tap,id=" + netdev + ",ifname=" + tap + ",script=no,downscript=no"});
        std::string device = qemu::nic_model(nic, spec.type) + ",netdev=" + netdev;
        if (!nic.mac.is_zero())
            device += ",mac=" + nic.mac.to_string();
        add({"-device", device + ",id=" + qemu::nic_device_id(devid)});
        plan.devices.push_back(PlannedDevice{PlannedDevice::Kind::nic, devid, devid, tap, ""});
    }

    // 7. device_model_args (all guests), then _hvm or _pv: argv words as given, never
    // through a shell, last so that they can add to what uxl planned.
    argv.insert(argv.end(), spec.device_model_args.begin(), spec.device_model_args.end());
    const auto& extra = hvm ? spec.device_model_args_hvm : spec.device_model_args_pv;
    argv.insert(argv.end(), extra.begin(), extra.end());

    plan.working_dir = paths.run_dir;
    plan.console = ConsoleWiring::stdio_socketpair;
    plan.control_endpoint = qmp;
    plan.boot_memory_kb = memory.boot_kb;
    if (memory.boot_kb > memory.target_kb)
        plan.balloon_target_kb = memory.target_kb;
    return plan;
}

Result<void> QemuBackend::check_host(const DomainSpec& spec) const
{
    if (::access(std::string(program).c_str(), X_OK) != 0)
        return fail(Errc::unsupported,
                    "QEMU is not installed on this host (no " + std::string(program) +
                        "); install Debian's " + std::string(debian_package) + " package.",
                    "backend");
    if (spec.type == DomainType::hvm && spec.hvm.bios == BiosKind::ovmf) {
        for (std::string_view file : {qemu::ovmf_code, qemu::ovmf_vars})
            if (::access(std::string(file).c_str(), R_OK) != 0)
                return fail(Errc::unsupported,
                            "bios=\"ovmf\" needs Debian's ovmf package (" + std::string(file) + ").", "bios");
    }
    if (m_host.accelerator == QemuHost::Accelerator::kvm && ::access("/dev/kvm", R_OK | W_OK) != 0)
        return fail(Errc::unsupported,
                    "QEMU was to use KVM, but /dev/kvm cannot be opened for reading and writing.",
                    "backend");
    return {};
}

ConsoleType QemuBackend::console_type(const DomainSpec& spec) const
{
    if (!spec.kernel.empty() && wants_virtio_console(plan::split_blanks(spec.cmdline)))
        return ConsoleType::pv;
    return ConsoleType::serial;
}

std::vector<std::pair<std::string, std::string>> QemuBackend::host_facts() const
{
    const bool installed = ::access(std::string(program).c_str(), X_OK) == 0;
    return {{"qemu", installed ? std::string(program) : "(not installed)"},
            {"qemu_accelerator", std::string(to_string(m_host.accelerator)) +
                                     (m_host.reason.empty() ? "" : " (" + m_host.reason + ")")}};
}

}  // namespace uxl
