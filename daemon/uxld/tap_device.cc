// Persistent taps through /dev/net/tun.
//
// create_tap: 1. open /dev/net/tun and TUNSETIFF with IFF_TUN_EXCL (a new device or
// nothing); 2. TUNSETOWNER root; 3. SIOCSIFHWADDR with the host-side MAC; 4. SIOCSIFFLAGS
// up; 5. TUNSETPERSIST last, so that any earlier failure is undone by closing the fd (a
// non-persistent tap disappears with its last file). delete_tap attaches to the existing
// device and clears TUNSETPERSIST; closing the fd then removes it.
#include "tap_device.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>  // before any <linux/…> header, which would clash with it
#include <net/if_arp.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace uxl::daemon {

namespace {

// Closes a descriptor on every return path.
class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    int get() const { return m_fd; }

private:
    int m_fd;
};

ifreq request_for(std::string_view name)
{
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), sizeof ifr.ifr_name - 1));
    return ifr;
}

std::unexpected<Error> syscall_error(std::string_view what, std::string_view name, int err)
{
    return fail(err == EPERM || err == EACCES ? Errc::invalid_state : Errc::io,
                std::string(what) + " for tap " + std::string(name) + " failed: " + std::strerror(err),
                std::string(name));
}

Result<int> open_tun(std::string_view name)
{
    int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return syscall_error("opening /dev/net/tun", name, errno);
    return fd;
}

}  // namespace

std::string default_vif_name(std::uint32_t domid, std::uint32_t devid)
{
    return "vif" + std::to_string(domid) + "." + std::to_string(devid);
}

Result<void> validate_interface_name(std::string_view name)
{
    auto allowed = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    };
    std::string shown(name.substr(0, 64));
    if (name.empty())
        return fail(Errc::invalid_argument, "An interface name must not be empty.");
    if (name.size() > IFNAMSIZ - 1)
        return fail(Errc::invalid_argument,
                    "Interface name `" + shown + "' is too long: at most 15 characters are allowed.",
                    shown);
    if (!std::all_of(name.begin(), name.end(), allowed))
        return fail(Errc::invalid_argument,
                    "Interface name `" + shown +
                        "' is invalid: only letters, digits, `.', `_' and `-' are allowed.",
                    shown);
    if (name == "." || name == "..")
        return fail(Errc::invalid_argument, "Interface name `" + shown + "' is invalid.", shown);
    return {};
}

bool interface_exists(std::string_view name)
{
    if (name.empty() || name.size() > IFNAMSIZ - 1)
        return false;
    return ::if_nametoindex(std::string(name).c_str()) != 0;
}

Result<void> create_tap(std::string_view name, const MacAddress& guest_mac, uid_t owner)
{
    UXL_TRY(validate_interface_name(name));
    if (interface_exists(name))
        return fail(Errc::already_exists, "A network interface named " + std::string(name) +
                                              " already exists.", std::string(name));
    Fd tun(UXL_TRY(open_tun(name)));

    ifreq ifr = request_for(name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
    if (::ioctl(tun.get(), TUNSETIFF, &ifr) < 0) {
        if (errno == EBUSY)
            return fail(Errc::already_exists, "A network interface named " + std::string(name) +
                                                  " already exists.", std::string(name));
        return syscall_error("TUNSETIFF", name, errno);
    }
    if (::ioctl(tun.get(), TUNSETOWNER, static_cast<unsigned long>(owner)) < 0)
        return syscall_error("TUNSETOWNER", name, errno);

    Fd control(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (control.get() < 0)
        return syscall_error("socket", name, errno);

    MacAddress host = host_side_mac(guest_mac);
    ifreq mac = request_for(name);
    mac.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    std::memcpy(mac.ifr_hwaddr.sa_data, host.bytes.data(), host.bytes.size());
    if (::ioctl(control.get(), SIOCSIFHWADDR, &mac) < 0)
        return syscall_error("setting the MAC address", name, errno);

    ifreq flags = request_for(name);
    if (::ioctl(control.get(), SIOCGIFFLAGS, &flags) < 0)
        return syscall_error("SIOCGIFFLAGS", name, errno);
    flags.ifr_flags |= IFF_UP;
    if (::ioctl(control.get(), SIOCSIFFLAGS, &flags) < 0)
        return syscall_error("bringing the interface up", name, errno);

    if (::ioctl(tun.get(), TUNSETPERSIST, 1UL) < 0)
        return syscall_error("TUNSETPERSIST", name, errno);
    return {};
}

Result<void> delete_tap(std::string_view name)
{
    UXL_TRY(validate_interface_name(name));
    if (!interface_exists(name))
        return {};
    Fd tun(UXL_TRY(open_tun(name)));
    ifreq ifr = request_for(name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (::ioctl(tun.get(), TUNSETIFF, &ifr) < 0) {
        int err = errno;
        if (err == EBUSY)
            return fail(Errc::invalid_state,
                        "Tap " + std::string(name) + " is still in use by a process (a running guest?).",
                        std::string(name));
        if (err == EINVAL)
            return fail(Errc::invalid_argument,
                        "Network interface " + std::string(name) + " is not a tap device; not removing it.",
                        std::string(name));
        return syscall_error("TUNSETIFF", name, err);
    }
    if (::ioctl(tun.get(), TUNSETPERSIST, 0UL) < 0)
        return syscall_error("clearing TUNSETPERSIST", name, errno);
    return {};  // closing the descriptor removes the device
}

}  // namespace uxl::daemon
