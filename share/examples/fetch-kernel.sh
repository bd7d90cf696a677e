#!/bin/sh
# Fetches a Linux kernel for uxl's QEMU guests without installing a kernel on the host: Debian's
# cloud kernel package (linux-image-<version>-cloud-amd64, the one linux-image-cloud-amd64
# depends on) is downloaded with `apt-get download' and unpacked with `dpkg -x' (no maintainer
# scripts or kernel hooks run). The QEMU guest agent (Debian's qemu-guest-agent) comes the same
# way, for build-guest.sh --agent: it is not installed on the host either.
#
#   fetch-kernel.sh DEST_DIR
#
# Leaves in DEST_DIR:
#   vmlinuz                   symlink to boot/vmlinuz-<version> (the bootable bzImage)
#   boot/config-<version>     the kernel's configuration
#   lib/modules/<version>/    its modules (uncompressed .ko files; the package has no
#                             modules.dep, build-guest.sh --modules reads each module's depends=)
#   usr/sbin/qemu-ga          the guest agent (dynamically linked against the libraries
#                             Debian's qemu-system-x86 has installed on the host)
#   version                   "<version>", written last: its presence means DEST_DIR is complete
#
# Idempotent: when DEST_DIR is complete it does nothing (and asks apt nothing). Works as root or as
# a normal user and with no stdin. The downloaded .deb is removed on any exit. KERNEL_PACKAGE=NAME
# picks another package than the one linux-image-cloud-amd64 depends on. If the download fails,
# it runs `apt-get update -qq' once (as root) and tries again; if that fails too it prints one
# line saying why and exits 1.
set -eu

usage() {
    echo "usage: $0 DEST_DIR" >&2
    echo "  downloads and unpacks Debian's cloud kernel into DEST_DIR" >&2
    exit 2
}

case $# in
    1) case $1 in -h|--help|-*) usage ;; esac; dest=$1 ;;
    *) usage ;;
esac

umask 022
export LC_ALL=C

die() {
    echo "$0: $*" >&2
    exit 1
}

# Complete already: nothing to do.
if [ -f "$dest/version" ]; then
    read -r version <"$dest/version" || version=
    if [ -n "$version" ] && [ -f "$dest/vmlinuz" ] && [ -f "$dest/lib/modules/$version/modules.order" ] &&
        [ -x "$dest/usr/sbin/qemu-ga" ]; then
        exit 0
    fi
fi

for tool in apt-cache apt-get dpkg; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (this script needs Debian's apt and dpkg)"
done

work=
cleanup() {
    [ -z "$work" ] || rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

work=$(mktemp -d "${TMPDIR:-/tmp}/uxl-kernel.XXXXXX")
# apt-get download drops privileges to _apt when it can; let that user write here.
chmod 0755 "$work"
[ "$(id -u)" != 0 ] || chown _apt "$work" 2>/dev/null || :

# The last "E: ..." line apt printed into FILE, for the one-line failure message.
apt_error() {
    msg=$(grep '^E: ' "$1" | tail -n 1 | cut -c4-)
    echo "${msg:-$(tail -n 1 "$1")}"
}

update_done=
apt_update() {
    [ -z "$update_done" ] || return 1
    update_done=1
    [ "$(id -u)" = 0 ] || return 1
    apt-get update -qq </dev/null >"$work/update.log" 2>&1
}

# The versioned package that the metapackage depends on, e.g. linux-image-6.1.0-57-cloud-amd64.
find_package() {
    apt-cache depends linux-image-cloud-amd64 </dev/null 2>"$work/depends.log" |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1
}

package=${KERNEL_PACKAGE:-}
if [ -z "$package" ]; then
    package=$(find_package)
    if [ -z "$package" ] && apt_update; then
        package=$(find_package)
    fi
    [ -n "$package" ] ||
        die "cannot find the kernel package: apt-cache depends linux-image-cloud-amd64 names no linux-image-*-cloud-amd64 ($(apt_error "$work/depends.log"))"
fi

agent_package=qemu-guest-agent
download() {
    (cd "$work" && apt-get download -q "$package" "$agent_package" </dev/null >"$work/download.log" 2>&1)
}
if ! download; then
    if apt_update; then
        download || die "cannot download $package and $agent_package: $(apt_error "$work/download.log")"
    else
        die "cannot download $package and $agent_package: $(apt_error "$work/download.log")"
    fi
fi

mkdir -p -- "$dest" || die "cannot create $dest"
rm -f -- "$dest/version"
for name in "$package" "$agent_package"; do
    set -- "$work/${name}_"*.deb
    [ -f "$1" ] || die "cannot download $name: apt-get download left no .deb"
    dpkg -x "$1" "$dest" || die "cannot unpack $1 into $dest"
    rm -f -- "$1"
done
[ -x "$dest/usr/sbin/qemu-ga" ] || die "$agent_package has no usr/sbin/qemu-ga"

# The version is the name of the one modules directory (the package name minus linux-image-).
version=${package#linux-image-}
if [ ! -d "$dest/lib/modules/$version" ] || [ ! -f "$dest/boot/vmlinuz-$version" ]; then
    die "$package has no boot/vmlinuz-$version or lib/modules/$version"
fi
ln -sfn "boot/vmlinuz-$version" "$dest/vmlinuz"
echo "$version" >"$dest/version.tmp"
mv -f -- "$dest/version.tmp" "$dest/version"
echo "$dest: $package, $agent_package"
