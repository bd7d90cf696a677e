#!/bin/sh
# Builds the example uxl guest: a gzip'd newc cpio initramfs holding a static busybox, for
# Debian's User-Mode Linux kernel (/usr/bin/linux). The example domain config
# (share/examples/example) boots it.
#
#   build-guest.sh [OUTPUT]     default OUTPUT: /var/lib/uxl/images/example-initramfs.cpio.gz
#
# Needs the Debian packages busybox-static, cpio and gzip. Runs as root or as a normal user (the
# archive records every file as owned by root either way). Idempotent: the same busybox gives a
# byte-identical image (fixed mtimes, sorted entries, gzip -n; SOURCE_DATE_EPOCH sets the mtime).
# The image is written next to OUTPUT and renamed into place, so OUTPUT is never half-written.
#
# The guest: busybox init runs /etc/inittab, which mounts proc, sysfs, devtmpfs and a tmpfs on
# /tmp, sets the hostname, runs /etc/rc.net (loopback, and eth0 from `ip=ADDR/PREFIX' on the kernel
# command line), prints "uxl example guest: up (uptime <seconds>)" on the console, writes
# "guest-init-up" to /proc/mconsole when UML's notify channel is configured, and keeps a shell on
# the console. mconsole `cad' (Ctrl-Alt-Del) powers it off cleanly: the console shows
# "uxl example guest: powering off" and UML exits with status 0.
set -eu

usage() {
    echo "usage: $0 [OUTPUT]" >&2
    echo "  builds the example guest initramfs (default $default_output)" >&2
    exit 2
}

default_output=/var/lib/uxl/images/example-initramfs.cpio.gz
busybox=${BUSYBOX:-/bin/busybox}
epoch=${SOURCE_DATE_EPOCH:-0}

case $# in
    0) output=$default_output ;;
    1) case $1 in -h|--help|-*) usage ;; esac; output=$1 ;;
    *) usage ;;
esac

umask 022
export LC_ALL=C

die() {
    echo "$0: $*" >&2
    exit 1
}

for tool in cpio gzip find sort touch; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install cpio gzip)"
done
[ -x "$busybox" ] || die "$busybox not found (apt-get install busybox-static)"
# The guest has no libc: refuse a dynamically linked busybox (Debian's `busybox' package).
if command -v ldd >/dev/null 2>&1 && ldd "$busybox" >/dev/null 2>&1; then
    die "$busybox is dynamically linked; install busybox-static (or set BUSYBOX=)"
fi

outdir=$(dirname -- "$output")
mkdir -p -- "$outdir" || die "cannot create $outdir"
tmpout=$output.tmp.$$
work=

cleanup() {
    [ -z "$work" ] || rm -rf -- "$work"
    rm -f -- "$tmpout"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

work=$(mktemp -d "${TMPDIR:-/tmp}/uxl-guest.XXXXXX")
root=$work/root

mkdir -p "$root"
for d in bin sbin usr/bin usr/sbin etc dev proc sys tmp run root mnt var; do
    mkdir -p "$root/$d"
done
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
ln -s ../run "$root/var/run"

cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
# `busybox --install -s', done by hand so nothing touches the host: one absolute symlink per
# applet, at the path busybox itself would use.
"$busybox" --list-full | while IFS= read -r applet; do
    case $applet in ''|/*|*..*) continue ;; esac
    if [ -e "$root/$applet" ] || [ -L "$root/$applet" ]; then
        continue
    fi
    case $applet in */*) mkdir -p "$root/${applet%/*}" ;; esac
    ln -s /bin/busybox "$root/$applet"
done
[ -L "$root/sbin/init" ] || die "$busybox has no init applet"
# The kernel runs /init from an initramfs; busybox picks the applet from argv[0] ("init").
ln -s bin/busybox "$root/init"

cat >"$root/etc/inittab" <<'EOF'
# /etc/inittab of the uxl example guest (busybox init). Fields: id:runlevels:action:process;
# an empty id means the console.
::sysinit:/bin/mount -t proc proc /proc
::sysinit:/bin/mount -t sysfs sysfs /sys
::sysinit:/bin/sh -c 'if grep -qw devtmpfs /proc/filesystems; then mount -t devtmpfs devtmpfs /dev; fi'
::sysinit:/bin/mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
::sysinit:/bin/hostname -F /etc/hostname
::sysinit:/etc/rc.net
::sysinit:/bin/sh -c 'read up idle </proc/uptime; echo "uxl example guest: up (uptime $up)"'
# UML's notify channel (mconsole=notify:SOCKET): tells the host that init is up.
::sysinit:/bin/sh -c 'if [ -e /proc/mconsole ]; then echo guest-init-up >/proc/mconsole; fi'

# A shell on the console, with the console's tty as its controlling terminal (job control, ^C).
::respawn:/bin/cttyhack /bin/sh -l

# mconsole `cad' sends Ctrl-Alt-Del: power off cleanly (UML then exits with status 0).
# (busybox puts poweroff in /sbin; /bin/poweroff does not exist.)
::ctrlaltdel:/etc/rc.cad
::shutdown:/bin/echo "uxl example guest: powering off"
::shutdown:/bin/sync
::shutdown:/bin/sh -c 'umount -a -r 2>/dev/null; :'
EOF

echo example >"$root/etc/hostname"

# Ctrl-Alt-Del (what `uxl shutdown' sends) powers the guest off. With uxl.cad=reboot on the
# kernel command line it reboots instead, as systemd's default ctrl-alt-del.target does:
# uxl's tests use that to check that a shutdown still ends powered off.
cat >"$root/etc/rc.cad" <<'EOF'
#!/bin/sh
for arg in $(cat /proc/cmdline); do
    [ "$arg" = uxl.cad=reboot ] && exec /sbin/reboot
done
exec /sbin/poweroff
EOF
chmod 0755 "$root/etc/rc.cad"

cat >"$root/etc/rc.net" <<'EOF'
#!/bin/sh
# Network setup of the uxl example guest: brings up loopback and, if the kernel command line has
# ip=ADDR/PREFIX (IPv4 or IPv6), puts that address on the first network interface (eth0 for
# UML's tuntap transport, vec0 for its vector transport) and brings it up. Other forms of ip=
# (the kernel's ip=client:server:gw:...) are ignored.
ip link set lo up
addr=
for arg in $(cat /proc/cmdline); do
    case $arg in
        ip=*/*) addr=${arg#ip=} ;;
    esac
done
[ -n "$addr" ] || exit 0
prefix=${addr##*/}
case $prefix in
    ''|*[!0-9]*) echo "rc.net: ignoring ip=$addr (not ADDR/PREFIX)" >&2; exit 0 ;;
esac
for dev in eth0 vec0; do
    if ip link show "$dev" >/dev/null 2>&1; then
        ip addr add "$addr" dev "$dev" && ip link set "$dev" up
        exit 0
    fi
done
echo "rc.net: ip=$addr given but no network interface" >&2
EOF
chmod 0755 "$root/etc/rc.net"

cat >"$root/etc/profile" <<'EOF'
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
export PS1='\h:\w\$ '
EOF
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

# Reproducible: fixed mtimes, sorted entries, root ownership, no gzip name or timestamp.
find "$root" -exec touch -h -d "@$epoch" {} +
(cd "$root" && find . | sort | cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n >"$tmpout"
mv -f -- "$tmpout" "$output"
echo "$output: $(wc -c <"$output" | tr -d ' ') bytes"
